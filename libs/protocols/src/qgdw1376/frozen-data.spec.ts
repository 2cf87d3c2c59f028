import fc from 'fast-check';
import { Unit } from '@gridstation/contracts';
import { decodeQgdwFrame, encodeQgdwFrame } from './frame';
import { decodeClass2, decodeClass2Request, encodeClass2Request, encodeClass2Response } from './frozen-data';
import { hex, must, toHex } from '../../test/bytes';

const ADDRESS = { region: '4101', terminal: 1, master: 0, group: false };
const day = (d: number, hour = 0, minute = 0) => ({ year: 2026, month: 11, day: d, hour, minute, second: 0 });

// By hand from the standard: F89 phase A voltage curve of p1 from 2026-11-21 00:00, m = 1 (15 min),
// n = 4: 220.1, 219.9, no data (EE EE), 221.0 (A.7).
const F89 = '68 6E 00 6E 00 68 88 01 41 01 00 00 0D 60 01 01 01 0B 00 00 21 11 26 01 04 01 22 99 21 EE EE 10 22 8E 16';
// F161 daily frozen forward active energy of p1 for 2026-11-20 (A.20), read 2026-11-21 00:05, M = 0,
// total 12345.6789 kWh (A.14).
const F161 = '68 6A 00 6A 00 68 88 01 41 01 00 00 0D 60 01 01 01 14 20 11 26 05 00 21 11 26 00 89 67 45 23 01 5C 16';

describe('AFN 0D frozen data', () => {
  it('decodes a 15-minute voltage curve with a missing point', () => {
    const p = must(decodeClass2(must(decodeQgdwFrame(hex(F89)))));
    expect(p.units).toEqual([
      { pn: 1, fn: 89, name: 'phase A voltage curve', kind: 'curve', quantity: 'voltage.a', unit: Unit.UNIT_V, start: day(21), intervalMinutes: 15, values: [220.1, 219.9, null, 221] },
    ]);
  });

  it('decodes a daily frozen energy reading', () => {
    const p = must(decodeClass2(must(decodeQgdwFrame(hex(F161)))));
    expect(p.units[0]).toMatchObject({ pn: 1, fn: 161, kind: 'daily', start: day(20), readAt: day(21, 0, 5), values: [12345.6789] });
  });

  it('encodes both frames exactly', () => {
    expect(toHex(must(encodeClass2Response(ADDRESS, 0, [{ pn: 1, fn: 89, start: day(21), density: 1, values: [220.1, 219.9, null, 221] }])))).toBe(F89);
    expect(toHex(must(encodeClass2Response(ADDRESS, 0, [{ pn: 1, fn: 161, start: day(20), readAt: day(21, 0, 5), values: [12345.6789] }])))).toBe(F161);
  });

  it('builds requests with the time label of each kind', () => {
    const f = must(decodeQgdwFrame(must(encodeClass2Request(ADDRESS, 1, [{ pn: 1, fn: 81, start: day(21), density: 1, points: 96 }, { pn: 2, fn: 161, start: day(20) }]))));
    expect(f.afn).toBe(0x0d);
    expect(toHex(f.body)).toBe('01 01 01 0A 00 00 21 11 26 01 60 02 01 01 14 20 11 26');
  });

  it('reads a request the way a terminal does: one time label per measurement point x Fn', () => {
    // DA = p1 and p2 (DA1 = 03H, DA2 = 01H), DT = F81 (DT1 = 01H, DT2 = 0AH): two curve labels follow,
    // 2026-11-21 00:00 and 2026-11-21 12:00, both m = 1 (15 min); 8 and 4 points. Then F161 of p3 for 2026-11-20.
    const body = hex('03 01 01 0A 00 00 21 11 26 01 08 00 12 21 11 26 01 04 04 01 01 14 20 11 26');
    const frame = must(decodeQgdwFrame(must(encodeQgdwFrame({ control: 0x4b, address: ADDRESS, afn: 0x0d, seq: 0x61, body }))));
    expect(must(decodeClass2Request(frame))).toEqual([
      { pn: 1, fn: 81, start: day(21), density: 1, points: 8 },
      { pn: 2, fn: 81, start: day(21, 12), density: 1, points: 4 },
      { pn: 3, fn: 161, start: day(20) },
    ]);
    const own = must(decodeQgdwFrame(must(encodeClass2Request(ADDRESS, 1, [{ pn: 1, fn: 81, start: day(21), density: 1, points: 96 }, { pn: 2, fn: 161, start: day(20) }]))));
    expect(must(decodeClass2Request(own))).toEqual([{ pn: 1, fn: 81, start: day(21), density: 1, points: 96 }, { pn: 2, fn: 161, start: day(20) }]);
    const cut = must(decodeQgdwFrame(must(encodeQgdwFrame({ control: 0x4b, address: ADDRESS, afn: 0x0d, seq: 0x61, body: body.subarray(0, 10) }))));
    expect(decodeClass2Request(cut)).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });

  it('round-trips a day of 96 points of power (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: -799_999, max: 799_999 }).map((n) => n / 10_000), { nil: null }), { minLength: 1, maxLength: 96 }), (values) => {
        const frame = must(encodeClass2Response(ADDRESS, 2, [{ pn: 7, fn: 81, start: day(21), density: 1, values }]));
        const u = must(decodeClass2(must(decodeQgdwFrame(frame)))).units[0]!;
        expect(u.values).toEqual(values.map((v) => (v === null ? null : Object.is(v, -0) ? 0 : v)));
      }),
    );
  });
});
