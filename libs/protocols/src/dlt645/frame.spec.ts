import fc from 'fast-check';
import { Unit } from '@gridstation/contracts';
import type { Result } from '../common/errors';
import { lookup1997, lookup2007 } from './registry';
import {
  decodeDlt645Frame,
  encodeBroadcastTime,
  encodeErrorReply,
  encodeRead,
  encodeReadAddress,
  encodeReadFollowUp,
  encodeReadReply,
  encodeWriteAddress,
  interpretDlt645,
  type Dlt645Frame,
  type Dlt645Payload,
} from './frame';
import { hex, must, toHex } from '../../test/bytes';

// Frames below are written out byte by byte from DL/T 645-2007 / -1997 (data bytes already +33H,
// checksums summed by hand), not produced by this encoder.

function decode(s: string): { frame: Dlt645Frame; payload: Dlt645Payload } {
  const f = decodeDlt645Frame(hex(s));
  if (!f.ok) throw new Error(`${f.error.code} at ${f.error.offset}: ${f.error.message}`);
  const p = interpretDlt645(f.value);
  if (!p.ok) throw new Error(`${p.error.code} at ${p.error.offset}: ${p.error.message}`);
  return { frame: f.value, payload: p.value };
}

describe('DL/T 645-2007 frames from the standard', () => {
  it('broadcast read of forward active energy, total (wildcard address, C=11H, DI 00010000)', () => {
    const { frame, payload } = decode('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');
    expect(frame.address).toBe('AAAAAAAAAAAA');
    expect(frame.control).toMatchObject({ fromMeter: false, abnormal: false, followUp: false, fn: 0x11 });
    expect(frame.version).toBe('2007');
    expect(payload).toMatchObject({ kind: 'read-request', di: '00010000' });
  });

  it('normal reply: forward active energy 1234.56 kWh from meter 123456789012 (C=91H)', () => {
    const { frame, payload } = decode('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16');
    expect(frame.address).toBe('123456789012');
    expect(frame.control).toMatchObject({ fromMeter: true, fn: 0x11 });
    expect(payload.kind).toBe('read-reply');
    expect(payload.item?.name).toBe('forward active energy, total, current');
    expect(payload.fields).toEqual([{ name: 'value', value: 1234.56, quantity: 'energy.active.import', unit: Unit.UNIT_KWH }]);
  });

  it('phase A voltage 220.1 V (DI 02010100, XXX.X)', () => {
    // 68 | 01 00 00 00 00 00 | 68 91 06 | 33 34 34 35 | 34 55 | CS 16
    const frame = '68 01 00 00 00 00 00 68 91 06 33 34 34 35 34 55 C1 16';
    const { payload } = decode(frame);
    expect(payload.fields).toEqual([{ name: 'value', value: 220.1, quantity: 'voltage.a', unit: Unit.UNIT_V }]);
  });

  it('phase A current -1.500 A: the sign is the top bit of the most significant byte (DI 02020100)', () => {
    const { payload } = decode('68 01 00 00 00 00 00 68 91 07 33 34 35 35 33 48 B3 68 16');
    expect(payload.fields?.[0]).toMatchObject({ value: -1.5, quantity: 'current.a', unit: Unit.UNIT_A });
  });

  it('abnormal reply with error bit "no requested data" (C=D1H, ERR=02H)', () => {
    const { frame, payload } = decode('68 01 00 00 00 00 00 68 D1 01 35 D8 16');
    expect(frame.control).toMatchObject({ fromMeter: true, abnormal: true, fn: 0x11 });
    expect(payload).toEqual({ kind: 'error-reply', errorBits: 0x02, errors: ['no requested data'] });
  });

  it('broadcast time sync to 2026-11-21 08:30:15 (C=08H, address 99..99, ssmmhhDDMMYY)', () => {
    const { frame, payload } = decode('68 99 99 99 99 99 99 68 08 06 48 63 3B 54 44 59 4B 16');
    expect(frame.address).toBe('999999999999');
    expect(payload).toEqual({ kind: 'time-sync', time: { year: 2026, month: 11, day: 21, hour: 8, minute: 30, second: 15 } });
  });

  it('energy block 0001FF00: total then tariffs 1..4', () => {
    // total 100.00, sharp 10.00, peak 20.00, flat 30.00, valley 40.00
    const { payload } = decode(
      '68 01 00 00 00 00 00 68 91 18 33 32 34 33 33 33 34 33 33 43 33 33 33 53 33 33 33 63 33 33 33 73 33 33 E3 16',
    );
    expect(payload.fields?.map((f) => [f.tariff, f.value])).toEqual([
      [0, 100],
      [1, 10],
      [2, 20],
      [3, 30],
      [4, 40],
    ]);
  });

  it('last power-down record 03110001: start and end times', () => {
    // start 2026-11-20 23:59:58, end 2026-11-21 00:03:10; each YYMMDDhhmmss sent ss first.
    const { payload } = decode('68 01 00 00 00 00 00 68 91 10 34 33 44 36 8B 8C 56 53 44 59 43 36 33 54 44 59 4D 16');
    expect(payload.item?.name).toBe('power-down record -1 (start and end time)');
    expect(payload.fields).toEqual([
      { name: 'start', value: { year: 2026, month: 11, day: 20, hour: 23, minute: 59, second: 58 } },
      { name: 'end', value: { year: 2026, month: 11, day: 21, hour: 0, minute: 3, second: 10 } },
    ]);
  });

  it('keeps the bytes of an identifier it does not know, marked unsupported', () => {
    const { payload } = decode('68 01 00 00 00 00 00 68 91 06 33 33 33 3A 34 35 A4 16');
    expect(payload.kind).toBe('read-reply');
    expect(payload.di).toBe('07000000');
    expect(payload.unsupported?.reason).toMatch(/not in the registry/);
    expect([...payload.unsupported!.raw]).toEqual([0x01, 0x02]);
  });
});

