import { checksum8 } from '../common/bytes';
import { fail, ok, type Result } from '../common/errors';

// Q/GDW 1376.1-2013 frames:
//   68 | L | L | 68 | C | A (A1 A1 A2 A2 A3) | AFN | SEQ | data units | AUX | CS | 16
// L (2 bytes, low first, sent twice): D0-D1 protocol identifier (2 = Q/GDW 1376.1, 1 = Q/GDW 130-2005),
// D2-D15 length of the user data area (C through AUX). CS: sum of the user data area only, modulo 256.

export const QGDW_FIXED = 8; // 68 L L 68 ... CS 16
export const QGDW_USER_MIN = 8; // C + A(5) + AFN + SEQ

/**
 * Field variants that are not in the standard but are deployed, chosen by configuration (a station or
 * inspector option), never guessed from the bytes: `terminalAddressBytes: 4` is the A2 widened to four
 * bytes (A = A1 2, A2 4, A3 1) that some provinces use for large terminal populations.
 */
export interface QgdwVariant {
  terminalAddressBytes?: 2 | 4;
}
export const STANDARD_VARIANT: QgdwVariant = {};
export const PROTOCOL_ID_2013 = 2;
export const PROTOCOL_ID_2005 = 1;

export interface QgdwControl {
  raw: number;
  /** true: terminal -> master (DIR = 1). */
  up: boolean;
  /** true: this frame starts an exchange (PRM = 1). */
  prm: boolean;
  /** Downlink: frame count bit. */
  fcb: boolean;
  /** Uplink: the terminal has important events waiting (ACD = 1, EC present in AUX). */
  acd: boolean;
  /** Downlink: FCB is valid. */
  fcv: boolean;
  fn: number;
  fnName: string;
}

const PRM1_FN: Record<number, string> = { 1: 'reset', 4: 'user data', 9: 'link test', 10: 'request class 1 data', 11: 'request class 2 data' };
const PRM0_FN: Record<number, string> = { 0: 'confirm', 8: 'user data (response)', 9: 'deny: no data requested', 11: 'link status' };

export function parseQgdwControl(c: number): QgdwControl {
  const up = (c & 0x80) !== 0;
  const prm = (c & 0x40) !== 0;
  const fn = c & 0x0f;
  return {
    raw: c,
    up,
    prm,
    fcb: !up && (c & 0x20) !== 0,
    acd: up && (c & 0x20) !== 0,
    fcv: !up && (c & 0x10) !== 0,
    fn,
    fnName: (prm ? PRM1_FN : PRM0_FN)[fn] ?? 'reserved',
  };
}

export interface QgdwAddress {
  /** A1: administrative region code, 4 BCD digits. */
  region: string;
  /** A2: terminal address 1..65535 (0 invalid; 65535 with group flag = broadcast). */
  terminal: number;
  /** A3 D1-D7: master station address (0..127). */
  master: number;
  /** A3 D0: A2 is a group address. */
  group: boolean;
}

/** A3 D0 = 1 and A2 = FFFFH: every terminal (of region A1, or of every region when A1 = FFFFH). */
export function isBroadcast(a: QgdwAddress): boolean {
  return a.group && (a.terminal === 0xffff || a.terminal === 0xffffffff);
}

/** "A1-A2" as used in topics and keys: region code, dash, terminal address as 5 decimal digits. */
export function terminalKey(a: Pick<QgdwAddress, 'region' | 'terminal'>): string {
  return `${a.region}-${String(a.terminal).padStart(5, '0')}`;
}

export interface QgdwSeq {
  raw: number;
  /** Tp (time label) present in AUX. */
  tpv: boolean;
  fir: boolean;
  fin: boolean;
  /** The receiver must confirm. */
  con: boolean;
  /** PSEQ (requests) or RSEQ (responses), 0..15. */
  seq: number;
}

export function parseSeq(s: number): QgdwSeq {
  return { raw: s, tpv: (s & 0x80) !== 0, fir: (s & 0x40) !== 0, fin: (s & 0x20) !== 0, con: (s & 0x10) !== 0, seq: s & 0x0f };
}

