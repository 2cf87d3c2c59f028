// DL/T 698.45 A-XDR data: the Data CHOICE (a tag byte, then the value) and the types the APDUs use
// directly (OAD, ROAD, RSD, CSD, RCSD, MS, TSA, ...). Integers are big-endian; a variable length
// (arrays, strings) is one byte below 80H, else 8nH followed by n length bytes, big-endian.

export class AxdrError extends Error {
  constructor(
    readonly code: 'TRUNCATED' | 'RANGE',
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'AxdrError';
  }
}

export const TAG = {
  null: 0,
  array: 1,
  structure: 2,
  bool: 3,
  bitString: 4,
  doubleLong: 5,
  doubleLongUnsigned: 6,
  octetString: 9,
  visibleString: 10,
  utf8String: 12,
  integer: 15,
  long: 16,
  unsigned: 17,
  longUnsigned: 18,
  long64: 20,
  long64Unsigned: 21,
  enum: 22,
  float32: 23,
  float64: 24,
  dateTime: 25,
  date: 26,
  time: 27,
  dateTimeS: 28,
  oi: 80,
  oad: 81,
  road: 82,
  omd: 83,
  ti: 84,
  tsa: 85,
  mac: 86,
  rn: 87,
  region: 88,
  scalerUnit: 89,
  rsd: 90,
  csd: 91,
  ms: 92,
  sid: 93,
  sidMac: 94,
  comdcb: 95,
  rcsd: 96,
} as const;

export type DataType = keyof typeof TAG;
const TYPE_OF = new Map<number, DataType>(Object.entries(TAG).map(([k, v]) => [v, k as DataType]));
/** Two upper-case hex digits of each byte value (addresses are printed digit by digit). */
export const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
const NULL_DATA: Data = Object.freeze({ type: 'null' }) as Data;

/** An OAD: object identifier, attribute (bits 0-4) with its feature (bits 5-7), element index (0 = all). */
export interface Oad {
  oi: number;
  attribute: number;
  feature: number;
  index: number;
}

export interface DateTime {
  year: number;
  month: number;
  day: number;
  /** 0 Sunday .. 6 Saturday (date_time and date only). */
  week?: number;
  hour: number;
  minute: number;
  second: number;
  milliseconds?: number;
}

export type Csd = { type: 'oad'; oad: Oad } | { type: 'road'; oad: Oad; oads: Oad[] };

export type Ms =
  | { type: 'none' }
  | { type: 'all' }
  | { type: 'types'; values: number[] }
  | { type: 'addresses'; values: string[] }
  | { type: 'configs'; values: number[] }
  | { type: 'other'; choice: number; values: Data[] };

export type Rsd =
  | { selector: 0 }
  | { selector: 1; oad: Oad; value: Data }
  | { selector: 2; oad: Oad; from: Data; to: Data; interval: Data }
  | { selector: 3; items: Array<{ oad: Oad; from: Data; to: Data; interval: Data }> }
  | { selector: 4 | 5; time: DateTime; ms: Ms }
  | { selector: 6 | 7 | 8; from: DateTime; to: DateTime; interval: { unit: number; value: number }; ms: Ms }
  | { selector: 9; last: number }
  | { selector: 10; last: number; ms: Ms };