describe('DL/T 645-1997 frames from the standard', () => {
  it('broadcast read of forward active energy, total (C=01H, DI 9010)', () => {
    const { frame, payload } = decode('68 AA AA AA AA AA AA 68 01 02 43 C3 D5 16');
    expect(frame.version).toBe('1997');
    expect(payload).toMatchObject({ kind: 'read-request', di: '9010' });
  });

  it('normal reply with 1234.56 kWh (C=81H)', () => {
    const { payload } = decode('68 12 90 78 56 34 12 68 81 06 43 C3 89 67 45 33 7B 16');
    expect(payload.fields?.[0]).toMatchObject({ value: 1234.56, quantity: 'energy.active.import' });
  });
});

describe('DL/T 645 frame errors', () => {
  it('reports a wrong checksum at the checksum byte', () => {
    expect(decodeDlt645Frame(hex('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AF 16'))).toEqual({
      ok: false,
      error: { code: 'CHECKSUM', offset: 14, message: 'checksum AFH at 14, computed AEH' },
    });
  });

  it('reports truncation, a missing second 68H and a wrong end byte', () => {
    expect(decodeDlt645Frame(hex('68 AA AA AA AA AA AA 68 11 04 33 33'))).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
    expect(decodeDlt645Frame(hex('68 AA AA AA AA AA AA 00 11 04 33 33 34 33 AE 16'))).toMatchObject({ ok: false, error: { offset: 7 } });
    expect(decodeDlt645Frame(hex('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 17'))).toMatchObject({ ok: false, error: { offset: 15 } });
  });

  it('reports bad BCD in a value with the offset of the byte in the frame', () => {
    // value bytes 3D 55 -> 0A 22 after -33H: low digit pair 0A is not BCD
    const f = decodeDlt645Frame(hex('68 01 00 00 00 00 00 68 91 06 33 34 34 35 3D 55 CA 16'));
    expect(f.ok).toBe(true);
    if (f.ok) expect(interpretDlt645(f.value)).toMatchObject({ ok: false, error: { code: 'BAD_BCD', offset: 14 } });
  });
});

