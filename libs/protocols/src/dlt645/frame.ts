import { addOffset33, checksum8, removeOffset33 } from '../common/bytes';
import { fail, ok, type CodecError, type Result } from '../common/errors';
import { decodeTime, encodeTime } from '../common/time';
import { Unit } from '@gridstation/contracts';
import { bcd, decodeBcd, encodeBcd, type BcdFormat, type DeviceTime } from '../common/values';
import { lookup1997, lookup2007, type DataItemDef, type FieldDef } from './registry';

// DL/T 645-2007 (and -1997) frames:
//   68 | A0..A5 | 68 | C | L | DATA (each byte + 33H) | CS | 16
// A: six BCD bytes, lowest first (AA = wildcard digit pair, 99..99 = broadcast). C: D7 direction
// (1 = from the meter), D6 abnormal reply, D5 follow-up frames, D4..D0 function. L: data length.
// CS: sum of every byte from the first 68 to the last data byte, modulo 256.

export const DLT645_HEADER = 10; // 68 + address + 68 + C + L
export const DLT645_OVERHEAD = 12; // header + CS + 16
/** Longest frame: L is one byte. */
export const DLT645_MAX_FRAME = DLT645_OVERHEAD + 255;

export type Dlt645Version = '2007' | '1997';

export const FN_2007 = {
  broadcastTime: 0x08,
  read: 0x11,
  readFollowUp: 0x12,
  readAddress: 0x13,
  write: 0x14,
  writeAddress: 0x15,
  freeze: 0x16,
  changeBaud: 0x17,
  changePassword: 0x18,
  resetDemand: 0x19,
  resetMeter: 0x1a,
  resetEvents: 0x1b,
} as const;

export const FN_1997 = {
  read: 0x01,
  readFollowUp: 0x02,
  reread: 0x03,
  write: 0x04,
  broadcastTime: 0x08,
  writeAddress: 0x0a,
  changeBaud: 0x0c,
  changePassword: 0x0f,
  resetDemand: 0x10,
} as const;

const FUNCTION_NAMES: Record<number, string> = {
  0x08: 'broadcast time',
  0x11: 'read data',
  0x12: 'read follow-up data',
  0x13: 'read address',
  0x14: 'write data',
  0x15: 'write address',
  0x16: 'freeze',
  0x17: 'change baud rate',
  0x18: 'change password',
  0x19: 'reset maximum demand',
  0x1a: 'reset meter',
  0x1b: 'reset events',
  0x01: 'read data (1997)',
  0x02: 'read follow-up data (1997)',
  0x03: 'reread (1997)',
  0x04: 'write data (1997)',
  0x0a: 'write address (1997)',
  0x0c: 'change baud rate (1997)',
  0x0f: 'change password (1997)',
  0x10: 'reset maximum demand (1997)',
};

export interface Dlt645Control {
  raw: number;
  /** true: meter -> master. */
  fromMeter: boolean;
  abnormal: boolean;
  followUp: boolean;
  fn: number;
  fnName: string;
}

export function parseControl(c: number): Dlt645Control {
  const fn = c & 0x1f;
  return { raw: c, fromMeter: (c & 0x80) !== 0, abnormal: (c & 0x40) !== 0, followUp: (c & 0x20) !== 0, fn, fnName: FUNCTION_NAMES[fn] ?? 'reserved' };
}

/** The protocol generation follows from the function code: 1997 and 2007 use disjoint codes except 08H. */
export function versionOf(fn: number): Dlt645Version {
  return fn >= 0x11 || fn === 0x08 ? '2007' : '1997';
}

export interface Dlt645Frame {
  /** 12 characters, most significant digit first; 'A' marks a wildcard digit. */
  address: string;
  control: Dlt645Control;
  version: Dlt645Version;
  /** Data field with the 33H offset removed. */
  data: Uint8Array;
  checksum: number;
  /** Total frame length in bytes. */
  length: number;
}

