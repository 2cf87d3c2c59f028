import { fail, ok, type Result } from '../common/errors';
import { HEX } from './data';

// DL/T 698.45-2017 link layer:
//   68 | L (2, low first) | C | AF SA(1..16) CA | HCS (2) | APDU | FCS (2) | 16
// L: bits 0-13 the frame's length without the two delimiters, bit 14 the unit (1 = kilobytes).
// C: bit 7 DIR (1 = from the server: meter/terminal), bit 6 PRM (1 = from the initiator), bit 5 a
// split frame, bit 3 scrambled user data (33H added), bits 0-2 the function (1 link management,
// 3 user data). AF: bits 0-3 SA length - 1, bits 4-5 the logic address, bits 6-7 the address type
// (0 single, 1 wildcard, 2 group, 3 broadcast). SA: BCD digits, low byte first. CA: the client.
// HCS covers L..CA, FCS covers L..APDU; both CRC-16/X-25, low byte first.

export const DLT698_START = 0x68;
export const DLT698_END = 0x16;
/** Largest frame accepted (the standard allows 16383 bytes, or kilobytes with the unit bit). */
export const DLT698_MAX_FRAME = 16_384 + 2;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/X-25 (reflected 1021H, init and final XOR FFFFH) of bytes [from, to). */
export function crc16x25(buf: Uint8Array, from = 0, to = buf.length): number {
  return crc16x25From(0xffff, buf, from, to);
}

// Slicing by four: T1..T3 advance a byte's contribution by one, two, three more bytes, so four bytes
// take four lookups and one step instead of four dependent steps.
const [T1, T2, T3] = (() => {
  const out: Uint16Array[] = [];
  let prev = TABLE;
  for (let k = 0; k < 3; k++) {
    const t = new Uint16Array(256);
    for (let i = 0; i < 256; i++) t[i] = (prev[i]! >>> 8) ^ TABLE[prev[i]! & 0xff]!;
    out.push(t);
    prev = t;
  }
  return out as [Uint16Array, Uint16Array, Uint16Array];
})();

/** The same CRC continued from a register state (before the final XOR). */
function crc16x25From(state: number, buf: Uint8Array, from: number, to: number): number {
  let crc = state;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const x = crc ^ (buf[i]! | (buf[i + 1]! << 8));
    crc = T3[x & 0xff]! ^ T2[x >>> 8]! ^ T1[buf[i + 2]!]! ^ TABLE[buf[i + 3]!]!;
  }
  for (; i < to; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ buf[i]!) & 0xff]!;
  return (crc ^ 0xffff) & 0xffff;
}

/** The register after any block followed by its correct CRC (low byte first): the X-25 residue. */
const RESIDUE_STATE = (() => {
  let crc = 0xffff;
  const block = [0x31, 0x32, 0x33];
  for (const b of block) crc = (crc >>> 8) ^ TABLE[(crc ^ b) & 0xff]!;
  const c = (crc ^ 0xffff) & 0xffff;
  for (const b of [c & 0xff, c >> 8]) crc = (crc >>> 8) ^ TABLE[(crc ^ b) & 0xff]!;
  return crc;
})();

export type AddressType = 'single' | 'wildcard' | 'group' | 'broadcast';
const ADDRESS_TYPES: AddressType[] = ['single', 'wildcard', 'group', 'broadcast'];

export interface ServerAddress {
  type: AddressType;
  /** 0..3: which logical device of the server. */
  logic: number;
  /** BCD digits, most significant first (A = a wildcard nibble). */
  address: string;
}

export interface Control {
  /** true: from the server (meter / terminal). */
  fromServer: boolean;
  /** true: from the side that started the exchange. */
  initiator: boolean;
  split: boolean;
  scrambled: boolean;
  /** 1 link management, 3 user data. */
  function: number;
}

export interface SplitInfo {
  /** Fragment number (12 bits). */
  index: number;
  /** Bits 14-15 of the fragment header: 0 the first, 1 the last, 2 a confirmation, 3 a middle one. */
  kind: 'first' | 'last' | 'middle' | 'confirm';
}