describe('DL/T 645 encoder against the standard', () => {
  const enc = (r: Result<Uint8Array>) => toHex(must(r));

  it('builds the frames the standard shows', () => {
    expect(enc(encodeRead('AAAAAAAAAAAA', '00010000'))).toBe('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');
    expect(enc(encodeRead('AAAAAAAAAAAA', '9010'))).toBe('68 AA AA AA AA AA AA 68 01 02 43 C3 D5 16');
    expect(enc(encodeReadReply('123456789012', '00010000', [1234.56]))).toBe('68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16');
    expect(enc(encodeErrorReply('000000000001', 0x11, 0x02))).toBe('68 01 00 00 00 00 00 68 D1 01 35 D8 16');
    expect(enc(encodeBroadcastTime({ year: 2026, month: 11, day: 21, hour: 8, minute: 30, second: 15 }))).toBe(
      '68 99 99 99 99 99 99 68 08 06 48 63 3B 54 44 59 4B 16',
    );
  });

  it('builds read-address, write-address and read-follow-up requests', () => {
    expect(enc(encodeReadAddress())).toBe('68 AA AA AA AA AA AA 68 13 00 DF 16');
    const w = decodeDlt645Frame(must(encodeWriteAddress('123456789012')));
    expect(w.ok && [...w.value.data]).toEqual([0x12, 0x90, 0x78, 0x56, 0x34, 0x12]);
    const f = decodeDlt645Frame(must(encodeReadFollowUp('000000000001', '06000001', 2)));
    expect(f.ok && f.value.control.fn).toBe(0x12);
    expect(f.ok && [...f.value.data]).toEqual([0x01, 0x00, 0x00, 0x06, 0x02]);
  });

  it('refuses values that do not fit the format', () => {
    expect(encodeReadReply('000000000001', '02010100', [100000])).toMatchObject({ ok: false, error: { code: 'RANGE' } });
    expect(encodeReadReply('000000000001', '02010100', [-1])).toMatchObject({ ok: false });
    expect(encodeRead('12345', '00010000')).toMatchObject({ ok: false });
  });
});

describe('DL/T 645 round trips (property)', () => {
  const address = fc.stringMatching(/^[0-9]{12}$/);
  const ids = ['00010000', '00000000', '0002FF01', '00010403', '02010100', '0201FF00', '02020300', '02030000', '02060100', '02800002', '02800007', '9010', '901F', 'B621'];

  it.each(ids)('encode -> decode keeps every value of %s', (di) => {
    fc.assert(
      fc.property(address, fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), { minLength: 1, maxLength: 8 }), (addr, raws) => {
        const { frame: sample } = decode(toHex(must(encodeRead(addr, di))));
        expect(sample.address).toBe(addr);
        const def = di.length === 8 ? lookup2007(parseInt(di, 16) >>> 0)! : lookup1997(parseInt(di, 16))!;
        const formats = def.repeated ? raws.map(() => def.repeated!.format) : def.fields.map((f) => f.format);
        // Exact values: an integer number of the format's smallest unit, within its digits and sign.
        const values = formats.map((f, i) => {
          if (f.kind !== 'bcd') throw new Error('numeric items only');
          const digits = 10 ** (f.bytes * 2 - (f.signed ? 1 : 0));
          const n = raws[i % raws.length]! % digits;
          return (f.signed ? n : Math.abs(n)) / 10 ** f.decimals;
        });
        const frame = encodeReadReply(addr, di, values);
        expect(frame.ok).toBe(true);
        const { payload } = decode(toHex(must(frame)));
        expect(payload.fields!.map((x) => x.value)).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
      }),
    );
  });
});
