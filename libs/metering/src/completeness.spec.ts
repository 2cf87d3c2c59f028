import { CURVE_15M_MS, DAY_MS, checkSlots, requestWindows, slotCount, successRates } from './completeness';

const day = Date.UTC(2026, 10, 30) - 8 * 3_600_000; // local midnight, UTC+8
const q = CURVE_15M_MS;

describe('completeness of a meter day', () => {
  it('expects 96 curve points and one daily freeze a day', () => {
    expect(slotCount(day, day + DAY_MS, q)).toBe(96);
    expect(slotCount(day, day + DAY_MS, DAY_MS)).toBe(1);
  });

  it('lists missing slots as time ranges, counts a duplicate once and an off-grid value in no slot', () => {
    const present = Array.from({ length: 96 }, (_, k) => day + k * q).filter((t) => {
      const k = (t - day) / q;
      return k !== 0 && !(k >= 10 && k < 14) && k !== 95;
    });
    present.push(day + 20 * q, day + 20 * q + 1000);
    const c = checkSlots(present, day, day + DAY_MS, q);
    expect(c).toMatchObject({ expected: 96, present: 90, offGrid: 1 });
    expect(c.gaps).toEqual([
      { fromMs: day, toMs: day + q, points: 1 },
      { fromMs: day + 10 * q, toMs: day + 14 * q, points: 4 },
      { fromMs: day + 95 * q, toMs: day + DAY_MS, points: 1 },
    ]);
  });

  it('a day with nothing is one gap of 96 points; splitting it in requests of at most 24', () => {
    const c = checkSlots([], day, day + DAY_MS, q);
    expect(c.gaps).toEqual([{ fromMs: day, toMs: day + DAY_MS, points: 96 }]);
    const w = requestWindows(c.gaps, q, 24);
    expect(w.map((x) => x.points)).toEqual([24, 24, 24, 24]);
    expect(w[3]).toEqual({ fromMs: day + 72 * q, toMs: day + DAY_MS, points: 24 });
    expect(requestWindows([{ fromMs: day, toMs: day + 5 * q, points: 5 }], q, 2).map((x) => x.points)).toEqual([2, 2, 1]);
  });

  it('success rate per area and per terminal: point rate and the share of meters complete', () => {
    const rows = [
      { meterId: 'm1', area: 'A', terminal: 'T1', dayStartMs: day, expected: 96, present: 96 },
      { meterId: 'm2', area: 'A', terminal: 'T1', dayStartMs: day, expected: 96, present: 48 },
      { meterId: 'm3', area: 'B', terminal: 'T2', dayStartMs: day, expected: 96, present: 96 },
      { meterId: 'm1', area: 'A', terminal: 'T1', dayStartMs: day + DAY_MS, expected: 96, present: 0 },
    ];
    const byArea = successRates(rows, 'area');
    expect(byArea.map((r) => [r.key, r.dayStartMs - day, r.rate, r.meterRate])).toEqual([
      ['A', 0, 0.75, 0.5],
      ['B', 0, 1, 1],
      ['A', DAY_MS, 0, 0],
    ]);
    expect(successRates(rows, 'terminal')[0]).toMatchObject({ key: 'T1', meters: 2, expected: 192, present: 144 });
  });
});