// Two characters per address byte: BCD digits, 'A' for a wildcard nibble, '' when neither.
const ADDRESS_PAIRS: string[] = Array.from({ length: 256 }, (_, b) => {
  const n = (x: number) => (x <= 9 ? String(x) : x === 0x0a ? 'A' : '');
  const hi = n(b >> 4);
  const lo = n(b & 0x0f);
  return hi && lo ? hi + lo : '';
});

function addressText(buf: Uint8Array, at: number): Result<string> {
  let s = '';
  for (let i = at + 5; i >= at; i--) {
    const pair = ADDRESS_PAIRS[buf[i]!]!;
    if (pair === '') return fail('BAD_BCD', i, `address byte 0x${buf[i]!.toString(16).padStart(2, '0')} at ${i} is neither BCD nor wildcard`);
    s += pair;
  }
  return ok(s);
}

/** The meter address (A5 first: the digits as printed on the meter) of what looks like a frame's header, unchecked otherwise. */
export function peekDlt645Address(buf: Uint8Array, offset = 0): Result<string> {
  if (buf.length - offset < 8 || buf[offset] !== 0x68 || buf[offset + 7] !== 0x68) return fail('TRUNCATED', offset, 'not a DL/T 645 header (68H A0..A5 68H)');
  return addressText(buf, offset + 1);
}

/** Decodes one frame that starts at `offset` (no FE wake-up bytes). Offsets in errors are absolute. */
export function decodeDlt645Frame(buf: Uint8Array, offset = 0): Result<Dlt645Frame> {
  const avail = buf.length - offset;
  if (avail < DLT645_OVERHEAD) return fail('TRUNCATED', buf.length, `DL/T 645 frame needs at least ${DLT645_OVERHEAD} bytes, ${avail} left`);
  if (buf[offset] !== 0x68) return fail('LENGTH_MISMATCH', offset, 'frame does not start with 68H');
  if (buf[offset + 7] !== 0x68) return fail('LENGTH_MISMATCH', offset + 7, 'second start byte 68H missing after the address');
  const len = buf[offset + 9]!;
  const total = DLT645_OVERHEAD + len;
  if (avail < total) return fail('TRUNCATED', buf.length, `frame declares ${len} data bytes, needs ${total} bytes, ${avail} left`);
  const csAt = offset + DLT645_HEADER + len;
  const cs = checksum8(buf, offset, csAt);
  if (cs !== buf[csAt]) return fail('CHECKSUM', csAt, `checksum ${hex(buf[csAt]!)} at ${csAt}, computed ${hex(cs)}`);
  if (buf[csAt + 1] !== 0x16) return fail('LENGTH_MISMATCH', csAt + 1, `end byte ${hex(buf[csAt + 1]!)} at ${csAt + 1}, expected 16H`);
  const address = addressText(buf, offset + 1);
  if (!address.ok) return address;
  const control = parseControl(buf[offset + 8]!);
  return ok({
    address: address.value,
    control,
    version: versionOf(control.fn),
    data: removeOffset33(buf.subarray(offset + DLT645_HEADER, csAt)),
    checksum: cs,
    length: total,
  });
}

const hex = (b: number) => `${b.toString(16).toUpperCase().padStart(2, '0')}H`;

// ---- interpretation of the data field ------------------------------------------------------------------

export type FieldValue = number | DeviceTime | string | null;

export interface DecodedField {
  name: string;
  value: FieldValue;
  quantity?: string;
  unit?: number;
  /** Position in the block: 0 = total, n = tariff n (blocks only). */
  tariff?: number;
  /** The time the value belongs to, when the item says (load profile records); otherwise "now". */
  at?: DeviceTime;
}

export interface Dlt645Payload {
  kind: 'read-request' | 'read-reply' | 'error-reply' | 'time-sync' | 'address' | 'other';
  /** Data identifier, hex, most significant byte first. */
  di?: string;
  item?: DataItemDef;
  fields?: DecodedField[];
  /** Error reply: the error byte and the names of the bits set. */
  errorBits?: number;
  errors?: string[];
  /** Follow-up frame sequence number (read follow-up replies). */
  seq?: number;
  /** Recognised frame whose identifier is not in the registry: value bytes kept as they are. */
  unsupported?: { reason: string; raw: Uint8Array };
  time?: DeviceTime;
}

