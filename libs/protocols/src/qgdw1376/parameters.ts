import { fail, ok, type Result } from '../common/errors';
import { encodeFn, encodePn, encodeQgdwFrame, type QgdwFrame } from './frame';
import { AFN, readDataUnitId } from './link';
import { PW_BYTES } from './forward';

// Terminal parameters: AFN 04H sets them (C = 4AH, CON set, the data units then PW), AFN 0AH queries
// them (C = 4AH; the terminal answers C = 88H with the same data units). Two of them here:
//
// F3, master station IP address and port (p0), 28 bytes:
//   primary IP (4 bytes, first octet first), primary port (BIN 2), backup IP (4), backup port (BIN 2),
//   APN (16 bytes ASCII, NUL padded).
// F10, meter / AC sampling device configuration (p0): n (BIN 2), then per device 27 bytes:
//   device number (BIN 2, 1..2040), measurement point (BIN 2, 0 = delete the device), rate and port
//   (BIN 1: D7-D5 rate code, D4-D0 port 1..31), protocol (BIN 1: 0 none, 1 DL/T 645-1997, 2 AC
//   sampling, 30 DL/T 645-2007, 31 narrow-band PLC module), address (A.12, 6 bytes BCD, lowest digits
//   first), password (BIN 6), tariffs (BIN 1, D5-D0), register digits (BIN 1: D3-D2 integer digits - 4,
//   D1-D0 decimal digits - 1), collector address (A.12), user class (BIN 1: D7-D4 major, D3-D0 minor).
// A query of F10 names the device numbers it wants: n (BIN 2) then n device numbers (BIN 2 each).

export interface MasterStationAddress {
  primary: { ip: string; port: number };
  backup: { ip: string; port: number };
  apn: string;
}

export interface MeterConfig {
  device: number;
  /** Measurement point; 0 deletes the device's configuration. */
  pn: number;
  /** Rate code 0..7: 0 default, 1 600, 2 1200, 3 2400, 4 4800, 5 7200, 6 9600, 7 19200 baud. */
  rateCode: number;
  /** Terminal port 1..31. */
  port: number;
  /** 0 none, 1 DL/T 645-1997, 2 AC sampling, 30 DL/T 645-2007, 31 PLC module. */
  protocol: number;
  /** 12 decimal digits. */
  address: string;
  /** 6 bytes, as hex (12 characters). */
  password: string;
  tariffs: number;
  /** 4..7 */
  integerDigits: number;
  /** 1..4 */
  decimalDigits: number;
  /** 12 decimal digits; all zeros when the meter is not behind a collector. */
  collector: string;
  userMajor: number;
  userMinor: number;
}

export const BAUD_OF_RATE_CODE = [0, 600, 1200, 2400, 4800, 7200, 9600, 19200] as const;
const F10_DEVICE_BYTES = 27;
const F3_BYTES = 28;

export type ParameterItem = { fn: 3; value: MasterStationAddress } | { fn: 10; value: MeterConfig[] };
export type ParameterQuery = { fn: 3 } | { fn: 10; devices: number[] };

// --- field codecs -----------------------------------------------------------------------------------

function putA12(digits: string, out: number[], what: string): Result<void> {
  if (!/^\d{12}$/.test(digits)) return fail('RANGE', 0, `${what} must be 12 digits, got ${JSON.stringify(digits)}`);
  for (let i = 0; i < 6; i++) {
    const pair = digits.slice(10 - 2 * i, 12 - 2 * i);
    out.push((Number(pair[0]) << 4) | Number(pair[1]));
  }
  return ok(undefined);
}

function getA12(b: Uint8Array, at: number, what: string): Result<string> {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const v = b[at + i]!;
    if ((v >> 4) > 9 || (v & 0x0f) > 9) return fail('BAD_BCD', at + i, `${what} is not BCD`);
    s += `${v >> 4}${v & 0x0f}`;
  }
  return ok(s);
}

function putIp(ip: string, out: number[], what: string): Result<void> {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return fail('RANGE', 0, `${what} ${JSON.stringify(ip)} is not an IPv4 address`);
  out.push(...parts);
  return ok(undefined);
}

const port16 = (p: number, out: number[]) => out.push(p & 0xff, (p >> 8) & 0xff);
const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);

function putF3(v: MasterStationAddress, out: number[]): Result<void> {
  for (const [w, a] of [['primary', v.primary], ['backup', v.backup]] as const) {
    const r = putIp(a.ip, out, `${w} IP`);
    if (!r.ok) return r;
    if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) return fail('RANGE', 0, `${w} port ${a.port} out of range`);
    port16(a.port, out);
  }
  const apn = Buffer.from(v.apn, 'ascii');
  if (apn.length > 16 || /[^\x20-\x7e]/.test(v.apn)) return fail('RANGE', 0, 'APN: at most 16 printable ASCII characters');
  for (let i = 0; i < 16; i++) out.push(apn[i] ?? 0);
  return ok(undefined);
}

