import type { Result } from '../common/errors';
import { encodeApdu, linkResponseFor, reportResponseFor, type Apdu } from './apdu';
import type { DateTime } from './data';
import { encodeDlt698Frame, type Dlt698Frame } from './frame';

// What a master station sends back to a server (terminal or meter) that started an exchange: the
// frame goes to the same server address and client address, DIR = 0 (from the client) and PRM = 0 (a
// response); link management (function 1) for LINK-Response, user data (function 3) otherwise.

/** LINK-Response result codes (bits 0-2 of its result byte). */
export const LINK_RESULT = { success: 0, duplicateAddress: 1, illegalDevice: 2, capacityExhausted: 3 } as const;

export function answerFrame(request: Pick<Dlt698Frame, 'server' | 'client'>, apdu: Apdu): Result<Uint8Array> {
  return encodeDlt698Frame({
    control: { fromServer: false, initiator: false, split: false, scrambled: false, function: apdu.kind === 'linkResponse' ? 1 : 3 },
    server: request.server,
    client: request.client,
    apdu: encodeApdu(apdu),
  });
}

/** The answer to a login or heartbeat: success, or a refusal with its result code. */
export function linkAnswer(request: Pick<Dlt698Frame, 'server' | 'client'>, link: Extract<Apdu, { kind: 'linkRequest' }>, receivedAt: DateTime, respondedAt: DateTime, result: number = LINK_RESULT.success): Result<Uint8Array> {
  return answerFrame(request, { ...(linkResponseFor(link, receivedAt, respondedAt) as Extract<Apdu, { kind: 'linkResponse' }>), result });
}

/** The REPORT-Response for a REPORT-Notification. */
export function reportAnswer(request: Pick<Dlt698Frame, 'server' | 'client'>, report: Extract<Apdu, { kind: 'reportNotification' }>): Result<Uint8Array> {
  return answerFrame(request, reportResponseFor(report));
}