const ERR_2007 = ['other error', 'no requested data', 'password error or unauthorised', 'baud rate cannot be changed', 'too many annual time zones', 'too many daily periods', 'too many tariffs', 'reserved'];
const ERR_1997 = ['illegal data', 'data identifier error', 'password error', 'reserved', 'too many annual time zones', 'too many daily periods', 'too many tariffs', 'reserved'];

export function errorNames(bits: number, version: Dlt645Version): string[] {
  const names = version === '2007' ? ERR_2007 : ERR_1997;
  return names.filter((_, i) => (bits & (1 << i)) !== 0);
}

function readDi(data: Uint8Array, version: Dlt645Version): number {
  if (version === '2007') return ((data[3]! << 24) | (data[2]! << 16) | (data[1]! << 8) | data[0]!) >>> 0;
  return (data[1]! << 8) | data[0]!;
}

function decodeField(data: Uint8Array, at: number, f: FieldDef, tariff?: number): Result<DecodedField> {
  let value: FieldValue;
  switch (f.format.kind) {
    case 'bcd': {
      const v = decodeBcd(data, at, f.format);
      if (!v.ok) return v;
      value = v.value;
      break;
    }
    case 'time': {
      const v = decodeTime(data, at, f.format);
      if (!v.ok) return v;
      value = v.value;
      break;
    }
    case 'hex': {
      let s = '';
      for (let i = at + f.format.bytes - 1; i >= at; i--) s += data[i]!.toString(16).toUpperCase().padStart(2, '0');
      value = s;
      break;
    }
    case 'ascii': {
      let s = '';
      for (let i = at + f.format.bytes - 1; i >= at; i--) s += String.fromCharCode(data[i]!);
      value = s.replace(/[\0 ]+$/, '');
      break;
    }
  }
  const out: DecodedField = { name: f.name, value };
  if (f.quantity !== undefined) out.quantity = f.quantity;
  if (f.unit !== undefined) out.unit = f.unit;
  if (tariff !== undefined) out.tariff = tariff;
  return ok(out);
}

/** Decodes the values of a data item from `data` starting at `at`; errors carry offsets within `data`. */
export function decodeItemValues(item: DataItemDef, data: Uint8Array, at: number, end: number): Result<DecodedField[]> {
  const out: DecodedField[] = [];
  let p = at;
  for (const f of item.fields) {
    if (p + f.format.bytes > end) return fail('LENGTH_MISMATCH', p, `${item.id} needs ${f.format.bytes} more bytes for ${f.name}, ${end - p} left`);
    const v = decodeField(data, p, f);
    if (!v.ok) return v;
    out.push(v.value);
    p += f.format.bytes;
  }
  if (item.loadRecords) return decodeLoadRecords(item, data, p, end);
  if (item.repeatedGroup) {
    const size = item.repeatedGroup.reduce((n, f) => n + f.format.bytes, 0);
    if ((end - p) % size !== 0 || end - p < size) return fail('LENGTH_MISMATCH', p, `${item.id} block of ${end - p} bytes is not a whole number of ${size}-byte groups`);
    for (let t = 0; p < end; t++) {
      for (const f of item.repeatedGroup) {
        const v = decodeField(data, p, f, t);
        if (!v.ok) return v;
        out.push(v.value);
        p += f.format.bytes;
      }
    }
  }
  if (item.repeated) {
    const size = item.repeated.format.bytes;
    if ((end - p) % size !== 0 || end - p < size) return fail('LENGTH_MISMATCH', p, `${item.id} block of ${end - p} bytes is not a whole number of ${size}-byte values`);
    for (let t = 0; p < end; t++, p += size) {
      const v = decodeField(data, p, item.repeated, t);
      if (!v.ok) return v;
      out.push(v.value);
    }
  }
  if (p !== end) return fail('LENGTH_MISMATCH', p, `${item.id} has ${end - p} unexpected trailing bytes`);
  return ok(out);
}