function getF3(b: Uint8Array, at: number): Result<MasterStationAddress> {
  if (at + F3_BYTES > b.length) return fail('TRUNCATED', at, `F3 needs ${F3_BYTES} bytes, ${b.length - at} left`);
  const ip = (p: number) => `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
  const apnBytes = b.subarray(at + 12, at + 28);
  const end = apnBytes.indexOf(0);
  return ok({ primary: { ip: ip(at), port: u16(b, at + 4) }, backup: { ip: ip(at + 6), port: u16(b, at + 10) }, apn: Buffer.from(end < 0 ? apnBytes : apnBytes.subarray(0, end)).toString('ascii') });
}

function putDevice(d: MeterConfig, out: number[]): Result<void> {
  const problems: string[] = [];
  if (!(d.device >= 1 && d.device <= 2040)) problems.push(`device number ${d.device} not in 1..2040`);
  if (!(d.pn >= 0 && d.pn <= 2040)) problems.push(`measurement point ${d.pn} not in 0..2040`);
  if (!(d.rateCode >= 0 && d.rateCode <= 7)) problems.push(`rate code ${d.rateCode} not in 0..7`);
  if (!(d.port >= 1 && d.port <= 31)) problems.push(`port ${d.port} not in 1..31`);
  if (!(d.protocol >= 0 && d.protocol <= 255)) problems.push(`protocol ${d.protocol} not a byte`);
  if (!/^[0-9a-fA-F]{12}$/.test(d.password)) problems.push('password must be 6 bytes as 12 hex characters');
  if (!(d.tariffs >= 0 && d.tariffs <= 63)) problems.push(`tariffs ${d.tariffs} not in 0..63`);
  if (!(d.integerDigits >= 4 && d.integerDigits <= 7)) problems.push(`integer digits ${d.integerDigits} not in 4..7`);
  if (!(d.decimalDigits >= 1 && d.decimalDigits <= 4)) problems.push(`decimal digits ${d.decimalDigits} not in 1..4`);
  if (!(d.userMajor >= 0 && d.userMajor <= 15 && d.userMinor >= 0 && d.userMinor <= 15)) problems.push('user classes must be 0..15');
  if (problems.length) return fail('RANGE', 0, `device ${d.device}: ${problems.join('; ')}`);
  port16(d.device, out);
  port16(d.pn, out);
  out.push((d.rateCode << 5) | d.port, d.protocol);
  const a = putA12(d.address, out, `device ${d.device} address`);
  if (!a.ok) return a;
  out.push(...Buffer.from(d.password, 'hex'));
  out.push(d.tariffs, ((d.integerDigits - 4) << 2) | (d.decimalDigits - 1));
  const c = putA12(d.collector, out, `device ${d.device} collector address`);
  if (!c.ok) return c;
  out.push((d.userMajor << 4) | d.userMinor);
  return ok(undefined);
}

function getDevices(b: Uint8Array, at: number): Result<{ devices: MeterConfig[]; next: number }> {
  if (at + 2 > b.length) return fail('TRUNCATED', at, 'F10 needs its device count');
  const n = u16(b, at);
  let p = at + 2;
  if (p + n * F10_DEVICE_BYTES > b.length) return fail('TRUNCATED', p, `F10 with ${n} devices needs ${n * F10_DEVICE_BYTES} bytes, ${b.length - p} left`);
  const devices: MeterConfig[] = [];
  for (let k = 0; k < n; k++, p += F10_DEVICE_BYTES) {
    const address = getA12(b, p + 6, 'meter address');
    if (!address.ok) return address;
    const collector = getA12(b, p + 20, 'collector address');
    if (!collector.ok) return collector;
    devices.push({
      device: u16(b, p),
      pn: u16(b, p + 2),
      rateCode: b[p + 4]! >> 5,
      port: b[p + 4]! & 0x1f,
      protocol: b[p + 5]!,
      address: address.value,
      password: Buffer.from(b.subarray(p + 12, p + 18)).toString('hex'),
      tariffs: b[p + 18]! & 0x3f,
      integerDigits: ((b[p + 19]! >> 2) & 0x03) + 4,
      decimalDigits: (b[p + 19]! & 0x03) + 1,
      collector: collector.value,
      userMajor: b[p + 26]! >> 4,
      userMinor: b[p + 26]! & 0x0f,
    });
  }
  return ok({ devices, next: p });
}

const shift = <T>(r: Result<T>, by: number): Result<T> => (r.ok ? r : { ok: false, error: { ...r.error, offset: r.error.offset + by } });

function putItems(items: readonly ParameterItem[], body: number[]): Result<void> {
  for (const it of items) {
    body.push(...encodePn(0), ...encodeFn(it.fn));
    const r = it.fn === 3 ? putF3(it.value, body) : ((): Result<void> => {
      if (it.value.length > 0xffff) return fail('RANGE', 0, 'too many devices');
      port16(it.value.length, body);
      for (const d of it.value) {
        const x = putDevice(d, body);
        if (!x.ok) return x;
      }
      return ok(undefined);
    })();
    if (!r.ok) return r;
  }
  return ok(undefined);
}

function getItems(frame: QgdwFrame, limit: number): Result<ParameterItem[]> {
  const b = frame.body;
  const out: ParameterItem[] = [];
  let p = 0;
  while (p < limit) {
    const id = readDataUnitId(b, p);
    if (!id.ok) return shift(id, frame.bodyOffset);
    const fn = id.value.fn.length === 1 ? id.value.fn[0] : undefined;
    if (id.value.pn === 'all' || id.value.pn.length !== 1 || id.value.pn[0] !== 0) return fail('RANGE', frame.bodyOffset + p, 'terminal parameters are set and read at p0');
    p += 4;
    if (fn === 3) {
      const v = getF3(b.subarray(0, limit), p);
      if (!v.ok) return shift(v, frame.bodyOffset);
      out.push({ fn: 3, value: v.value });
      p += F3_BYTES;
    } else if (fn === 10) {
      const v = getDevices(b.subarray(0, limit), p);
      if (!v.ok) return shift(v, frame.bodyOffset);
      out.push({ fn: 10, value: v.value.devices });
      p = v.value.next;
    } else return fail('RANGE', frame.bodyOffset + p - 2, `parameter F${id.value.fn.join(', F')} not supported (F3, F10)`);
  }
  return ok(out);
}

// --- AFN 04H ----------------------------------------------------------------------------------------

/** Master -> terminal: set parameters (CON set; the terminal confirms or denies with AFN 00H). */
export function encodeSetParameters(address: QgdwFrame['address'], pseq: number, items: readonly ParameterItem[], password: Uint8Array = new Uint8Array(PW_BYTES)): Result<Uint8Array> {
  if (password.length !== PW_BYTES) return fail('RANGE', 0, `PW must be ${PW_BYTES} bytes`);
  if (items.length === 0) return fail('RANGE', 0, 'nothing to set');
  const body: number[] = [];
  const r = putItems(items, body);
  if (!r.ok) return r;
  body.push(...password);
  return encodeQgdwFrame({ control: 0x4a, address, afn: AFN.setParameters, seq: 0x70 | (pseq & 0x0f), body: Uint8Array.from(body) });
}

/** Terminal side (simulator, captured downlink): the items and the PW of an AFN 04H frame. */
export function decodeSetParameters(frame: QgdwFrame): Result<{ items: ParameterItem[]; password: Uint8Array }> {
  if (frame.afn !== AFN.setParameters) return fail('RANGE', 12, `AFN ${frame.afn} is not 04H`);
  const limit = frame.body.length - PW_BYTES - (frame.seq.tpv ? 6 : 0);
  if (limit < 4) return fail('TRUNCATED', frame.bodyOffset + frame.body.length, 'AFN 04H without data units and PW');
  const items = getItems(frame, limit);
  if (!items.ok) return items;
  return ok({ items: items.value, password: frame.body.slice(limit, limit + PW_BYTES) });
}

// --- AFN 0AH ----------------------------------------------------------------------------------------

/** Master -> terminal: query parameters (F3: no data; F10: the device numbers wanted). */
export function encodeQueryParameters(address: QgdwFrame['address'], pseq: number, queries: readonly ParameterQuery[]): Result<Uint8Array> {
  if (queries.length === 0) return fail('RANGE', 0, 'nothing to query');
  const body: number[] = [];
  for (const q of queries) {
    body.push(...encodePn(0), ...encodeFn(q.fn));
    if (q.fn === 10) {
      if (q.devices.length === 0 || q.devices.length > 0xffff) return fail('RANGE', 0, 'F10 query: 1.. device numbers');
      port16(q.devices.length, body);
      for (const d of q.devices) {
        if (!(d >= 1 && d <= 2040)) return fail('RANGE', 0, `device number ${d} not in 1..2040`);
        port16(d, body);
      }
    }
  }
  return encodeQgdwFrame({ control: 0x4a, address, afn: AFN.queryParameters, seq: 0x60 | (pseq & 0x0f), body: Uint8Array.from(body) });
}

/** Terminal side: what an AFN 0AH frame asks for. */
export function decodeQueryParameters(frame: QgdwFrame): Result<ParameterQuery[]> {
  if (frame.afn !== AFN.queryParameters) return fail('RANGE', 12, `AFN ${frame.afn} is not 0AH`);
  const b = frame.body;
  const limit = b.length - (frame.seq.tpv ? 6 : 0);
  const out: ParameterQuery[] = [];
  let p = 0;
  while (p < limit) {
    const id = readDataUnitId(b, p);
    if (!id.ok) return shift(id, frame.bodyOffset);
    const fn = id.value.fn.length === 1 ? id.value.fn[0] : undefined;
    p += 4;
    if (fn === 3) out.push({ fn: 3 });
    else if (fn === 10) {
      if (p + 2 > limit) return fail('TRUNCATED', frame.bodyOffset + p, 'F10 query needs its device count');
      const n = u16(b, p);
      p += 2;
      if (p + 2 * n > limit) return fail('TRUNCATED', frame.bodyOffset + p, `F10 query of ${n} devices needs ${2 * n} bytes`);
      const devices = Array.from({ length: n }, (_, k) => u16(b, p + 2 * k));
      p += 2 * n;
      out.push({ fn: 10, devices });
    } else return fail('RANGE', frame.bodyOffset + p - 2, `parameter F${id.value.fn.join(', F')} not supported (F3, F10)`);
  }
  return ok(out);
}

/** Terminal -> master: the parameters asked for (C = 88H). */
export function encodeQueryParametersResponse(address: QgdwFrame['address'], rseq: number, items: readonly ParameterItem[]): Result<Uint8Array> {
  const body: number[] = [];
  const r = putItems(items, body);
  if (!r.ok) return r;
  return encodeQgdwFrame({ control: 0x88, address, afn: AFN.queryParameters, seq: 0x60 | (rseq & 0x0f), body: Uint8Array.from(body) });
}

/** The station's view of a terminal's AFN 0AH answer. */
export function decodeQueryParametersResponse(frame: QgdwFrame): Result<ParameterItem[]> {
  if (frame.afn !== AFN.queryParameters) return fail('RANGE', 12, `AFN ${frame.afn} is not 0AH`);
  const aux = (frame.control.up && frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
  return getItems(frame, frame.body.length - aux);
}

// --- read-only views of common parameters (inspector) ---------------------------------------------

const bcdByte = (b: number) => (b >> 4) * 10 + (b & 0x0f);

/**
 * The fields of parameter Fn data the station does not set but engineers read in captures:
 * F1 uplink communication (RTS delay x 20 ms, send delay s, answer timeout s D0-D11 and retries D12-D13,
 * which classes need confirmation, heartbeat minutes), F25 measurement point basics (PT and CT ratios,
 * rated voltage A.7, rated current XX.X A (A.22), rated apparent power XX.XXXX kVA (A.23), connection).
 * Undefined for other Fn or a wrong length.
 */
export function describeParameterData(fn: number, d: Uint8Array): Record<string, number | string | boolean> | undefined {
  if (fn === 1 && d.length === 6) {
    const t = d[2]! | (d[3]! << 8);
    return { rtsDelayMs: d[0]! * 20, sendDelaySeconds: d[1]!, answerTimeoutSeconds: t & 0x0fff, retries: (t >> 12) & 0x03, confirmClass1: (d[4]! & 1) !== 0, confirmClass2: (d[4]! & 2) !== 0, confirmClass3: (d[4]! & 4) !== 0, heartbeatMinutes: d[5]! };
  }
  if (fn === 25 && d.length === 11) {
    const voltage = bcdByte(d[5]!) * 10 + bcdByte(d[4]!) / 10;
    const current = bcdByte(d[6]!) / 10;
    const load = bcdByte(d[9]!) + bcdByte(d[8]!) / 100 + bcdByte(d[7]!) / 10_000;
    const connection = ['', 'three-phase three-wire', 'three-phase four-wire', 'single-phase'][d[10]! & 0x03] ?? '';
    return { ptRatio: u16(d, 0), ctRatio: u16(d, 2), ratedVoltage: Math.round(voltage * 10) / 10, ratedCurrent: current, ratedLoadKva: Math.round(load * 10_000) / 10_000, connection, ...(connection === 'single-phase' ? { phase: ['', 'A', 'B', 'C'][(d[10]! >> 2) & 0x03] ?? '' } : {}) };
  }
  return undefined;
}