export interface Dlt698Frame {
  control: Control;
  server: ServerAddress;
  client: number;
  /** Split frames: the fragment header that precedes the APDU bytes. */
  split?: SplitInfo;
  /** The APDU (of this fragment), 33H removed when scrambled: a view of the decoded bytes unless scrambled. */
  apdu: Uint8Array;
}

export function encodeServerAddress(a: ServerAddress): Result<Uint8Array> {
  const digits = a.address.length % 2 ? `0${a.address}` : a.address;
  if (!/^[0-9A-Fa-f]{2,32}$/.test(digits)) return fail('RANGE', 0, `server address ${JSON.stringify(a.address)}: 1 to 16 bytes of BCD digits`);
  const n = digits.length / 2;
  const out = new Uint8Array(1 + n);
  out[0] = ((ADDRESS_TYPES.indexOf(a.type) & 3) << 6) | ((a.logic & 3) << 4) | (n - 1);
  for (let i = 0; i < n; i++) out[1 + i] = parseInt(digits.slice(digits.length - 2 * (i + 1), digits.length - 2 * i), 16);
  return ok(out);
}

/** The SA (with its AF byte) at `offset`, and its length in bytes. */
export function decodeServerAddress(buf: Uint8Array, offset: number): Result<{ server: ServerAddress; length: number }> {
  if (offset >= buf.length) return fail('TRUNCATED', offset, 'no address flag byte');
  const af = buf[offset]!;
  const n = (af & 0x0f) + 1;
  if (offset + 1 + n > buf.length) return fail('TRUNCATED', buf.length, `server address of ${n} bytes`);
  let digits = '';
  for (let i = n - 1; i >= 0; i--) digits += HEX[buf[offset + 1 + i]!]!;
  return ok({ server: { type: ADDRESS_TYPES[af >> 6]!, logic: (af >> 4) & 3, address: digits }, length: 1 + n });
}

/** One whole frame (from its 68H to its 16H). */
export function decodeDlt698Frame(buf: Uint8Array): Result<Dlt698Frame> {
  if (buf.length < 12) return fail('TRUNCATED', buf.length, 'shorter than the smallest 698.45 frame');
  if (buf[0] !== DLT698_START) return fail('RANGE', 0, 'a 698.45 frame starts with 68H');
  const l = buf[1]! | (buf[2]! << 8);
  const length = (l & 0x3fff) * (l & 0x4000 ? 1024 : 1);
  if (length + 2 !== buf.length) return fail('LENGTH_MISMATCH', 1, `L says ${length + 2} bytes, the frame has ${buf.length}`);
  if (buf[buf.length - 1] !== DLT698_END) return fail('RANGE', buf.length - 1, 'a 698.45 frame ends with 16H');
  const c = buf[3]!;
  const control: Control = { fromServer: (c & 0x80) !== 0, initiator: (c & 0x40) !== 0, split: (c & 0x20) !== 0, scrambled: (c & 0x08) !== 0, function: c & 0x07 };
  const sa = decodeServerAddress(buf, 4);
  if (!sa.ok) return sa;
  const caAt = 4 + sa.value.length;
  const hcsAt = caAt + 1;
  if (hcsAt + 2 > buf.length - 3) return fail('TRUNCATED', hcsAt, 'no room for HCS and FCS');
  const hcs = buf[hcsAt]! | (buf[hcsAt + 1]! << 8);
  const headerCrc = crc16x25(buf, 1, hcsAt);
  if (headerCrc !== hcs) return fail('CHECKSUM', hcsAt, `HCS ${hcs.toString(16)} does not match the header (${headerCrc.toString(16)})`);
  const fcsAt = buf.length - 3;
  const fcs = buf[fcsAt]! | (buf[fcsAt + 1]! << 8);
  // The FCS runs on from the HCS: a CRC over a block followed by its own CRC (low byte first) leaves
  // the X-25 register at a constant, so only the bytes after the HCS need to be processed.
  const frameCrc = crc16x25From(RESIDUE_STATE, buf, hcsAt + 2, fcsAt);
  if (frameCrc !== fcs) return fail('CHECKSUM', fcsAt, `FCS ${fcs.toString(16)} does not match the frame (${frameCrc.toString(16)})`);
  let apduAt = hcsAt + 2;
  let split: SplitInfo | undefined;
  if (control.split) {
    if (apduAt + 2 > fcsAt) return fail('TRUNCATED', apduAt, 'a split frame without its fragment header');
    const h = buf[apduAt]! | (buf[apduAt + 1]! << 8);
    split = { index: h & 0x0fff, kind: (['first', 'last', 'confirm', 'middle'] as const)[h >> 14]! };
    apduAt += 2;
  }
  // A view, not a copy: the frame's bytes are the caller's and are not written here.
  let apdu = buf.subarray(apduAt, fcsAt);
  if (control.scrambled) apdu = apdu.map((b) => (b - 0x33) & 0xff);
  return ok({ control, server: sa.value.server, client: buf[caAt]!, ...(split ? { split } : {}), apdu });
}

