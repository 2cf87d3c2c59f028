import { fail, ok, type Result } from '../common/errors';
import { time, decodeTime, encodeTime, type TimeFormat } from '../common/time';
import { bcd, decodeBcd, encodeBcd, validDeviceTime, type BcdFormat, type DeviceTime } from '../common/values';

// Data formats of Q/GDW 1376.1 appendix A used by the supported Fn. Numbers are BCD, low byte first; a
// signed format keeps its sign in D7 of the last byte.

export type QgdwFormatName = 'A.1' | 'A.5' | 'A.7' | 'A.9' | 'A.11' | 'A.13' | 'A.14' | 'A.15' | 'A.20' | 'A.21' | 'A.25' | 'BIN1';

export type QgdwFormat = { name: QgdwFormatName; bytes: number } & (
  | { kind: 'bcd'; bcd: BcdFormat }
  | { kind: 'time'; time: TimeFormat }
  | { kind: 'clock' }
  | { kind: 'bin' }
);

export const FORMATS: Record<QgdwFormatName, QgdwFormat> = {
  /** ss mm hh DD (week D7-D5, month D4-D0) YY: terminal calendar clock. */
  'A.1': { name: 'A.1', bytes: 6, kind: 'clock' },
  /** ±XXX.X (power factor in percent, angles). */
  'A.5': { name: 'A.5', bytes: 2, kind: 'bcd', bcd: bcd(2, 1, true) },
  /** XXX.X (voltage). */
  'A.7': { name: 'A.7', bytes: 2, kind: 'bcd', bcd: bcd(2, 1) },
  /** ±XX.XXXX (active/reactive/apparent power, kW). */
  'A.9': { name: 'A.9', bytes: 3, kind: 'bcd', bcd: bcd(3, 4, true) },
  /** XXXXXX.XX (reactive energy, kvarh). */
  'A.11': { name: 'A.11', bytes: 4, kind: 'bcd', bcd: bcd(4, 2) },
  /** XXXX.XXXX (energy in curves, kWh). */
  'A.13': { name: 'A.13', bytes: 4, kind: 'bcd', bcd: bcd(4, 4) },
  /** XXXXXX.XXXX (active energy, kWh). */
  'A.14': { name: 'A.14', bytes: 5, kind: 'bcd', bcd: bcd(5, 4) },
  /** mm hh DD MM YY. */
  'A.15': { name: 'A.15', bytes: 5, kind: 'time', time: time('YYMMDDhhmm') },
  /** DD MM YY. */
  'A.20': { name: 'A.20', bytes: 3, kind: 'time', time: time('YYMMDD') },
  /** MM YY (a month: monthly freezes' Td_m). */
  'A.21': { name: 'A.21', bytes: 2, kind: 'time', time: time('YYMM') },
  /** ±XXX.XXX (current, A). */
  'A.25': { name: 'A.25', bytes: 3, kind: 'bcd', bcd: bcd(3, 3, true) },
  /** One binary byte (counts such as the tariff number M). */
  BIN1: { name: 'BIN1', bytes: 1, kind: 'bin' },
};

export type QgdwValue = number | DeviceTime | null;

export function decodeFormat(buf: Uint8Array, at: number, f: QgdwFormat): Result<QgdwValue> {
  if (at + f.bytes > buf.length) return fail('TRUNCATED', at, `${f.name} needs ${f.bytes} bytes at ${at}, ${buf.length - at} left`);
  switch (f.kind) {
    case 'bcd':
      return decodeBcd(buf, at, f.bcd);
    case 'time':
      return decodeTime(buf, at, f.time);
    case 'bin':
      return ok(buf[at]!);
    case 'clock': {
      const mw = buf[at + 4]!;
      const monthByte = mw & 0x1f;
      const fields = [buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!, monthByte, buf[at + 5]!];
      for (let k = 0; k < 6; k++) {
        const b = fields[k]!;
        if (b >> 4 > 9 || (b & 0x0f) > 9) return fail('BAD_BCD', at + k, `A.1 byte 0x${buf[at + k]!.toString(16)} at ${at + k} is not BCD`);
      }
      const d = (b: number) => (b >> 4) * 10 + (b & 0x0f);
      const t: DeviceTime = { year: 2000 + d(fields[5]!), month: d(monthByte), day: d(fields[3]!), hour: d(fields[2]!), minute: d(fields[1]!), second: d(fields[0]!), weekday: (mw >> 5) % 7 };
      return validDeviceTime(t) ? ok(t) : fail('RANGE', at, `invalid terminal clock ${JSON.stringify(t)}`);
    }
  }
}

export function encodeFormat(v: QgdwValue, f: QgdwFormat, out: Uint8Array, at: number): Result<void> {
  if (v === null) {
    out.fill(0xee, at, at + f.bytes);
    return ok(undefined);
  }
  switch (f.kind) {
    case 'bcd':
      return typeof v === 'number' ? encodeBcd(v, f.bcd, out, at) : fail('RANGE', at, `${f.name} needs a number`);
    case 'time':
      if (typeof v !== 'object') return fail('RANGE', at, `${f.name} needs a time`);
      encodeTime(v, f.time, out, at);
      return ok(undefined);
    case 'bin':
      if (typeof v !== 'number' || v < 0 || v > 255) return fail('RANGE', at, `${f.name} needs 0..255`);
      out[at] = v;
      return ok(undefined);
    case 'clock': {
      if (typeof v !== 'object') return fail('RANGE', at, 'A.1 needs a time');
      const b = (n: number) => ((Math.floor(n / 10) << 4) | (n % 10)) & 0xff;
      const week = v.weekday === undefined ? new Date(Date.UTC(v.year, v.month - 1, v.day)).getUTCDay() : v.weekday;
      out.set([b(v.second), b(v.minute), b(v.hour), b(v.day), b(v.month) | ((week === 0 ? 7 : week) << 5), b(v.year % 100)], at);
      return ok(undefined);
    }
  }
}