export type Data =
  | { type: 'null' }
  | { type: 'array' | 'structure'; items: Data[] }
  | { type: 'bool'; value: boolean }
  | { type: 'bitString'; bits: number; bytes: Uint8Array }
  | { type: 'doubleLong' | 'doubleLongUnsigned' | 'integer' | 'long' | 'unsigned' | 'longUnsigned' | 'enum'; value: number }
  | { type: 'long64' | 'long64Unsigned'; value: bigint }
  | { type: 'float32' | 'float64'; value: number }
  | { type: 'octetString' | 'mac' | 'rn'; bytes: Uint8Array }
  | { type: 'visibleString' | 'utf8String'; value: string }
  | { type: 'dateTime' | 'date' | 'time' | 'dateTimeS'; value: DateTime }
  | { type: 'oi'; value: number }
  | { type: 'oad'; value: Oad }
  | { type: 'road'; oad: Oad; oads: Oad[] }
  | { type: 'omd'; oi: number; method: number; mode: number }
  | { type: 'ti'; unit: number; value: number }
  | { type: 'tsa'; address: string; af: number }
  | { type: 'region'; unit: number; from: Data; to: Data }
  | { type: 'scalerUnit'; scaler: number; unit: number }
  | { type: 'rsd'; value: Rsd }
  | { type: 'csd'; value: Csd }
  | { type: 'ms'; value: Ms }
  | { type: 'sid'; tag: number; bytes: Uint8Array }
  | { type: 'sidMac'; tag: number; bytes: Uint8Array; mac: Uint8Array }
  | { type: 'comdcb'; baud: number; parity: number; dataBits: number; stopBits: number; flow: number }
  | { type: 'rcsd'; value: Csd[] };