export interface FrameToEncode {
  control: Control;
  server: ServerAddress;
  client: number;
  split?: SplitInfo;
  apdu: Uint8Array;
}

export function encodeDlt698Frame(f: FrameToEncode): Result<Uint8Array> {
  const sa = encodeServerAddress(f.server);
  if (!sa.ok) return sa;
  const splitBytes = f.split ? 2 : 0;
  const user = f.control.scrambled ? f.apdu.map((b) => (b + 0x33) & 0xff) : f.apdu;
  const total = 1 + 2 + 1 + sa.value.length + 1 + 2 + splitBytes + user.length + 2 + 1;
  if (total - 2 > 0x3fff) return fail('RANGE', 0, `frame of ${total} bytes: split it`);
  const out = new Uint8Array(total);
  out[0] = DLT698_START;
  out[1] = (total - 2) & 0xff;
  out[2] = ((total - 2) >> 8) & 0x3f;
  const c = f.control;
  out[3] = (c.fromServer ? 0x80 : 0) | (c.initiator ? 0x40 : 0) | (f.split ? 0x20 : 0) | (c.scrambled ? 0x08 : 0) | (c.function & 0x07);
  out.set(sa.value, 4);
  const caAt = 4 + sa.value.length;
  out[caAt] = f.client & 0xff;
  const hcs = crc16x25(out, 1, caAt + 1);
  out[caAt + 1] = hcs & 0xff;
  out[caAt + 2] = hcs >> 8;
  let at = caAt + 3;
  if (f.split) {
    const h = (f.split.index & 0x0fff) | ((['first', 'last', 'confirm', 'middle'].indexOf(f.split.kind) & 3) << 14);
    out[at++] = h & 0xff;
    out[at++] = h >> 8;
  }
  out.set(user, at);
  const fcsAt = total - 3;
  const fcs = crc16x25(out, 1, fcsAt);
  out[fcsAt] = fcs & 0xff;
  out[fcsAt + 1] = fcs >> 8;
  out[total - 1] = DLT698_END;
  return ok(out);
}

/**
 * Reassembles the APDU of a split exchange from its fragments in order (first .. last). Returns the
 * APDU once the last fragment is in, undefined while more are expected.
 */
export class SplitReassembler {
  private parts: Uint8Array[] = [];
  private next = 0;

  push(f: Dlt698Frame): Result<Uint8Array | undefined> {
    if (!f.split) return ok(f.apdu);
    if (f.split.kind === 'confirm') return ok(undefined);
    if (f.split.index !== this.next) {
      this.parts = [];
      this.next = 0;
      return fail('RANGE', 0, `fragment ${f.split.index} out of order (expected ${this.next})`);
    }
    this.parts.push(f.apdu);
    this.next++;
    if (f.split.kind !== 'last') return ok(undefined);
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts = [];
    this.next = 0;
    return ok(out);
  }
}
