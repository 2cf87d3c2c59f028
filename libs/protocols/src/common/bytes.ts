import { fail, ok, type Result } from './errors';

// Byte-level helpers shared by Q/GDW 1376.1 and DL/T 645. Both protocols send multi-byte fields
// low byte first and encode most numbers as packed BCD (two decimal digits per byte, high nibble first).

/** Arithmetic sum of the bytes, modulo 256: the CS field of both protocols. */
export function checksum8(buf: Uint8Array, start = 0, end = buf.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + buf[i]!) & 0xff;
  return s;
}

/**
 * Decodes `length` BCD bytes stored low byte first into an integer. Fails on a nibble above 9, naming
 * the byte.
 */
export function bcdToInt(buf: Uint8Array, offset: number, length: number): Result<number> {
  if (offset + length > buf.length) return fail('TRUNCATED', buf.length, `need ${length} BCD bytes at ${offset}`);
  let v = 0;
  for (let i = offset + length - 1; i >= offset; i--) {
    const b = buf[i]!;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return fail('BAD_BCD', i, `byte 0x${b.toString(16).padStart(2, '0')} at ${i} is not BCD`);
    v = v * 100 + hi * 10 + lo;
  }
  return ok(v);
}

/** Encodes a non-negative integer as `length` BCD bytes, low byte first. */
export function intToBcd(value: number, length: number): Result<Uint8Array> {
  if (!Number.isInteger(value) || value < 0 || value >= 100 ** length) {
    return fail('RANGE', 0, `${value} does not fit in ${length} BCD bytes`);
  }
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    const two = v % 100;
    out[i] = ((Math.floor(two / 10) << 4) | (two % 10)) & 0xff;
    v = Math.floor(v / 100);
  }
  return ok(out);
}

/** DL/T 645 sends every data-field byte plus 0x33 (mod 256); the receiver subtracts it. */
export function addOffset33(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i]! + 0x33) & 0xff;
  return out;
}

export function removeOffset33(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i]! - 0x33) & 0xff;
  return out;
}