/** The six classes of a load profile record: their values, each block ended by AAH. */
export const LOAD_CLASSES: ReadonlyArray<ReadonlyArray<FieldDef>> = (() => {
  const f = (name: string, format: FieldDef['format'], quantity: string, unit: Unit): FieldDef => ({ name, format, quantity, unit });
  const ph = ['a', 'b', 'c'];
  const tp = ['total', 'a', 'b', 'c'];
  return [
    [...ph.map((p) => f(`voltage ${p}`, bcd(2, 1), `voltage.${p}`, Unit.UNIT_V)), ...ph.map((p) => f(`current ${p}`, bcd(3, 3, true), `current.${p}`, Unit.UNIT_A)), f('frequency', bcd(2, 2), 'frequency', Unit.UNIT_HZ)],
    [...tp.map((p) => f(`active power ${p}`, bcd(3, 4, true), `power.active.${p}`, Unit.UNIT_KW)), ...tp.map((p) => f(`reactive power ${p}`, bcd(3, 4, true), `power.reactive.${p}`, Unit.UNIT_KVAR))],
    tp.map((p) => f(`power factor ${p}`, bcd(2, 3, true), `power_factor.${p}`, Unit.UNIT_NONE)),
    [
      f('forward active energy', bcd(4, 2), 'energy.active.import', Unit.UNIT_KWH),
      f('reverse active energy', bcd(4, 2), 'energy.active.export', Unit.UNIT_KWH),
      f('combined reactive energy 1', bcd(4, 2), 'energy.reactive.combined1', Unit.UNIT_KVARH),
      f('combined reactive energy 2', bcd(4, 2), 'energy.reactive.combined2', Unit.UNIT_KVARH),
    ],
    (['q1', 'q2', 'q3', 'q4'] as const).map((q) => f(`reactive energy ${q}`, bcd(4, 2), `energy.reactive.${q}`, Unit.UNIT_KVARH)),
    [f('active demand', bcd(3, 4), 'demand.active', Unit.UNIT_KW), f('reactive demand', bcd(3, 4), 'demand.reactive', Unit.UNIT_KVAR)],
  ];
})();

const LOAD_TIME = { kind: 'time', layout: 'YYMMDDhhmm', bytes: 5 } as const;

/** Load profile records back to back: A0 A0 | length | YYMMDDhhmm | 6 x (class block, AA) | sum | E5. */
function decodeLoadRecords(item: DataItemDef, data: Uint8Array, at: number, end: number): Result<DecodedField[]> {
  const out: DecodedField[] = [];
  let p = at;
  while (p < end) {
    if (p + 3 > end || data[p] !== 0xa0 || data[p + 1] !== 0xa0) return fail('RANGE', p, `${item.id}: a load record starts with A0H A0H`);
    const n = data[p + 2]!; // bytes from the time to the last AAH
    const bodyAt = p + 3;
    const sumAt = bodyAt + n;
    if (sumAt + 2 > end) return fail('LENGTH_MISMATCH', p + 2, `${item.id}: load record of ${n} bytes, ${end - bodyAt} left`);
    if (data[sumAt + 1] !== 0xe5) return fail('RANGE', sumAt + 1, `${item.id}: a load record ends with E5H`);
    let sum = 0;
    for (let i = p; i < sumAt; i++) sum = (sum + data[i]!) & 0xff;
    if (sum !== data[sumAt]) return fail('CHECKSUM', sumAt, `${item.id}: load record sum ${hex(data[sumAt]!)}, computed ${hex(sum)}`);
    const t = decodeTime(data, bodyAt, LOAD_TIME);
    if (!t.ok) return t;
    let q = bodyAt + 5;
    for (const cls of LOAD_CLASSES) {
      if (q >= sumAt) return fail('LENGTH_MISMATCH', q, `${item.id}: load record ends before all six classes`);
      if (data[q] !== 0xaa) {
        for (const f of cls) {
          if (q + f.format.bytes > sumAt) return fail('LENGTH_MISMATCH', q, `${item.id}: ${f.name} cut off`);
          const v = decodeField(data, q, f);
          if (!v.ok) return v;
          out.push(t.value ? { ...v.value, at: t.value } : v.value);
          q += f.format.bytes;
        }
        if (data[q] !== 0xaa) return fail('RANGE', q, `${item.id}: class block not ended by AAH`);
      }
      q++;
    }
    if (q !== sumAt) return fail('LENGTH_MISMATCH', q, `${item.id}: ${sumAt - q} bytes after the sixth class`);
    p = sumAt + 2;
  }
  return ok(out);
}

