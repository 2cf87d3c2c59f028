import fc from 'fast-check';
import { Unit } from '@gridstation/contracts';
import { decodeQgdwFrame } from './frame';
import { CLASS1, decodeClass1, encodeClass1Request, encodeClass1Response } from './class-data';
import { FORMATS } from './formats';
import { hex, must, toHex } from '../../test/bytes';

const ADDRESS = { region: '4101', terminal: 1, master: 0, group: false };

// AFN 0C F129 for p1, written out from the standard: reading time 2026-11-21 08:15 (A.15), M = 4,
// forward active energy total 12345.6789 kWh and tariffs 1000, 2000, 3000, 6345.6789 (A.14).
const F129 =
  '68 AE 00 AE 00 68 88 01 41 01 00 00 0C 60 01 01 01 10 15 08 21 11 26 04 89 67 45 23 01 00 00 00 10 00 00 00 00 20 00 00 00 00 30 00 89 67 45 63 00 14 16';

describe('AFN 0C class 1 data', () => {
  it('decodes F129 forward active energy with tariffs (A.15 time, BIN M, A.14 values)', () => {
    const f = must(decodeQgdwFrame(hex(F129)));
    expect(f.control).toMatchObject({ up: true, prm: false, fn: 8 });
    const p = must(decodeClass1(f));
    expect(p.units).toHaveLength(1);
    const u = p.units[0]!;
    expect([u.pn, u.fn]).toEqual([1, 129]);
    expect(u.values[0]).toMatchObject({ name: 'meter reading time', value: { year: 2026, month: 11, day: 21, hour: 8, minute: 15 } });
    expect(u.values[1]).toMatchObject({ name: 'tariff count', value: 4 });
    expect(u.values.slice(2).map((v) => [v.tariff, v.value, v.quantity, v.unit])).toEqual([
      [0, 12345.6789, 'energy.active.import', Unit.UNIT_KWH],
      [1, 1000, 'energy.active.import', Unit.UNIT_KWH],
      [2, 2000, 'energy.active.import', Unit.UNIT_KWH],
      [3, 3000, 'energy.active.import', Unit.UNIT_KWH],
      [4, 6345.6789, 'energy.active.import', Unit.UNIT_KWH],
    ]);
  });

  it('encodes the same F129 frame from values', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };
    const frame = must(encodeClass1Response(ADDRESS, 0, [{ pn: 1, fn: 129, values: [t, 4, 12345.6789, 1000, 2000, 3000, 6345.6789] }]));
    expect(toHex(frame)).toBe(F129);
  });

  it('F25 carries 67 bytes: time, 4 active, 4 reactive, 4 power factors, 3 voltages, 4 currents, 4 apparent powers', () => {
    const size = CLASS1[25]!.elements.reduce((n, e) => n + FORMATS[e.format].bytes, 0);
    expect(size).toBe(67);
  });

  it('keeps an unknown Fn raw and marked unsupported, after the units it could read', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };
    const known = must(encodeClass1Response(ADDRESS, 0, [{ pn: 1, fn: 129, values: [t, 0, 1.5] }]));
    // Append a unit for F3 (not supported) by hand, and fix L and CS.
    const body = [...known.subarray(14, known.length - 2), 0x01, 0x01, 0x04, 0x00, 0xaa, 0xbb];
    const user = [...known.subarray(6, 14), ...body];
    const l = (user.length << 2) | 2;
    const cs = user.reduce((s, b) => (s + b) & 0xff, 0);
    const frame = Uint8Array.from([0x68, l & 0xff, l >> 8, l & 0xff, l >> 8, 0x68, ...user, cs, 0x16]);
    const p = must(decodeClass1(must(decodeQgdwFrame(frame))));
    expect(p.units.map((u) => u.fn)).toEqual([129]);
    expect(p.unsupported).toMatchObject({ fn: [3], reason: 'AFN 0C F3 not supported' });
    expect([...p.unsupported!.raw]).toEqual([0x01, 0x01, 0x04, 0x00, 0xaa, 0xbb]);
  });

  it('builds the master request for several points and Fn', () => {
    const req = must(decodeQgdwFrame(must(encodeClass1Request(ADDRESS, 5, [{ pn: 1, fn: 25 }, { pn: 2, fn: 129 }]))));
    expect(req.control).toMatchObject({ up: false, prm: true, fn: 11 });
    expect([...req.body]).toEqual([0x01, 0x01, 0x01, 0x03, 0x02, 0x01, 0x01, 0x10]);
  });

  it('round-trips F25 and F33 for any values the formats can hold (property)', () => {
    const num = (name: 'A.5' | 'A.7' | 'A.9' | 'A.11' | 'A.14' | 'A.25') => {
      const f = FORMATS[name];
      if (f.kind !== 'bcd') throw new Error(name);
      const digits = 10 ** (f.bcd.bytes * 2 - (f.bcd.signed ? 1 : 0)) - 1;
      return fc.integer({ min: f.bcd.signed ? -digits : 0, max: digits }).map((n) => n / 10 ** f.bcd.decimals);
    };
    const time = fc.record({ year: fc.integer({ min: 2000, max: 2099 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }), hour: fc.integer({ min: 0, max: 23 }), minute: fc.integer({ min: 0, max: 59 }), second: fc.constant(0) });
    const f25 = fc.tuple(time, fc.array(num('A.9'), { minLength: 8, maxLength: 8 }), fc.array(num('A.5'), { minLength: 4, maxLength: 4 }), fc.array(num('A.7'), { minLength: 3, maxLength: 3 }), fc.array(num('A.25'), { minLength: 4, maxLength: 4 }), fc.array(num('A.9'), { minLength: 4, maxLength: 4 }));
    const f33 = fc.integer({ min: 0, max: 8 }).chain((m) => fc.tuple(time, fc.constant(m), fc.array(num('A.14'), { minLength: m + 1, maxLength: m + 1 }), fc.array(num('A.11'), { minLength: 3 * (m + 1), maxLength: 3 * (m + 1) })));
    fc.assert(
      fc.property(f25, f33, fc.integer({ min: 1, max: 2040 }), ([t, pq, pf, u, i, s], [t2, m, ea, er], pn) => {
        const v25 = [t, ...pq, ...pf, ...u, ...i, ...s];
        const v33 = [t2, m, ...ea, ...er];
        const frame = must(encodeClass1Response(ADDRESS, 3, [{ pn, fn: 25, values: v25 }, { pn, fn: 33, values: v33 }]));
        const p = must(decodeClass1(must(decodeQgdwFrame(frame))));
        const norm = (v: unknown) => (Object.is(v, -0) ? 0 : v);
        expect(p.units.map((x) => [x.pn, x.fn])).toEqual([[pn, 25], [pn, 33]]);
        expect(p.units[0]!.values.map((x) => x.value)).toEqual(v25.map((v) => (typeof v === 'number' ? norm(v) : expect.objectContaining(v))));
        expect(p.units[1]!.values.map((x) => x.value)).toEqual(v33.map((v) => (typeof v === 'number' ? norm(v) : expect.objectContaining(v))));
      }),
      { numRuns: 200 },
    );
  });
});
