import { fail, ok, type Result } from '../common/errors';
import { AxdrError, Reader, Writer, type Csd, type Data, type DateTime, type Oad, type Rsd } from './data';

// DL/T 698.45 application layer (APDU). Client (master station) -> server: LINK-Response [129],
// CONNECT [2], RELEASE [3], GET [5], SET [6], ACTION [7], REPORT-Response [8], PROXY [9],
// SECURITY-Request [16]. Server -> client: LINK-Request [1], CONNECT [130], RELEASE [131],
// RELEASE-Notification [132], GET [133], SET [134], ACTION [135], REPORT-Notification [136],
// PROXY [137], SECURITY-Response [144], ERROR-Response [238].
// PIID: bit 7 priority, bits 0-5 the invoke id; PIID-ACD: bit 6 asks for the access demand (ACD).

export const APDU = {
  linkRequest: 1,
  connectRequest: 2,
  releaseRequest: 3,
  getRequest: 5,
  setRequest: 6,
  actionRequest: 7,
  reportResponse: 8,
  proxyRequest: 9,
  securityRequest: 16,
  linkResponse: 129,
  connectResponse: 130,
  releaseResponse: 131,
  releaseNotification: 132,
  getResponse: 133,
  setResponse: 134,
  actionResponse: 135,
  reportNotification: 136,
  proxyResponse: 137,
  securityResponse: 144,
  errorResponse: 238,
} as const;

export type LinkRequestType = 'login' | 'heartbeat' | 'logout';
const LINK_TYPES: LinkRequestType[] = ['login', 'heartbeat', 'logout'];

/** A-ResultNormal: an OAD and its value, or the reason (DAR) there is none. */
export interface ResultNormal {
  oad: Oad;
  value?: Data;
  dar?: number;
}

/** A-ResultRecord: the columns asked for (RCSD) and the rows, or a DAR. */
export interface ResultRecord {
  oad: Oad;
  columns: Csd[];
  rows?: Data[][];
  dar?: number;
}

export interface TimeTag {
  sent: DateTime;
  validity: { unit: number; value: number };
}

export type Apdu =
  | { kind: 'linkRequest'; piid: number; request: LinkRequestType; heartbeatSeconds: number; time: DateTime }
  | { kind: 'linkResponse'; piid: number; result: number; clockTrusted: boolean; requestTime: DateTime; receivedTime: DateTime; responseTime: DateTime }
  | { kind: 'getRequest'; piid: number; request: GetRequest; timeTag?: TimeTag }
  | { kind: 'getResponse'; piid: number; response: GetResponse; followReport?: FollowReport; timeTag?: TimeTag }
  | { kind: 'setRequest' | 'actionRequest'; piid: number; choice: number; items: Array<{ oad: Oad; value: Data }>; timeTag?: TimeTag }
  | { kind: 'setResponse' | 'actionResponse'; piid: number; choice: number; items: Array<{ oad: Oad; dar: number; value?: Data }> }
  | { kind: 'reportNotification'; piid: number; report: Report; timeTag?: TimeTag }
  | { kind: 'reportResponse'; piid: number; choice: number; oads: Oad[]; timeTag?: TimeTag }
  | { kind: 'proxyRequest' | 'proxyResponse'; piid: number; choice: number; body: Uint8Array }
  | { kind: 'connectRequest' | 'connectResponse' | 'releaseRequest' | 'releaseResponse' | 'releaseNotification'; piid: number; body: Uint8Array }
  | { kind: 'securityRequest' | 'securityResponse'; plain?: Uint8Array; ciphered?: Uint8Array; verification: { type: number; bytes: Uint8Array } | undefined; dar?: number }
  | { kind: 'errorResponse'; piid: number; error: number };

export type GetRequest =
  | { type: 'normal'; oad: Oad }
  | { type: 'normalList'; oads: Oad[] }
  | { type: 'record'; oad: Oad; rsd: Rsd; rcsd: Csd[] }
  | { type: 'recordList'; records: Array<{ oad: Oad; rsd: Rsd; rcsd: Csd[] }> }
  | { type: 'next'; lastBlock: number };

export type GetResponse =
  | { type: 'normal'; result: ResultNormal }
  | { type: 'normalList'; results: ResultNormal[] }
  | { type: 'record'; result: ResultRecord }
  | { type: 'recordList'; results: ResultRecord[] }
  | { type: 'next'; lastBlock: boolean; block: number; results?: ResultNormal[]; records?: ResultRecord[]; dar?: number };