export interface LoadRecordToEncode {
  at: DeviceTime;
  /** Per class (six), its values in LOAD_CLASSES order, or undefined when the class is not recorded. */
  classes: ReadonlyArray<readonly number[] | undefined>;
}

/** The data of a load profile reply (meter side: simulator, tests): the records back to back. */
export function encodeLoadRecords(records: readonly LoadRecordToEncode[]): Result<Uint8Array> {
  const out: number[] = [];
  for (const r of records) {
    const body: number[] = [];
    const t = new Uint8Array(5);
    encodeTime(r.at, LOAD_TIME, t, 0);
    body.push(...t);
    for (let c = 0; c < 6; c++) {
      const values = r.classes[c];
      if (values) {
        const cls = LOAD_CLASSES[c]!;
        if (values.length !== cls.length) return fail('RANGE', 0, `load class ${c + 1} takes ${cls.length} values`);
        for (let k = 0; k < cls.length; k++) {
          const f = cls[k]!.format as BcdFormat;
          const b = new Uint8Array(f.bytes);
          const e = encodeBcd(values[k]!, f, b, 0);
          if (!e.ok) return e;
          body.push(...b);
        }
      }
      body.push(0xaa);
    }
    const rec = [0xa0, 0xa0, body.length, ...body];
    out.push(...rec, rec.reduce((a, b) => (a + b) & 0xff, 0), 0xe5);
  }
  return ok(Uint8Array.from(out));
}

function shift(e: CodecError, by: number): CodecError {
  return { ...e, offset: e.offset + by };
}

/**
 * Interprets a frame's data field. Unknown identifiers are not errors: the payload says so and keeps the
 * value bytes. Malformed values (bad BCD, wrong length) are errors with the absolute offset of the byte
 * (`dataOffset` is where the data field starts in the caller's buffer).
 */
export function interpretDlt645(frame: Dlt645Frame, dataOffset = DLT645_HEADER): Result<Dlt645Payload> {
  const { control, data, version } = frame;
  const diLen = version === '2007' ? 4 : 2;
  const lookup = version === '2007' ? lookup2007 : lookup1997;
  const fn = control.fn;
  const isRead = fn === (version === '2007' ? FN_2007.read : FN_1997.read) || fn === (version === '2007' ? FN_2007.readFollowUp : FN_1997.readFollowUp);
  if (control.fromMeter && control.abnormal) {
    if (data.length < 1) return fail('LENGTH_MISMATCH', dataOffset, 'error reply without its error byte');
    const bits = data[0]!;
    return ok({ kind: 'error-reply', errorBits: bits, errors: errorNames(bits, version) });
  }
  if (fn === FN_2007.broadcastTime) {
    const t = decodeTime(data, 0, { kind: 'time', layout: 'YYMMDDhhmmss', bytes: 6 });
    if (!t.ok) return { ok: false, error: shift(t.error, dataOffset) };
    return t.value ? ok({ kind: 'time-sync', time: t.value }) : fail('RANGE', dataOffset, 'time sync without a time');
  }
  if ((version === '2007' && (fn === FN_2007.readAddress || fn === FN_2007.writeAddress)) || (version === '1997' && fn === FN_1997.writeAddress)) {
    return ok({ kind: 'address' });
  }
  if (!isRead) return ok({ kind: 'other' });
  if (data.length < diLen) return fail('LENGTH_MISMATCH', dataOffset, `read frame shorter than its ${diLen}-byte identifier`);
  const diNum = readDi(data, version);
  const di = diNum.toString(16).toUpperCase().padStart(diLen * 2, '0');
  if (!control.fromMeter) return ok({ kind: 'read-request', di, ...(lookup(diNum) ? { item: lookup(diNum)! } : {}) });
  let end = data.length;
  let seq: number | undefined;
  if (version === '2007' && fn === FN_2007.readFollowUp) {
    // Replies to "read follow-up" end with the frame's sequence number.
    if (end < diLen + 1) return fail('LENGTH_MISMATCH', dataOffset + end, 'follow-up reply without its sequence number');
    seq = data[end - 1]!;
    end -= 1;
  }
  const item = lookup(diNum);
  if (!item) {
    return ok({ kind: 'read-reply', di, unsupported: { reason: `data identifier ${di} is not in the registry`, raw: data.slice(diLen, end) }, ...(seq === undefined ? {} : { seq }) });
  }
  const fields = decodeItemValues(item, data, diLen, end);
  if (!fields.ok) return { ok: false, error: shift(fields.error, dataOffset) };
  return ok({ kind: 'read-reply', di, item, fields: fields.value, ...(seq === undefined ? {} : { seq }) });
}