export interface QgdwFrame {
  protocolId: number;
  control: QgdwControl;
  address: QgdwAddress;
  afn: number;
  seq: QgdwSeq;
  /** Data units plus AUX, as sent (AFN handlers split them: AUX length depends on AFN and flags). */
  body: Uint8Array;
  /** Offset of `body` inside the frame (for error offsets). */
  bodyOffset: number;
  length: number;
}

const hex2 = (b: number) => `${b.toString(16).toUpperCase().padStart(2, '0')}H`;

const bcdOk = (b: number) => b >> 4 <= 9 && (b & 0x0f) <= 9;

export function decodeQgdwFrame(buf: Uint8Array, offset = 0, variant: QgdwVariant = STANDARD_VARIANT): Result<QgdwFrame> {
  const avail = buf.length - offset;
  const a2Bytes = variant.terminalAddressBytes ?? 2;
  const extra = a2Bytes - 2;
  if (avail < 6) return fail('TRUNCATED', buf.length, `1376.1 frame needs at least 6 header bytes, ${avail} left`);
  if (buf[offset] !== 0x68 || buf[offset + 5] !== 0x68) return fail('LENGTH_MISMATCH', buf[offset] !== 0x68 ? offset : offset + 5, 'start bytes 68H ... 68H not found');
  const l1 = buf[offset + 1]! | (buf[offset + 2]! << 8);
  const l2 = buf[offset + 3]! | (buf[offset + 4]! << 8);
  if (l1 !== l2) return fail('LENGTH_MISMATCH', offset + 3, `the two L fields differ (${l1.toString(16)} / ${l2.toString(16)})`);
  const protocolId = l1 & 0x03;
  if (protocolId !== PROTOCOL_ID_2013 && protocolId !== PROTOCOL_ID_2005) return fail('LENGTH_MISMATCH', offset + 1, `protocol identifier ${protocolId} is not 1376.1`);
  const userLen = l1 >> 2;
  if (userLen < QGDW_USER_MIN + extra) return fail('LENGTH_MISMATCH', offset + 1, `user data length ${userLen} is below the minimum ${QGDW_USER_MIN + extra}`);
  const total = userLen + QGDW_FIXED;
  if (avail < total) return fail('TRUNCATED', buf.length, `frame declares ${userLen} user bytes, needs ${total}, ${avail} left`);
  const csAt = offset + 6 + userLen;
  const cs = checksum8(buf, offset + 6, csAt);
  if (cs !== buf[csAt]) return fail('CHECKSUM', csAt, `checksum ${hex2(buf[csAt]!)} at ${csAt}, computed ${hex2(cs)}`);
  if (buf[csAt + 1] !== 0x16) return fail('LENGTH_MISMATCH', csAt + 1, `end byte ${hex2(buf[csAt + 1]!)} at ${csAt + 1}, expected 16H`);
  const a = offset + 7;
  const r0 = buf[a]!;
  const r1 = buf[a + 1]!;
  // A1 is BCD; FFFFH is the all-regions wildcard of a broadcast.
  const wildcard = r0 === 0xff && r1 === 0xff;
  if (!wildcard) {
    for (const [b, at] of [
      [r0, a],
      [r1, a + 1],
    ] as const) {
      if (!bcdOk(b)) return fail('BAD_BCD', at, `region code byte ${hex2(b)} at ${at} is not BCD`);
    }
  }
  const region = wildcard ? 'FFFF' : `${(r1 >> 4).toString()}${(r1 & 0x0f).toString()}${(r0 >> 4).toString()}${(r0 & 0x0f).toString()}`;
  let terminal = 0;
  for (let k = a2Bytes - 1; k >= 0; k--) terminal = terminal * 256 + buf[a + 2 + k]!;
  const a3 = buf[a + 2 + a2Bytes]!;
  return ok({
    protocolId,
    control: parseQgdwControl(buf[offset + 6]!),
    address: { region, terminal, master: a3 >> 1, group: (a3 & 1) !== 0 },
    afn: buf[offset + 12 + extra]!,
    seq: parseSeq(buf[offset + 13 + extra]!),
    body: buf.subarray(offset + 14 + extra, csAt),
    bodyOffset: 14 + extra,
    length: total,
  });
}

/**
 * The terminal address of what looks like a 1376.1 frame, read from the header without checking the
 * rest (a router's peek: the full decode follows and judges the frame). Undefined when the header is
 * not a 1376.1 header or the region code is not BCD.
 */