export type Report = { type: 'list'; results: ResultNormal[] } | { type: 'recordList'; results: ResultRecord[] } | { type: 'transData'; body: Uint8Array };

export type FollowReport = { results: ResultNormal[] } | { records: ResultRecord[] };

const KIND_OF = new Map<number, Apdu['kind']>(Object.entries(APDU).map(([k, v]) => [v, k as Apdu['kind']]));

/** n items read in order (a plain loop: this is the hot path of every decoded answer). */
function repeat<T>(n: number, read: () => T): T[] {
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = read();
  return out;
}

function resultNormal(r: Reader): ResultNormal {
  const oad = r.oad();
  const c = r.u8('Get-Result');
  if (c === 0) return { oad, dar: r.u8('DAR') };
  if (c === 1) return { oad, value: r.data() };
  throw new AxdrError('RANGE', r.base + r.at - 1, `Get-Result choice ${c}`);
}

function resultRecord(r: Reader): ResultRecord {
  const oad = r.oad();
  const columns = r.rcsd();
  const c = r.u8('A-ResultRecord');
  if (c === 0) return { oad, columns, dar: r.u8('DAR') };
  if (c !== 1) throw new AxdrError('RANGE', r.base + r.at - 1, `A-ResultRecord choice ${c}`);
  const n = r.count('record rows');
  const rows: Data[][] = [];
  for (let i = 0; i < n; i++) rows.push(repeat(columns.length, () => r.data()));
  return { oad, columns, rows };
}

function timeTag(r: Reader): TimeTag | undefined {
  if (r.left === 0) return undefined;
  if (r.u8('TimeTag') === 0) return undefined;
  return { sent: r.dateTime(false), validity: r.ti() };
}

function followReport(r: Reader): FollowReport | undefined {
  if (r.left === 0) return undefined;
  if (r.u8('FollowReport') === 0) return undefined;
  const c = r.u8('FollowReport');
  const n = r.count('FollowReport');
  if (c === 1) return { results: Array.from({ length: n }, () => resultNormal(r)) };
  if (c === 2) return { records: Array.from({ length: n }, () => resultRecord(r)) };
  throw new AxdrError('RANGE', r.base + r.at - 1, `FollowReport choice ${c}`);
}

function getRequest(r: Reader, choice: number): GetRequest {
  switch (choice) {
    case 1:
      return { type: 'normal', oad: r.oad() };
    case 2:
      return { type: 'normalList', oads: Array.from({ length: r.count('GetRequestNormalList') }, () => r.oad()) };
    case 3:
      return { type: 'record', oad: r.oad(), rsd: r.rsd(), rcsd: r.rcsd() };
    case 4:
      return { type: 'recordList', records: Array.from({ length: r.count('GetRequestRecordList') }, () => ({ oad: r.oad(), rsd: r.rsd(), rcsd: r.rcsd() })) };
    case 5:
      return { type: 'next', lastBlock: r.u16('GetRequestNext') };
    default:
      throw new AxdrError('RANGE', r.base + r.at - 1, `GET-Request choice ${choice}`);
  }
}

function getResponse(r: Reader, choice: number): GetResponse {
  switch (choice) {
    case 1:
      return { type: 'normal', result: resultNormal(r) };
    case 2:
      return { type: 'normalList', results: repeat(r.count('GetResponseNormalList'), () => resultNormal(r)) };
    case 3:
      return { type: 'record', result: resultRecord(r) };
    case 4:
      return { type: 'recordList', results: repeat(r.count('GetResponseRecordList'), () => resultRecord(r)) };
    case 5: {
      const lastBlock = r.u8('GetResponseNext') !== 0;
      const block = r.u16('GetResponseNext');
      const c = r.u8('GetResponseNext');
      if (c === 0) return { type: 'next', lastBlock, block, dar: r.u8('DAR') };
      const n = r.count('GetResponseNext');
      if (c === 1) return { type: 'next', lastBlock, block, results: Array.from({ length: n }, () => resultNormal(r)) };
      if (c === 2) return { type: 'next', lastBlock, block, records: Array.from({ length: n }, () => resultRecord(r)) };
      throw new AxdrError('RANGE', r.base + r.at - 1, `GetResponseNext choice ${c}`);
    }
    default:
      throw new AxdrError('RANGE', r.base + r.at - 1, `GET-Response choice ${choice}`);
  }
}