// ---- encoding -------------------------------------------------------------------------------------------

export const BROADCAST_ADDRESS = '999999999999';
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';

function addressBytes(address: string): Result<Uint8Array> {
  if (!/^[0-9A]{12}$/.test(address)) return fail('RANGE', 0, `address "${address}" must be 12 digits (A = wildcard)`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const pair = address.slice(10 - 2 * i, 12 - 2 * i);
    out[i] = parseInt(pair, 16);
  }
  return ok(out);
}

/** Builds a frame from its parts; `data` is given without the 33H offset. */
export function encodeDlt645Frame(address: string, control: number, data: Uint8Array): Result<Uint8Array> {
  if (data.length > 255) return fail('RANGE', 0, `data field of ${data.length} bytes exceeds 255`);
  const a = addressBytes(address);
  if (!a.ok) return a;
  const out = new Uint8Array(DLT645_OVERHEAD + data.length);
  out[0] = 0x68;
  out.set(a.value, 1);
  out[7] = 0x68;
  out[8] = control;
  out[9] = data.length;
  out.set(addOffset33(data), DLT645_HEADER);
  out[DLT645_HEADER + data.length] = checksum8(out, 0, DLT645_HEADER + data.length);
  out[DLT645_HEADER + data.length + 1] = 0x16;
  return ok(out);
}

function diBytes(di: string): Result<Uint8Array> {
  if (!/^([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})$/.test(di)) return fail('RANGE', 0, `data identifier "${di}" must be 4 or 8 hex digits`);
  const n = di.length / 2;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(di.slice(di.length - 2 * (i + 1), di.length - 2 * i), 16);
  return ok(out);
}

/** Master -> meter: read one data item (2007: C = 11H; 1997: C = 01H). */
export function encodeRead(address: string, di: string): Result<Uint8Array> {
  const d = diBytes(di);
  if (!d.ok) return d;
  return encodeDlt645Frame(address, di.length === 8 ? FN_2007.read : FN_1997.read, d.value);
}

/** Master -> meter: ask for the next frame of a multi-frame reply (2007: C = 12H, with its sequence number). */
export function encodeReadFollowUp(address: string, di: string, seq: number): Result<Uint8Array> {
  const d = diBytes(di);
  if (!d.ok) return d;
  if (di.length === 4) return encodeDlt645Frame(address, FN_1997.readFollowUp, d.value);
  return encodeDlt645Frame(address, FN_2007.readFollowUp, Uint8Array.of(...d.value, seq & 0xff));
}

/** Master -> all meters on the bus: report your address (C = 13H, wildcard address, no data). */
export function encodeReadAddress(): Result<Uint8Array> {
  return encodeDlt645Frame(WILDCARD_ADDRESS, FN_2007.readAddress, new Uint8Array(0));
}

