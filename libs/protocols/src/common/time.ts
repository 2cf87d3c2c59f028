import { fail, ok, type Result } from './errors';
import { validDeviceTime, type DeviceTime } from './values';

// Date-time fields written as BCD pairs. A layout names the pairs from the most significant (as the
// standards print them, e.g. YYMMDDhhmm); on the wire the least significant pair comes first.

export type TimeToken = 'YY' | 'MM' | 'DD' | 'hh' | 'mm' | 'ss' | 'WW';
export type TimeLayout = 'YYMMDDhhmmss' | 'YYMMDDhhmm' | 'YYMMDDWW' | 'YYMMDD' | 'YYMM' | 'hhmmss' | 'MMDDhhmm' | 'DDhh';

export interface TimeFormat {
  kind: 'time';
  layout: TimeLayout;
  bytes: number;
}

const tokensOf = (layout: TimeLayout): TimeToken[] => (layout.match(/../g) ?? []) as TimeToken[];

export const time = (layout: TimeLayout): TimeFormat => ({ kind: 'time', layout, bytes: layout.length / 2 });

/**
 * Decodes a time field. Missing parts take neutral values (year 2000, month/day 1, zero time) so a
 * time-of-day alone is still a DeviceTime; callers know from the layout which parts are meaningful.
 * Years are 2000 + YY. `null` for filler (all 0xEE/0xFF or all zero).
 */
export function decodeTime(buf: Uint8Array, offset: number, f: TimeFormat): Result<DeviceTime | null> {
  if (offset + f.bytes > buf.length) return fail('TRUNCATED', buf.length, `need ${f.bytes} bytes at ${offset}`);
  let filler = true;
  for (let i = 0; i < f.bytes; i++) {
    const b = buf[offset + i]!;
    if (b !== 0xee && b !== 0xff && b !== 0x00) filler = false;
  }
  if (filler) return ok(null);
  const t: DeviceTime = { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  const tokens = tokensOf(f.layout);
  for (let k = 0; k < tokens.length; k++) {
    const i = offset + tokens.length - 1 - k;
    const b = buf[i]!;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return fail('BAD_BCD', i, `time byte 0x${b.toString(16).padStart(2, '0')} at ${i} is not BCD`);
    const v = hi * 10 + lo;
    switch (tokens[k]!) {
      case 'YY':
        t.year = 2000 + v;
        break;
      case 'MM':
        t.month = v;
        break;
      case 'DD':
        t.day = v;
        break;
      case 'hh':
        t.hour = v;
        break;
      case 'mm':
        t.minute = v;
        break;
      case 'ss':
        t.second = v;
        break;
      case 'WW':
        t.weekday = v;
        break;
    }
  }
  if (!validDeviceTime(t)) return fail('RANGE', offset, `invalid date-time ${JSON.stringify(t)}`);
  return ok(t);
}

export function encodeTime(t: DeviceTime, f: TimeFormat, out: Uint8Array, offset: number): void {
  const tokens = tokensOf(f.layout);
  const value = (tok: TimeToken): number => {
    switch (tok) {
      case 'YY':
        return t.year % 100;
      case 'MM':
        return t.month;
      case 'DD':
        return t.day;
      case 'hh':
        return t.hour;
      case 'mm':
        return t.minute;
      case 'ss':
        return t.second;
      case 'WW':
        return t.weekday ?? new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
    }
  };
  for (let k = 0; k < tokens.length; k++) {
    const v = value(tokens[k]!);
    out[offset + tokens.length - 1 - k] = ((Math.floor(v / 10) << 4) | (v % 10)) & 0xff;
  }
}