/** Reads A-XDR from a buffer; throws AxdrError (the APDU decoder turns it into a Result). */
export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public at = 0,
    /** Offset of buf[0] in the frame, for error offsets. */
    readonly base = 0,
  ) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  need(n: number, what: string): void {
    if (this.at + n > this.buf.length) throw new AxdrError('TRUNCATED', this.base + this.buf.length, `${what}: need ${n} bytes at ${this.base + this.at}, have ${this.buf.length - this.at}`);
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }

  u16(what = 'long-unsigned'): number {
    this.need(2, what);
    const v = (this.buf[this.at]! << 8) | this.buf[this.at + 1]!;
    this.at += 2;
    return v;
  }

  u32(what = 'double-long-unsigned'): number {
    this.need(4, what);
    const b = this.buf;
    const a = this.at;
    this.at = a + 4;
    return ((b[a]! << 24) | (b[a + 1]! << 16) | (b[a + 2]! << 8) | b[a + 3]!) >>> 0;
  }

  i32(what = 'double-long'): number {
    this.need(4, what);
    const b = this.buf;
    const a = this.at;
    this.at = a + 4;
    return (b[a]! << 24) | (b[a + 1]! << 16) | (b[a + 2]! << 8) | b[a + 3]!;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }

  /** A-XDR variable length. */
  length(what: string): number {
    const first = this.u8(`${what} length`);
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new AxdrError('RANGE', this.base + this.at - 1, `${what}: length of ${n} bytes`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.u8(`${what} length`);
    if (v > this.left + 16 * 1024 * 1024) throw new AxdrError('RANGE', this.base + this.at, `${what}: length ${v}`);
    return v;
  }

  /** A count of items that each take at least one byte: more than the bytes left is an error. */
  count(what: string): number {
    const n = this.length(what);
    if (n > this.left) throw new AxdrError('TRUNCATED', this.base + this.buf.length, `${what}: ${n} items, ${this.left} bytes left`);
    return n;
  }

  oad(): Oad {
    this.need(4, 'OAD');
    const b = this.buf;
    const p = this.at;
    this.at = p + 4;
    const a = b[p + 2]!;
    return { oi: (b[p]! << 8) | b[p + 1]!, attribute: a & 0x1f, feature: a >> 5, index: b[p + 3]! };
  }

  dateTime(withWeekAndMs: boolean): DateTime {
    const year = this.u16('date_time');
    const month = this.u8('date_time');
    const day = this.u8('date_time');
    const week = withWeekAndMs ? this.u8('date_time') : undefined;
    const hour = this.u8('date_time');
    const minute = this.u8('date_time');
    const second = this.u8('date_time');
    const milliseconds = withWeekAndMs ? this.u16('date_time') : undefined;
    return { year, month, day, ...(week === undefined ? {} : { week }), hour, minute, second, ...(milliseconds === undefined ? {} : { milliseconds }) };
  }

  tsa(): { address: string; af: number } {
    const n = this.length('TSA');
    if (n === 0) return { address: '', af: 0 };
    this.need(n, 'TSA');
    const start = this.at;
    this.at += n;
    let digits = '';
    for (let i = start + n - 1; i >= start + 1; i--) digits += HEX[this.buf[i]!]!;
    return { address: digits, af: this.buf[start]! };
  }

  csd(): Csd {
    const choice = this.u8('CSD');
    if (choice === 0) return { type: 'oad', oad: this.oad() };
    if (choice === 1) return this.road();
    throw new AxdrError('RANGE', this.base + this.at - 1, `CSD choice ${choice}`);
  }

  road(): { type: 'road'; oad: Oad; oads: Oad[] } {
    const oad = this.oad();
    const n = this.count('ROAD');
    return { type: 'road', oad, oads: Array.from({ length: n }, () => this.oad()) };
  }

  rcsd(): Csd[] {
    const n = this.count('RCSD');
    return Array.from({ length: n }, () => this.csd());
  }

  ms(): Ms {
    const choice = this.u8('MS');
    switch (choice) {
      case 0:
        return { type: 'none' };
      case 1:
        return { type: 'all' };
      case 2:
        return { type: 'types', values: Array.from({ length: this.count('MS') }, () => this.u8('MS')) };
      case 3:
        return { type: 'addresses', values: Array.from({ length: this.count('MS') }, () => this.tsa().address) };
      case 4:
        return { type: 'configs', values: Array.from({ length: this.count('MS') }, () => this.u16('MS')) };
      case 5:
      case 6:
      case 7: {
        // Regions of types (5), addresses (6) or configuration numbers (7): unit, start, end.
        const n = this.count('MS');
        const values: Data[] = [];
        for (let i = 0; i < n; i++) values.push({ type: 'region', unit: this.u8('MS region'), from: this.data(), to: this.data() });
        return { type: 'other', choice, values };
      }
      default:
        throw new AxdrError('RANGE', this.base + this.at - 1, `MS choice ${choice}`);
    }
  }

  ti(): { unit: number; value: number } {
    return { unit: this.u8('TI'), value: this.u16('TI') };
  }

  rsd(): Rsd {
    const selector = this.u8('RSD');
    switch (selector) {
      case 0:
        return { selector: 0 };
      case 1:
        return { selector: 1, oad: this.oad(), value: this.data() };
      case 2:
        return { selector: 2, oad: this.oad(), from: this.data(), to: this.data(), interval: this.data() };
      case 3:
        return { selector: 3, items: Array.from({ length: this.count('RSD') }, () => ({ oad: this.oad(), from: this.data(), to: this.data(), interval: this.data() })) };
      case 4:
      case 5:
        return { selector, time: this.dateTime(false), ms: this.ms() };
      case 6:
      case 7:
      case 8:
        return { selector, from: this.dateTime(false), to: this.dateTime(false), interval: this.ti(), ms: this.ms() };
      case 9:
        return { selector: 9, last: this.u8('RSD') };
      case 10:
        return { selector: 10, last: this.u8('RSD'), ms: this.ms() };
      default:
        throw new AxdrError('RANGE', this.base + this.at - 1, `RSD selector ${selector}`);
    }
  }

  /** One Data (tag and value). The numeric types of metering values are read first, without a lookup. */
  data(depth = 0): Data {
    if (depth > 16) throw new AxdrError('RANGE', this.base + this.at, 'Data nested more than 16 deep');
    const tagAt = this.at;
    const tag = this.u8('Data');
    switch (tag) {
      case 6:
        return { type: 'doubleLongUnsigned', value: this.u32('double-long-unsigned') };
      case 5:
        return { type: 'doubleLong', value: this.i32('double-long') };
      case 18:
        return { type: 'longUnsigned', value: this.u16('long-unsigned') };
      case 16: {
        const v = this.u16('long');
        return { type: 'long', value: v > 32767 ? v - 65536 : v };
      }
      case 1:
      case 2: {
        const n = this.count(tag === 1 ? 'array' : 'structure');
        const items: Data[] = new Array<Data>(n);
        for (let i = 0; i < n; i++) items[i] = this.data(depth + 1);
        return { type: tag === 1 ? 'array' : 'structure', items };
      }
      case 0:
        return NULL_DATA;
    }
    const type = TYPE_OF.get(tag);
    if (!type) throw new AxdrError('RANGE', this.base + tagAt, `unknown Data type ${tag}`);
    return this.value(type, depth);
  }

  /** A value of a known type (no tag). */
  value(type: DataType, depth = 0): Data {
    switch (type) {
      case 'null':
        return { type };
      case 'array':
      case 'structure': {
        const n = this.count(type);
        return { type, items: Array.from({ length: n }, () => this.data(depth + 1)) };
      }
      case 'bool':
        return { type, value: this.u8(type) !== 0 };
      case 'bitString': {
        const bits = this.length(type);
        return { type, bits, bytes: this.bytes(Math.ceil(bits / 8), type) };
      }
      case 'doubleLong':
        return { type, value: this.i32(type) };
      case 'doubleLongUnsigned':
        return { type, value: this.u32(type) };
      case 'octetString':
      case 'mac':
      case 'rn':
        return { type, bytes: this.bytes(this.length(type), type) };
      case 'visibleString':
      case 'utf8String': {
        const b = this.bytes(this.length(type), type);
        return { type, value: type === 'utf8String' ? new TextDecoder().decode(b) : String.fromCharCode(...b) };
      }
      case 'integer': {
        const v = this.u8(type);
        return { type, value: v > 127 ? v - 256 : v };
      }
      case 'long': {
        const v = this.u16(type);
        return { type, value: v > 32767 ? v - 65536 : v };
      }
      case 'unsigned':
      case 'enum':
        return { type, value: this.u8(type) };
      case 'longUnsigned':
        return { type, value: this.u16(type) };
      case 'long64':
      case 'long64Unsigned': {
        this.need(8, type);
        const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 8);
        this.at += 8;
        return { type, value: type === 'long64' ? dv.getBigInt64(0) : dv.getBigUint64(0) };
      }
      case 'float32':
      case 'float64': {
        const n = type === 'float32' ? 4 : 8;
        this.need(n, type);
        const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, n);
        this.at += n;
        return { type, value: n === 4 ? dv.getFloat32(0) : dv.getFloat64(0) };
      }
      case 'dateTime':
        return { type, value: this.dateTime(true) };
      case 'date': {
        const year = this.u16(type);
        return { type, value: { year, month: this.u8(type), day: this.u8(type), week: this.u8(type), hour: 0, minute: 0, second: 0 } };
      }
      case 'time':
        return { type, value: { year: 0, month: 0, day: 0, hour: this.u8(type), minute: this.u8(type), second: this.u8(type) } };
      case 'dateTimeS':
        return { type, value: this.dateTime(false) };
      case 'oi':
        return { type, value: this.u16(type) };
      case 'oad':
        return { type, value: this.oad() };
      case 'road': {
        const r = this.road();
        return { type, oad: r.oad, oads: r.oads };
      }
      case 'omd':
        return { type, oi: this.u16(type), method: this.u8(type), mode: this.u8(type) };
      case 'ti':
        return { type, ...this.ti() };
      case 'tsa':
        return { type, ...this.tsa() };
      case 'region':
        return { type, unit: this.u8(type), from: this.data(depth + 1), to: this.data(depth + 1) };
      case 'scalerUnit': {
        const s = this.u8(type);
        return { type, scaler: s > 127 ? s - 256 : s, unit: this.u8(type) };
      }
      case 'rsd':
        return { type, value: this.rsd() };
      case 'csd':
        return { type, value: this.csd() };
      case 'ms':
        return { type, value: this.ms() };
      case 'sid':
        return { type, tag: this.u32(type), bytes: this.bytes(this.length(type), type) };
      case 'sidMac': {
        const tag = this.u32(type);
        const bytes = this.bytes(this.length(type), type);
        return { type, tag, bytes, mac: this.bytes(this.length(type), type) };
      }
      case 'comdcb':
        return { type, baud: this.u8(type), parity: this.u8(type), dataBits: this.u8(type), stopBits: this.u8(type), flow: this.u8(type) };
      case 'rcsd':
        return { type, value: this.rcsd() };
    }
  }
}