function decode(r: Reader): Apdu {
  const tagAt = r.at;
  const tag = r.u8('APDU');
  const kind = KIND_OF.get(tag);
  if (!kind) throw new AxdrError('RANGE', r.base + tagAt, `unknown APDU ${tag}`);
  switch (kind) {
    case 'linkRequest': {
      const piid = r.u8('PIID-ACD');
      const t = r.u8('LINK-Request type');
      if (t > 2) throw new AxdrError('RANGE', r.base + r.at - 1, `LINK-Request type ${t}`);
      return { kind, piid, request: LINK_TYPES[t]!, heartbeatSeconds: r.u16('heartbeat period'), time: r.dateTime(true) };
    }
    case 'linkResponse': {
      const piid = r.u8('PIID');
      const result = r.u8('Result');
      return { kind, piid, result: result & 0x07, clockTrusted: (result & 0x80) !== 0, requestTime: r.dateTime(true), receivedTime: r.dateTime(true), responseTime: r.dateTime(true) };
    }
    case 'getRequest': {
      const choice = r.u8('GET-Request');
      const piid = r.u8('PIID');
      const request = getRequest(r, choice);
      const tt = timeTag(r);
      return { kind, piid, request, ...(tt ? { timeTag: tt } : {}) };
    }
    case 'getResponse': {
      const choice = r.u8('GET-Response');
      const piid = r.u8('PIID-ACD');
      const response = getResponse(r, choice);
      const fr = followReport(r);
      const tt = timeTag(r);
      return { kind, piid, response, ...(fr ? { followReport: fr } : {}), ...(tt ? { timeTag: tt } : {}) };
    }
    case 'setRequest':
    case 'actionRequest': {
      const choice = r.u8(kind);
      const piid = r.u8('PIID');
      const one = () => ({ oad: r.oad(), value: r.data() });
      const items = choice === 1 ? [one()] : choice === 2 ? Array.from({ length: r.count(kind) }, one) : (() => { throw new AxdrError('RANGE', r.base + r.at, `${kind} choice ${choice} (only Normal and NormalList are decoded)`); })();
      const tt = timeTag(r);
      return { kind, piid, choice, items, ...(tt ? { timeTag: tt } : {}) };
    }
    case 'setResponse':
    case 'actionResponse': {
      const choice = r.u8(kind);
      const piid = r.u8('PIID-ACD');
      const one = () => {
        const oad = r.oad();
        const dar = r.u8('DAR');
        if (kind === 'actionResponse' && r.left > 0 && r.u8('optional Data') === 1) return { oad, dar, value: r.data() };
        return { oad, dar };
      };
      const items = choice === 1 ? [one()] : Array.from({ length: r.count(kind) }, one);
      return { kind, piid, choice, items };
    }
    case 'reportNotification': {
      const choice = r.u8('REPORT-Notification');
      const piid = r.u8('PIID-ACD');
      let report: Report;
      if (choice === 1) report = { type: 'list', results: Array.from({ length: r.count('ReportNotificationList') }, () => resultNormal(r)) };
      else if (choice === 2) report = { type: 'recordList', results: Array.from({ length: r.count('ReportNotificationRecordList') }, () => resultRecord(r)) };
      else if (choice === 3) report = { type: 'transData', body: r.bytes(r.left, 'ReportNotificationTransData') };
      else throw new AxdrError('RANGE', r.base + r.at - 2, `REPORT-Notification choice ${choice}`);
      const tt = choice === 3 ? undefined : timeTag(r);
      return { kind, piid, report, ...(tt ? { timeTag: tt } : {}) };
    }
    case 'reportResponse': {
      const choice = r.u8('REPORT-Response');
      const piid = r.u8('PIID');
      const oads = Array.from({ length: r.count('REPORT-Response') }, () => r.oad());
      const tt = timeTag(r);
      return { kind, piid, choice, oads, ...(tt ? { timeTag: tt } : {}) };
    }
    case 'proxyRequest':
    case 'proxyResponse': {
      const choice = r.u8(kind);
      return { kind, piid: r.u8('PIID'), choice, body: r.bytes(r.left, kind) };
    }
    case 'connectRequest':
    case 'connectResponse':
    case 'releaseRequest':
    case 'releaseResponse':
    case 'releaseNotification':
      return { kind, piid: r.u8('PIID'), body: r.bytes(r.left, kind) };
    case 'securityRequest':
    case 'securityResponse': {
      // Data: CHOICE { [0] plain octet-string, [1] ciphered octet-string } (a response may carry a DAR
      // as [2]); then the verification: CHOICE { [0] SID_MAC, [1] RN, [2] RN_MAC, [3] SID } for a
      // request, OPTIONAL CHOICE { [0] MAC } for a response.
      const c = r.u8(kind);
      if (kind === 'securityResponse' && c === 2) return { kind, verification: undefined, dar: r.u8('DAR') };
      const body = r.bytes(r.length(kind), kind);
      let verification: { type: number; bytes: Uint8Array } | undefined;
      if (r.left > 0) {
        if (kind === 'securityResponse') {
          if (r.u8('optional MAC') === 1) verification = { type: r.u8('verification'), bytes: r.bytes(r.left, 'verification') };
        } else verification = { type: r.u8('verification'), bytes: r.bytes(r.left, 'verification') };
      }
      return { kind, ...(c === 0 ? { plain: body } : { ciphered: body }), verification };
    }
    case 'errorResponse':
      return { kind, piid: r.u8('PIID-ACD'), error: r.u8('error') };
  }
}

