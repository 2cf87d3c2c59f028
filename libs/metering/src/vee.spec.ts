import { checkClock, checkInterval, checkRegister, estimateGaps, type Point } from './vee';

const q = 900_000;
const t0 = Date.UTC(2026, 10, 30, 16); // local midnight (UTC+8)
const series = (vs: number[]): Point[] => vs.map((v, k) => ({ t: t0 + k * q, v }));

describe('VEE validation', () => {
  it('a register going backwards is flagged once, at the bad read', () => {
    const f = checkRegister(series([100, 100.5, 101, 90, 101.6, 102]));
    expect(f.map((x) => [x.rule, (x.t - t0) / q])).toEqual([['BACKWARDS', 3]]);
  });

  it('a wrap near the register maximum is a rollover, not backwards', () => {
    const f = checkRegister(series([999_998.5, 999_999.5, 0.4, 1.4]));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'ROLLOVER', t: t0 + 2 * q });
    expect(f[0]!.detail).toMatch(/consumption 0\.9/);
  });

  it('a non-zero register unchanged over 3 intervals is flat-lined (the frozen reads flagged); 2 intervals or zero are not', () => {
    const f = checkRegister(series([10, 11, 12, 12, 12, 12, 13, 14, 14, 14, 15]));
    expect(f.map((x) => [x.rule, (x.t - t0) / q])).toEqual([['FLAT_LINE', 3], ['FLAT_LINE', 4], ['FLAT_LINE', 5]]);
    expect(checkRegister(series([0, 0, 0, 0, 0]))).toEqual([]);
  });

  it('a spike stands out from its neighbours; the daily ramp does not', () => {
    const ramp = Array.from({ length: 40 }, (_, k) => 2 + Math.sin(k / 6) + (k % 3) * 0.01);
    expect(checkInterval(series(ramp))).toEqual([]);
    ramp[17] = ramp[17]! * 6;
    const f = checkInterval(series(ramp));
    expect(f.map((x) => [x.rule, (x.t - t0) / q])).toEqual([['SPIKE', 17]]);
  });

  it('clock drift past the threshold asks for a time set; the drift rate is per day', () => {
    const day = 86_400_000;
    const c = checkClock([{ meterMs: t0 + 10_000, stationMs: t0 }, { meterMs: t0 + day + 370_000, stationMs: t0 + day }], 300_000)!;
    expect(c.driftMs).toBe(370_000);
    expect(c.driftPerDayMs).toBe(360_000);
    expect(c.setTime).toBe(true);
    expect(c.flag).toMatchObject({ rule: 'CLOCK_DRIFT' });
    expect(c.flag!.detail).toMatch(/ahead by 370 s/);
    expect(checkClock([{ meterMs: t0 - 60_000, stationMs: t0 }])!.setTime).toBe(false);
  });
});

describe('VEE estimation', () => {
  it('a short gap is interpolated linearly, marked LINEAR', () => {
    const pts = series([1, 2, 0, 0, 5]).filter((_, k) => k !== 2 && k !== 3);
    expect(estimateGaps(pts, t0, t0 + 5 * q)).toEqual([
      { t: t0 + 2 * q, v: 3, method: 'LINEAR' },
      { t: t0 + 3 * q, v: 4, method: 'LINEAR' },
    ]);
  });

  it('a long gap follows the meter\'s profile of other days, scaled to the level at its ends', () => {
    // Two days of a profile that doubles between 06:00 and 12:00 local; day 3 is missing 06:00-12:00.
    const shape = (k: number) => (k >= 24 && k < 48 ? 2 : 1);
    const pts: Point[] = [];
    for (let d = 0; d < 3; d++) for (let k = 0; k < 96; k++) if (!(d === 2 && k >= 24 && k < 48)) pts.push({ t: t0 + (d * 96 + k) * q, v: shape(k) * (d === 2 ? 1.5 : 1) });
    const est = estimateGaps(pts, t0, t0 + 3 * 96 * q);
    expect(est).toHaveLength(24);
    expect(est.every((e) => e.method === 'PROFILE')).toBe(true);
    // Ends at 1.5 (the day's level), profile 1 there: inside the gap the profile says 2 -> 3.
    expect(est[0]!.v).toBeCloseTo(3, 10);
  });

  it('a register\'s long gap spreads the known consumption like the profile and meets the read after it', () => {
    const pts: Point[] = [];
    let v = 0;
    for (let k = 0; k < 2 * 96; k++) {
      v += k % 96 >= 40 && k % 96 < 60 ? 2 : 1;
      if (!(k >= 96 + 38 && k < 96 + 62)) pts.push({ t: t0 + k * q, v });
    }
    const est = estimateGaps(pts, t0, t0 + 2 * 96 * q, { intervalMs: q, maxLinearSlots: 4, kind: 'register', utcOffsetMs: 8 * 3_600_000 });
    expect(est).toHaveLength(24);
    // The first day alone gives the profile; the estimate follows it exactly here.
    const truth = new Map<number, number>();
    v = 0;
    for (let k = 0; k < 2 * 96; k++) truth.set(t0 + k * q, (v += k % 96 >= 40 && k % 96 < 60 ? 2 : 1));
    for (const e of est) expect(e.v).toBeCloseTo(truth.get(e.t)!, 6);
  });

  it('a gap open at one end is not estimated', () => {
    expect(estimateGaps(series([1, 2]), t0, t0 + 6 * q)).toEqual([]);
  });
});