/** Writes A-XDR (for the station's requests, and the simulator's answers). */
export class Writer {
  private readonly out: number[] = [];

  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }

  u32(v: number): this {
    return this.u16(Math.floor(v / 65536) & 0xffff).u16(v & 0xffff);
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]! & 0xff);
    return this;
  }

  length(n: number): this {
    if (n < 0x80) return this.u8(n);
    const b: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
    return this.u8(0x80 | b.length).bytes(b);
  }

  oad(o: Oad): this {
    return this.u16(o.oi).u8(((o.feature & 7) << 5) | (o.attribute & 0x1f)).u8(o.index);
  }

  dateTime(t: DateTime, withWeekAndMs: boolean): this {
    this.u16(t.year).u8(t.month).u8(t.day);
    if (withWeekAndMs) this.u8(t.week ?? 0);
    this.u8(t.hour).u8(t.minute).u8(t.second);
    if (withWeekAndMs) this.u16(t.milliseconds ?? 0);
    return this;
  }

  tsa(address: string, af?: number): this {
    if (!address) return this.u8(0);
    const digits = address.length % 2 ? `0${address}` : address;
    const n = digits.length / 2;
    this.length(n + 1).u8(af ?? n - 1);
    for (let i = 0; i < n; i++) this.u8(parseInt(digits.slice(digits.length - 2 * (i + 1), digits.length - 2 * i), 16));
    return this;
  }

  csd(c: Csd): this {
    if (c.type === 'oad') return this.u8(0).oad(c.oad);
    this.u8(1).oad(c.oad).length(c.oads.length);
    for (const o of c.oads) this.oad(o);
    return this;
  }

  rcsd(cs: readonly Csd[]): this {
    this.length(cs.length);
    for (const c of cs) this.csd(c);
    return this;
  }

  ms(m: Ms): this {
    switch (m.type) {
      case 'none':
        return this.u8(0);
      case 'all':
        return this.u8(1);
      case 'types':
        this.u8(2).length(m.values.length);
        for (const v of m.values) this.u8(v);
        return this;
      case 'addresses':
        this.u8(3).length(m.values.length);
        for (const v of m.values) this.tsa(v);
        return this;
      case 'configs':
        this.u8(4).length(m.values.length);
        for (const v of m.values) this.u16(v);
        return this;
      case 'other':
        this.u8(m.choice).length(m.values.length);
        for (const v of m.values) if (v.type === 'region') this.u8(v.unit).data(v.from).data(v.to);
        return this;
    }
  }

  rsd(r: Rsd): this {
    this.u8(r.selector);
    switch (r.selector) {
      case 0:
        return this;
      case 1:
        return this.oad(r.oad).data(r.value);
      case 2:
        return this.oad(r.oad).data(r.from).data(r.to).data(r.interval);
      case 3:
        this.length(r.items.length);
        for (const i of r.items) this.oad(i.oad).data(i.from).data(i.to).data(i.interval);
        return this;
      case 4:
      case 5:
        return this.dateTime(r.time, false).ms(r.ms);
      case 6:
      case 7:
      case 8:
        return this.dateTime(r.from, false).dateTime(r.to, false).u8(r.interval.unit).u16(r.interval.value).ms(r.ms);
      case 9:
        return this.u8(r.last);
      case 10:
        return this.u8(r.last).ms(r.ms);
    }
  }

  data(d: Data): this {
    this.u8(TAG[d.type]);
    return this.value(d);
  }

  /** The value without its tag. */
  value(d: Data): this {
    switch (d.type) {
      case 'null':
        return this;
      case 'array':
      case 'structure':
        this.length(d.items.length);
        for (const i of d.items) this.data(i);
        return this;
      case 'bool':
        return this.u8(d.value ? 1 : 0);
      case 'bitString':
        return this.length(d.bits).bytes(d.bytes.slice(0, Math.ceil(d.bits / 8)));
      case 'doubleLong':
      case 'doubleLongUnsigned':
        return this.u32(d.value >>> 0);
      case 'octetString':
      case 'mac':
      case 'rn':
        return this.length(d.bytes.length).bytes(d.bytes);
      case 'visibleString':
      case 'utf8String': {
        const b = d.type === 'utf8String' ? new TextEncoder().encode(d.value) : Uint8Array.from(d.value, (c) => c.charCodeAt(0) & 0xff);
        return this.length(b.length).bytes(b);
      }
      case 'integer':
      case 'unsigned':
      case 'enum':
        return this.u8(d.value);
      case 'long':
      case 'longUnsigned':
        return this.u16(d.value & 0xffff);
      case 'long64':
      case 'long64Unsigned': {
        const b = new Uint8Array(8);
        const dv = new DataView(b.buffer);
        if (d.type === 'long64') dv.setBigInt64(0, d.value);
        else dv.setBigUint64(0, d.value);
        return this.bytes(b);
      }
      case 'float32':
      case 'float64': {
        const b = new Uint8Array(d.type === 'float32' ? 4 : 8);
        const dv = new DataView(b.buffer);
        if (d.type === 'float32') dv.setFloat32(0, d.value);
        else dv.setFloat64(0, d.value);
        return this.bytes(b);
      }
      case 'dateTime':
        return this.dateTime(d.value, true);
      case 'date':
        return this.u16(d.value.year).u8(d.value.month).u8(d.value.day).u8(d.value.week ?? 0);
      case 'time':
        return this.u8(d.value.hour).u8(d.value.minute).u8(d.value.second);
      case 'dateTimeS':
        return this.dateTime(d.value, false);
      case 'oi':
        return this.u16(d.value);
      case 'oad':
        return this.oad(d.value);
      case 'road':
        this.oad(d.oad).length(d.oads.length);
        for (const o of d.oads) this.oad(o);
        return this;
      case 'omd':
        return this.u16(d.oi).u8(d.method).u8(d.mode);
      case 'ti':
        return this.u8(d.unit).u16(d.value);
      case 'tsa':
        return this.tsa(d.address, d.af);
      case 'region':
        return this.u8(d.unit).data(d.from).data(d.to);
      case 'scalerUnit':
        return this.u8(d.scaler).u8(d.unit);
      case 'rsd':
        return this.rsd(d.value);
      case 'csd':
        return this.csd(d.value);
      case 'ms':
        return this.ms(d.value);
      case 'sid':
        return this.u32(d.tag).length(d.bytes.length).bytes(d.bytes);
      case 'sidMac':
        return this.u32(d.tag).length(d.bytes.length).bytes(d.bytes).length(d.mac.length).bytes(d.mac);
      case 'comdcb':
        return this.u8(d.baud).u8(d.parity).u8(d.dataBits).u8(d.stopBits).u8(d.flow);
      case 'rcsd':
        return this.rcsd(d.value);
    }
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** "20000201" style text of an OAD. */
export const oadText = (o: Oad): string => `${o.oi.toString(16).padStart(4, '0')}${((o.feature << 5) | o.attribute).toString(16).padStart(2, '0')}${o.index.toString(16).padStart(2, '0')}`.toUpperCase();

export function parseOad(text: string): Oad {
  if (!/^[0-9A-Fa-f]{8}$/.test(text)) throw new RangeError(`OAD ${JSON.stringify(text)}: 8 hex digits`);
  const a = parseInt(text.slice(4, 6), 16);
  return { oi: parseInt(text.slice(0, 4), 16), attribute: a & 0x1f, feature: a >> 5, index: parseInt(text.slice(6, 8), 16) };
}