/** Decodes one APDU; `base` is the APDU's offset in its frame (for error offsets). */
export function decodeApdu(apdu: Uint8Array, base = 0): Result<Apdu> {
  try {
    return ok(decode(new Reader(apdu, 0, base)));
  } catch (e) {
    if (e instanceof AxdrError) return fail(e.code, e.offset, e.message);
    throw e;
  }
}

/** The APDU inside a plaintext SECURITY-Request/Response (with a MAC or not); other APDUs unchanged. */
export function unwrapSecurity(a: Apdu, base = 0): Result<{ apdu: Apdu; secured: boolean }> {
  if (a.kind !== 'securityRequest' && a.kind !== 'securityResponse') return ok({ apdu: a, secured: false });
  if (!a.plain) return fail('RANGE', base, a.ciphered ? 'ciphered SECURITY data needs the ESAM; only plaintext is decoded' : 'SECURITY-Response carries an error');
  const inner = decodeApdu(a.plain, base);
  return inner.ok ? ok({ apdu: inner.value, secured: true }) : inner;
}

// --- encoders ---------------------------------------------------------------------------------------

function writeTimeTag(w: Writer, t: TimeTag | undefined): void {
  if (!t) w.u8(0);
  else w.u8(1).dateTime(t.sent, false).u8(t.validity.unit).u16(t.validity.value);
}

function writeResultNormal(w: Writer, r: ResultNormal): void {
  w.oad(r.oad);
  if (r.value) w.u8(1).data(r.value);
  else w.u8(0).u8(r.dar ?? 255);
}

function writeResultRecord(w: Writer, r: ResultRecord): void {
  w.oad(r.oad).rcsd(r.columns);
  if (!r.rows) {
    w.u8(0).u8(r.dar ?? 255);
    return;
  }
  w.u8(1).length(r.rows.length);
  for (const row of r.rows) for (const d of row) w.data(d);
}