export function peekQgdwAddress(buf: Uint8Array): QgdwAddress | undefined {
  if (buf.length < 12 || buf[0] !== 0x68 || buf[5] !== 0x68) return undefined;
  const r0 = buf[7]!;
  const r1 = buf[8]!;
  if (r0 >> 4 > 9 || (r0 & 0x0f) > 9 || r1 >> 4 > 9 || (r1 & 0x0f) > 9) return undefined;
  const a3 = buf[11]!;
  return { region: `${r1 >> 4}${r1 & 0x0f}${r0 >> 4}${r0 & 0x0f}`, terminal: buf[9]! | (buf[10]! << 8), master: a3 >> 1, group: (a3 & 1) !== 0 };
}

// ---- data unit identifiers ------------------------------------------------------------------------------

/** DA1 DA2 -> measurement points: p0, a set of up to 8 in one group, or "all" (FF FF). */
export function decodePn(da1: number, da2: number): number[] | 'all' {
  if (da1 === 0 && da2 === 0) return [0];
  if (da1 === 0xff && da2 === 0xff) return 'all';
  const out: number[] = [];
  if (da2 === 0) return out;
  for (let bit = 0; bit < 8; bit++) if (da1 & (1 << bit)) out.push((da2 - 1) * 8 + bit + 1);
  return out;
}

/** DT1 DT2 -> information points Fn: up to 8 in one group of 8. */
export function decodeFn(dt1: number, dt2: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 8; bit++) if (dt1 & (1 << bit)) out.push(dt2 * 8 + bit + 1);
  return out;
}

export function encodePn(pn: number): [number, number] {
  if (pn === 0) return [0, 0];
  return [1 << ((pn - 1) % 8), Math.floor((pn - 1) / 8) + 1];
}

export function encodeFn(fn: number): [number, number] {
  return [1 << ((fn - 1) % 8), Math.floor((fn - 1) / 8)];
}

// ---- encoding -------------------------------------------------------------------------------------------

export interface QgdwFrameSpec {
  control: number;
  address: QgdwAddress;
  afn: number;
  seq: number;
  /** Data units and AUX, already laid out. */
  body: Uint8Array;
  protocolId?: number;
  variant?: QgdwVariant;
}

export function encodeQgdwFrame(spec: QgdwFrameSpec): Result<Uint8Array> {
  const a2Bytes = spec.variant?.terminalAddressBytes ?? 2;
  const extra = a2Bytes - 2;
  if (!/^\d{4}$/.test(spec.address.region) && spec.address.region !== 'FFFF') return fail('RANGE', 0, `region code "${spec.address.region}" must be 4 digits (or FFFF)`);
  if (spec.address.terminal < 0 || spec.address.terminal >= 2 ** (8 * a2Bytes) || !Number.isInteger(spec.address.terminal)) return fail('RANGE', 0, `terminal address ${spec.address.terminal} out of range`);
  const userLen = QGDW_USER_MIN + extra + spec.body.length;
  if (userLen > 0x3fff) return fail('RANGE', 0, `user data of ${userLen} bytes exceeds 16383`);
  const out = new Uint8Array(userLen + QGDW_FIXED);
  const l = (userLen << 2) | (spec.protocolId ?? PROTOCOL_ID_2013);
  out[0] = 0x68;
  out[1] = l & 0xff;
  out[2] = l >> 8;
  out[3] = l & 0xff;
  out[4] = l >> 8;
  out[5] = 0x68;
  out[6] = spec.control;
  const r = spec.address.region;
  out[7] = r === 'FFFF' ? 0xff : (Number(r[2]) << 4) | Number(r[3]);
  out[8] = r === 'FFFF' ? 0xff : (Number(r[0]) << 4) | Number(r[1]);
  let t = spec.address.terminal;
  for (let k = 0; k < a2Bytes; k++, t = Math.floor(t / 256)) out[9 + k] = t & 0xff;
  out[9 + a2Bytes] = ((spec.address.master & 0x7f) << 1) | (spec.address.group ? 1 : 0);
  out[12 + extra] = spec.afn;
  out[13 + extra] = spec.seq;
  out.set(spec.body, 14 + extra);
  out[6 + userLen] = checksum8(out, 6, 6 + userLen);
  out[7 + userLen] = 0x16;
  return ok(out);
}