/** Master -> meter on a point-to-point line: set its address (C = 15H, wildcard address, new address as data). */
export function encodeWriteAddress(newAddress: string): Result<Uint8Array> {
  const a = addressBytes(newAddress);
  if (!a.ok) return a;
  return encodeDlt645Frame(WILDCARD_ADDRESS, FN_2007.writeAddress, a.value);
}

/** Broadcast time synchronisation (C = 08H, address 99..99, data ssmmhhDDMMYY). */
export function encodeBroadcastTime(t: DeviceTime): Result<Uint8Array> {
  const data = new Uint8Array(6);
  encodeTime(t, { kind: 'time', layout: 'YYMMDDhhmmss', bytes: 6 }, data, 0);
  return encodeDlt645Frame(BROADCAST_ADDRESS, FN_2007.broadcastTime, data);
}

export type EncodableValue = number | DeviceTime | string;

/**
 * Meter -> master: a normal read reply carrying `values` in the item's layout (fields in order, then
 * the repeated block). Used by the simulator and by round-trip tests.
 */
export function encodeReadReply(address: string, di: string, values: readonly EncodableValue[], followUp = false): Result<Uint8Array> {
  const d = diBytes(di);
  if (!d.ok) return d;
  const version: Dlt645Version = di.length === 8 ? '2007' : '1997';
  const diNum = parseInt(di, 16) >>> 0;
  const item = version === '2007' ? lookup2007(diNum) : lookup1997(diNum);
  if (!item) return fail('RANGE', 0, `data identifier ${di} is not in the registry`);
  if (item.loadRecords) return fail('RANGE', 0, `${di}: load profile replies are built with encodeLoadRecords`);
  const defs: FieldDef[] = [...item.fields];
  if (item.repeated) while (defs.length < values.length) defs.push(item.repeated);
  if (item.repeatedGroup) while (defs.length < values.length) defs.push(...item.repeatedGroup);
  if (defs.length !== values.length) return fail('RANGE', 0, `${di} takes ${defs.length} values, got ${values.length}`);
  const size = defs.reduce((s, f) => s + f.format.bytes, 0);
  const data = new Uint8Array(d.value.length + size);
  data.set(d.value, 0);
  let p = d.value.length;
  for (let i = 0; i < defs.length; i++) {
    const f = defs[i]!;
    const v = values[i]!;
    switch (f.format.kind) {
      case 'bcd': {
        if (typeof v !== 'number') return fail('RANGE', p, `${f.name} needs a number`);
        const r = encodeBcd(v, f.format, data, p);
        if (!r.ok) return r;
        break;
      }
      case 'time':
        if (typeof v !== 'object') return fail('RANGE', p, `${f.name} needs a time`);
        encodeTime(v, f.format, data, p);
        break;
      case 'hex': {
        if (typeof v !== 'string' || v.length !== f.format.bytes * 2) return fail('RANGE', p, `${f.name} needs ${f.format.bytes * 2} hex digits`);
        for (let k = 0; k < f.format.bytes; k++) data[p + k] = parseInt(v.slice(v.length - 2 * (k + 1), v.length - 2 * k), 16);
        break;
      }
      case 'ascii': {
        if (typeof v !== 'string' || v.length > f.format.bytes || /[^\x20-\x7e]/.test(v)) return fail('RANGE', p, `${f.name}: at most ${f.format.bytes} printable ASCII characters`);
        const padded = v.padEnd(f.format.bytes, ' ');
        for (let k = 0; k < f.format.bytes; k++) data[p + k] = padded.charCodeAt(f.format.bytes - 1 - k);
        break;
      }
    }
    p += f.format.bytes;
  }
  const control = version === '2007' ? 0x91 | (followUp ? 0x20 : 0) : 0x81 | (followUp ? 0x20 : 0);
  return encodeDlt645Frame(address, control, data);
}

/** Meter -> master: abnormal reply with error bits (2007: D1H to a read). */
export function encodeErrorReply(address: string, fn: number, errorBits: number): Result<Uint8Array> {
  return encodeDlt645Frame(address, 0xc0 | fn, Uint8Array.of(errorBits & 0xff));
}