export function encodeApdu(a: Apdu): Uint8Array {
  const w = new Writer().u8(APDU[a.kind]);
  switch (a.kind) {
    case 'linkRequest':
      w.u8(a.piid).u8(LINK_TYPES.indexOf(a.request)).u16(a.heartbeatSeconds).dateTime(a.time, true);
      break;
    case 'linkResponse':
      w.u8(a.piid).u8((a.clockTrusted ? 0x80 : 0) | (a.result & 7)).dateTime(a.requestTime, true).dateTime(a.receivedTime, true).dateTime(a.responseTime, true);
      break;
    case 'getRequest': {
      const q = a.request;
      const choice = { normal: 1, normalList: 2, record: 3, recordList: 4, next: 5 }[q.type];
      w.u8(choice).u8(a.piid);
      if (q.type === 'normal') w.oad(q.oad);
      else if (q.type === 'normalList') {
        w.length(q.oads.length);
        for (const o of q.oads) w.oad(o);
      } else if (q.type === 'record') w.oad(q.oad).rsd(q.rsd).rcsd(q.rcsd);
      else if (q.type === 'recordList') {
        w.length(q.records.length);
        for (const x of q.records) w.oad(x.oad).rsd(x.rsd).rcsd(x.rcsd);
      } else w.u16(q.lastBlock);
      writeTimeTag(w, a.timeTag);
      break;
    }
    case 'getResponse': {
      const s = a.response;
      const choice = { normal: 1, normalList: 2, record: 3, recordList: 4, next: 5 }[s.type];
      w.u8(choice).u8(a.piid);
      if (s.type === 'normal') writeResultNormal(w, s.result);
      else if (s.type === 'normalList') {
        w.length(s.results.length);
        for (const x of s.results) writeResultNormal(w, x);
      } else if (s.type === 'record') writeResultRecord(w, s.result);
      else if (s.type === 'recordList') {
        w.length(s.results.length);
        for (const x of s.results) writeResultRecord(w, x);
      } else {
        w.u8(s.lastBlock ? 1 : 0).u16(s.block);
        if (s.results) {
          w.u8(1).length(s.results.length);
          for (const x of s.results) writeResultNormal(w, x);
        } else if (s.records) {
          w.u8(2).length(s.records.length);
          for (const x of s.records) writeResultRecord(w, x);
        } else w.u8(0).u8(s.dar ?? 255);
      }
      w.u8(0); // no FollowReport
      writeTimeTag(w, a.timeTag);
      break;
    }
    case 'setRequest':
    case 'actionRequest':
      w.u8(a.choice).u8(a.piid);
      if (a.choice !== 1) w.length(a.items.length);
      for (const i of a.items) w.oad(i.oad).data(i.value);
      writeTimeTag(w, a.timeTag);
      break;
    case 'setResponse':
    case 'actionResponse':
      w.u8(a.choice).u8(a.piid);
      if (a.choice !== 1) w.length(a.items.length);
      for (const i of a.items) {
        w.oad(i.oad).u8(i.dar);
        if (a.kind === 'actionResponse') {
          if (i.value) w.u8(1).data(i.value);
          else w.u8(0);
        }
      }
      w.u8(0).u8(0);
      break;
    case 'reportNotification': {
      const rep = a.report;
      w.u8(rep.type === 'list' ? 1 : rep.type === 'recordList' ? 2 : 3).u8(a.piid);
      if (rep.type === 'list') {
        w.length(rep.results.length);
        for (const x of rep.results) writeResultNormal(w, x);
      } else if (rep.type === 'recordList') {
        w.length(rep.results.length);
        for (const x of rep.results) writeResultRecord(w, x);
      } else w.bytes(rep.body);
      if (rep.type !== 'transData') writeTimeTag(w, a.timeTag);
      break;
    }
    case 'reportResponse':
      w.u8(a.choice).u8(a.piid).length(a.oads.length);
      for (const o of a.oads) w.oad(o);
      writeTimeTag(w, a.timeTag);
      break;
    case 'proxyRequest':
    case 'proxyResponse':
      w.u8(a.choice).u8(a.piid).bytes(a.body);
      break;
    case 'connectRequest':
    case 'connectResponse':
    case 'releaseRequest':
    case 'releaseResponse':
    case 'releaseNotification':
      w.u8(a.piid).bytes(a.body);
      break;
    case 'securityRequest':
    case 'securityResponse':
      if (a.dar !== undefined) w.u8(2).u8(a.dar);
      else {
        const body = a.plain ?? a.ciphered ?? new Uint8Array(0);
        w.u8(a.plain ? 0 : 1).length(body.length).bytes(body);
        if (a.kind === 'securityResponse') {
          if (a.verification) w.u8(1).u8(a.verification.type).bytes(a.verification.bytes);
          else w.u8(0);
        } else if (a.verification) w.u8(a.verification.type).bytes(a.verification.bytes);
      }
      break;
    case 'errorResponse':
      w.u8(a.piid).u8(a.error);
      break;
  }
  return w.finish();
}

/** The master's answer to a LINK-Request (login, heartbeat, logout): success, the three times. */
export function linkResponseFor(req: Extract<Apdu, { kind: 'linkRequest' }>, receivedAt: DateTime, respondedAt: DateTime): Apdu {
  return { kind: 'linkResponse', piid: req.piid & 0x3f, result: 0, clockTrusted: true, requestTime: req.time, receivedTime: receivedAt, responseTime: respondedAt };
}

/** The REPORT-Response a master sends for a REPORT-Notification: the OADs it received. */
export function reportResponseFor(n: Extract<Apdu, { kind: 'reportNotification' }>): Apdu {
  const oads = n.report.type === 'transData' ? [] : n.report.results.map((r) => r.oad);
  return { kind: 'reportResponse', piid: n.piid & 0x3f, choice: n.report.type === 'recordList' ? 2 : 1, oads };
}
