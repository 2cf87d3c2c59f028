import { fail, ok, type Result } from './errors';

// Value formats shared by DL/T 645 and the Q/GDW 1376.1 appendix: packed BCD, low byte first, with a
// fixed number of decimals and optionally a sign in the top bit of the most significant byte.

export interface BcdFormat {
  kind: 'bcd';
  bytes: number;
  decimals: number;
  signed: boolean;
}

export const bcd = (bytes: number, decimals: number, signed = false): BcdFormat => ({ kind: 'bcd', bytes, decimals, signed });

/** True when every byte is 0xEE or 0xFF: "no data" filler in both standards. */
export function isFiller(buf: Uint8Array, offset: number, length: number): boolean {
  if (length === 0) return false;
  const first = buf[offset];
  if (first !== 0xee && first !== 0xff) return false;
  for (let i = offset + 1; i < offset + length; i++) if (buf[i] !== first) return false;
  return true;
}

/** Decodes a BCD number; `null` value for filler bytes (device has no value). */
export function decodeBcd(buf: Uint8Array, offset: number, f: BcdFormat): Result<number | null> {
  if (offset + f.bytes > buf.length) return fail('TRUNCATED', buf.length, `need ${f.bytes} bytes at ${offset}`);
  if (isFiller(buf, offset, f.bytes)) return ok(null);
  let v = 0;
  let negative = false;
  for (let i = offset + f.bytes - 1; i >= offset; i--) {
    let b = buf[i]!;
    if (i === offset + f.bytes - 1 && f.signed) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return fail('BAD_BCD', i, `byte 0x${buf[i]!.toString(16).padStart(2, '0')} at ${i} is not BCD`);
    v = v * 100 + hi * 10 + lo;
  }
  const scaled = f.decimals === 0 ? v : v / 10 ** f.decimals;
  return ok(negative ? -scaled : scaled);
}

/** Encodes a number into `f.bytes` BCD bytes (rounded to the format's decimals). */
export function encodeBcd(value: number, f: BcdFormat, out: Uint8Array, offset: number): Result<void> {
  let n = Math.round(Math.abs(value) * 10 ** f.decimals);
  // A value that rounds to zero is zero: no sign bit (the format has no negative zero).
  const negative = value < 0 && n > 0;
  if (negative && !f.signed) return fail('RANGE', offset, `${value} is negative for an unsigned format`);
  // Signed formats keep the sign in D7 of the last byte, whose high digit then only has 3 bits (0..7).
  const limit = f.signed ? 8 * 10 ** (f.bytes * 2 - 1) : 10 ** (f.bytes * 2);
  if (n >= limit) return fail('RANGE', offset, `${value} does not fit ${f.bytes} BCD bytes with ${f.decimals} decimals`);
  for (let i = 0; i < f.bytes; i++) {
    const two = n % 100;
    out[offset + i] = ((Math.floor(two / 10) << 4) | (two % 10)) & 0xff;
    n = Math.floor(n / 100);
  }
  if (negative) out[offset + f.bytes - 1]! |= 0x80;
  return ok(undefined);
}

/** Calendar time as the device wrote it (its own local clock; no time zone is implied). */
export interface DeviceTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Day of week when the format carries one (0 = Sunday). */
  weekday?: number;
}

/** Milliseconds since the epoch for a device time read in a zone `offsetMinutes` east of UTC. */
export function deviceTimeToEpochMs(t: DeviceTime, offsetMinutes: number): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - offsetMinutes * 60_000;
}

/** The device's local time of an instant (seconds kept; the inverse of deviceTimeToEpochMs). */
export function epochMsToDeviceTime(ms: number, offsetMinutes: number): DeviceTime {
  const d = new Date(ms + offsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

export function validDeviceTime(t: DeviceTime): boolean {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.hour > 23 || t.minute > 59 || t.second > 59) return false;
  const days = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  return t.day <= days;
}
