import { fail, ok, type Result } from '../common/errors';
import { decodeFn, decodePn, encodeQgdwFrame, type QgdwFrame } from './frame';

// AFN 02 (link interface check: F1 login, F2 logout, F3 heartbeat) and AFN 00 (confirm / deny).
// A terminal sends AFN 02 with C = C9H (up, PRM = 1, link test) and CON set; the master answers with
// AFN 00 F1 "all confirmed", C = 0BH (down, PRM = 0, link status), echoing the sequence number.

export const AFN = {
  confirm: 0x00,
  reset: 0x01,
  linkCheck: 0x02,
  setParameters: 0x04,
  control: 0x05,
  authentication: 0x06,
  config: 0x09,
  queryParameters: 0x0a,
  class1: 0x0c,
  class2: 0x0d,
  class3: 0x0e,
  fileTransfer: 0x0f,
  forward: 0x10,
} as const;

export type LinkKind = 'login' | 'logout' | 'heartbeat';

export interface DataUnitId {
  pn: number[] | 'all';
  fn: number[];
}

export function readDataUnitId(body: Uint8Array, at: number): Result<DataUnitId> {
  if (at + 4 > body.length) return fail('TRUNCATED', at, 'data unit identifier needs 4 bytes');
  return ok({ pn: decodePn(body[at]!, body[at + 1]!), fn: decodeFn(body[at + 2]!, body[at + 3]!) });
}

const LINK_FN: Record<number, LinkKind> = { 1: 'login', 2: 'logout', 3: 'heartbeat' };

export function decodeLinkCheck(frame: QgdwFrame): Result<LinkKind> {
  if (frame.afn !== AFN.linkCheck) return fail('RANGE', 12, `AFN ${frame.afn} is not a link check`);
  const id = readDataUnitId(frame.body, 0);
  if (!id.ok) return { ok: false, error: { ...id.error, offset: id.error.offset + frame.bodyOffset } };
  const kind = id.value.fn.length === 1 ? LINK_FN[id.value.fn[0]!] : undefined;
  if (!kind) return fail('RANGE', frame.bodyOffset + 2, `AFN 02 F${id.value.fn.join(',F')} is not login, logout or heartbeat`);
  return ok(kind);
}

export type ConfirmKind = 'all-confirmed' | 'all-denied' | 'per-item';

export interface ConfirmPayload {
  kind: ConfirmKind;
  /** F3: the AFN confirmed, and per data unit whether it was accepted (ERR 0 = correct). */
  confirmedAfn?: number;
  items?: Array<{ unit: DataUnitId; ok: boolean; err: number }>;
}

export function decodeConfirm(frame: QgdwFrame): Result<ConfirmPayload> {
  const b = frame.body;
  const id = readDataUnitId(b, 0);
  if (!id.ok) return { ok: false, error: { ...id.error, offset: id.error.offset + frame.bodyOffset } };
  const f = id.value.fn[0];
  if (f === 1) return ok({ kind: 'all-confirmed' });
  if (f === 2) return ok({ kind: 'all-denied' });
  if (f !== 3) return fail('RANGE', frame.bodyOffset + 2, `AFN 00 F${String(f)} is not defined`);
  if (b.length < 5) return fail('TRUNCATED', frame.bodyOffset + 4, 'AFN 00 F3 without the confirmed AFN');
  const items: NonNullable<ConfirmPayload['items']> = [];
  let p = 5;
  // Items run to the end of the data (an uplink may follow with AUX EC/Tp: 2 and 6 bytes).
  const auxLen = (frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
  while (p + 5 <= b.length - auxLen) {
    const u = readDataUnitId(b, p);
    if (!u.ok) return u;
    const err = b[p + 4]!;
    items.push({ unit: u.value, ok: err === 0, err });
    p += 5;
  }
  return ok({ kind: 'per-item', confirmedAfn: b[4]!, items });
}

/**
 * The master's answer to a frame that asked for confirmation (CON = 1), e.g. a login or heartbeat:
 * AFN 00 F1, C = 0BH, same address (A3 = this master), RSEQ = the request's PSEQ.
 */
export function encodeConfirmAll(request: QgdwFrame, masterAddress = request.address.master): Result<Uint8Array> {
  return encodeQgdwFrame({
    control: 0x0b,
    address: { ...request.address, master: masterAddress, group: false },
    afn: AFN.confirm,
    seq: 0x60 | request.seq.seq,
    body: Uint8Array.of(0x00, 0x00, 0x01, 0x00),
    protocolId: request.protocolId,
  });
}

/** The master's refusal of a frame that asked for confirmation: AFN 00 F2 (all denied), otherwise as encodeConfirmAll. */
export function encodeDenyAll(request: QgdwFrame, masterAddress = request.address.master): Result<Uint8Array> {
  return encodeQgdwFrame({
    control: 0x0b,
    address: { ...request.address, master: masterAddress, group: false },
    afn: AFN.confirm,
    seq: 0x60 | request.seq.seq,
    body: Uint8Array.of(0x00, 0x00, 0x02, 0x00),
    protocolId: request.protocolId,
  });
}

/** A terminal's AFN 02 frame (simulator and tests): C9H, CON set, FIR/FIN, PSEQ. */
export function encodeLinkCheck(kind: LinkKind, address: QgdwFrame['address'], pseq: number): Result<Uint8Array> {
  const fn = { login: 0x01, logout: 0x02, heartbeat: 0x04 }[kind];
  return encodeQgdwFrame({ control: 0xc9, address, afn: AFN.linkCheck, seq: 0x70 | (pseq & 0x0f), body: Uint8Array.of(0x00, 0x00, fn, 0x00) });
}
