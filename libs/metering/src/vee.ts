// VEE: validation, estimation, editing of meter data, the way a meter data management system does
// it. Validation flags values and never changes them; estimation fills slots that re-collection could
// not, as separate values marked with their method; editing (elsewhere) records a replacement with
// who, when and why. Raw data is never overwritten.
//
// Two kinds of series: registers (cumulative energy, only ever grow, wrap at their maximum) and
// interval values (power, demand, current: any value, but smooth in time).

export interface Point {
  t: number;
  v: number;
}

export type VeeRule = 'SPIKE' | 'FLAT_LINE' | 'BACKWARDS' | 'ROLLOVER' | 'CLOCK_DRIFT';

export interface Flag {
  t: number;
  rule: VeeRule;
  value: number;
  detail: string;
}

export interface RegisterRules {
  /** The register's range: it wraps to 0 after this (999999.9999 kWh for Q/GDW 1376.1 format A.14). */
  registerMax: number;
  /** A decrease smaller than this is rounding, not a fault. */
  toleranceKwh: number;
  /** A read unchanged over this many intervals or more while not zero is a frozen register. */
  flatIntervals: number;
  intervalMs: number;
}

export const DEFAULT_REGISTER_RULES: RegisterRules = { registerMax: 999_999.9999, toleranceKwh: 0.0001, flatIntervals: 3, intervalMs: 900_000 };

/**
 * A register's reads in time order. BACKWARDS: lower than the read before (beyond tolerance) and not
 * a wrap. ROLLOVER: a wrap (the read before was near the maximum, this one near zero); not an error,
 * flagged so consumption across it is computed modulo the range. FLAT_LINE: the reads after the first
 * of a run of equal non-zero reads spanning `flatIntervals` intervals or more.
 */
export function checkRegister(points: readonly Point[], rules: RegisterRules = DEFAULT_REGISTER_RULES): Flag[] {
  const flags: Flag[] = [];
  // A backwards read is judged against the last read that was not itself backwards, so one bad read
  // flags once, not also the good read after it.
  let ref = points[0];
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const prev = ref!;
    if (p.v < prev.v - rules.toleranceKwh) {
      if (prev.v > rules.registerMax * 0.9 && p.v < rules.registerMax * 0.1) {
        flags.push({ t: p.t, rule: 'ROLLOVER', value: p.v, detail: `wrapped from ${prev.v} (consumption ${round4(p.v + rules.registerMax + 0.0001 - prev.v)})` });
        ref = p;
      } else flags.push({ t: p.t, rule: 'BACKWARDS', value: p.v, detail: `lower than ${prev.v} at ${new Date(prev.t).toISOString()}` });
      continue;
    }
    ref = p;
  }
  let start = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i < points.length && points[i]!.v === points[start]!.v) continue;
    // Intervals the value stayed the same, by time (a read missing inside the run does not end it).
    const run = Math.round((points[i - 1]!.t - points[start]!.t) / rules.intervalMs);
    if (run >= rules.flatIntervals && points[start]!.v !== 0) {
      for (let k = start + 1; k < i; k++) flags.push({ t: points[k]!.t, rule: 'FLAT_LINE', value: points[k]!.v, detail: `unchanged since ${new Date(points[start]!.t).toISOString()} (${run} intervals)` });
    }
    start = i;
  }
  return flags.sort((a, b) => a.t - b.t);
}

export interface IntervalRules {
  /** Neighbours on each side a value is compared with. */
  window: number;
  /** A spike is further than this many robust deviations from its neighbours' median. */
  k: number;
  /** ... and further than this fraction of the median (keeps noise on a flat load from flagging). */
  minRelative: number;
  /** ... and further than this absolute amount. */
  minAbsolute: number;
}

export const DEFAULT_INTERVAL_RULES: IntervalRules = { window: 4, k: 8, minRelative: 0.6, minAbsolute: 0.05 };

/**
 * SPIKE: an interval value that leaves the line through its two neighbours by far more than the
 * series does around it. The departure is the second difference v[i] - (v[i-1] + v[i+1]) / 2, which a
 * ramp (morning rise, evening fall) keeps near zero; its spread is the median absolute deviation of
 * the same measure at the other points of the window. Only the local extreme of the departure is
 * flagged, so the neighbours of a spike are not.
 */
export function checkInterval(points: readonly Point[], rules: IntervalRules = DEFAULT_INTERVAL_RULES): Flag[] {
  const n = points.length;
  const d2 = new Float64Array(n).fill(Number.NaN);
  for (let i = 1; i < n - 1; i++) d2[i] = points[i]!.v - (points[i - 1]!.v + points[i + 1]!.v) / 2;
  const flags: Flag[] = [];
  for (let i = 1; i < n - 1; i++) {
    const dev = Math.abs(d2[i]!);
    if (dev < Math.abs(d2[i - 1]!) || dev < Math.abs(d2[i + 1]!)) continue; // NaN compares false
    const others: number[] = [];
    for (let j = Math.max(1, i - rules.window - 1); j <= Math.min(n - 2, i + rules.window + 1); j++) if (Math.abs(j - i) > 1) others.push(d2[j]!);
    if (others.length < 2) continue;
    const med = median(others);
    const mad = median(others.map((x) => Math.abs(x - med))) * 1.4826;
    const base = (points[i - 1]!.v + points[i + 1]!.v) / 2;
    if (dev > rules.k * mad && dev > rules.minRelative * Math.abs(base) && dev > rules.minAbsolute) {
      flags.push({ t: points[i]!.t, rule: 'SPIKE', value: points[i]!.v, detail: `${round4(points[i]!.v)} where its neighbours give ${round4(base)}` });
    }
  }
  return flags;
}

export interface ClockSample {
  /** The meter's clock as it reported it. */
  meterMs: number;
  /** The station's clock when the answer arrived (less half the round trip where known). */
  stationMs: number;
}

export interface ClockCheck {
  /** Latest drift, meter minus station; positive = meter ahead. */
  driftMs: number;
  /** Drift change per day from the first to the last sample (0 with one sample). */
  driftPerDayMs: number;
  flag?: Flag;
  /** True when the drift passed the threshold: send a time-set (Q/GDW 1376.1 AFN 05 F31). */
  setTime: boolean;
}

export function checkClock(samples: readonly ClockSample[], thresholdMs = 300_000): ClockCheck | undefined {
  if (samples.length === 0) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const driftMs = last.meterMs - last.stationMs;
  const span = last.stationMs - first.stationMs;
  const driftPerDayMs = span > 0 ? ((driftMs - (first.meterMs - first.stationMs)) / span) * 86_400_000 : 0;
  const over = Math.abs(driftMs) > thresholdMs;
  return {
    driftMs,
    driftPerDayMs,
    setTime: over,
    ...(over ? { flag: { t: last.stationMs, rule: 'CLOCK_DRIFT' as const, value: driftMs, detail: `meter clock ${driftMs > 0 ? 'ahead' : 'behind'} by ${Math.round(Math.abs(driftMs) / 1000)} s (threshold ${thresholdMs / 1000} s)` } } : {}),
  };
}

// --- estimation ---------------------------------------------------------------------------------

export type EstimationMethod = 'LINEAR' | 'PROFILE';

export interface Estimate extends Point {
  method: EstimationMethod;
}

export interface EstimationOptions {
  intervalMs: number;
  /** Gaps of up to this many slots are interpolated linearly; longer ones follow the load profile. */
  maxLinearSlots: number;
  /** 'register': cumulative (the gap's total is known from its ends); 'interval': levels. */
  kind: 'register' | 'interval';
  /** Offset of local midnight from UTC, for the profile's time of day (China: +8 h). */
  utcOffsetMs: number;
}

export const DEFAULT_ESTIMATION: EstimationOptions = { intervalMs: 900_000, maxLinearSlots: 4, kind: 'interval', utcOffsetMs: 8 * 3_600_000 };

/**
 * Estimates the slots of [fromMs, toMs) missing from `points` (sorted; raw values, anomalies already
 * excluded). A gap with no value on one side cannot be bounded and is left empty.
 */
export function estimateGaps(points: readonly Point[], fromMs: number, toMs: number, o: EstimationOptions = DEFAULT_ESTIMATION): Estimate[] {
  const byT = new Map(points.map((p) => [p.t, p.v]));
  // The profile of a long gap comes from the other days (the gap's own day is at another level).
  const profileFor = (fromT: number, toT: number): Map<number, number> => {
    const first = dayOf(fromT, o);
    const last = dayOf(toT, o);
    const others = points.filter((p) => dayOf(p.t, o) < first || dayOf(p.t, o) > last);
    const use = others.length ? others : points;
    return o.kind === 'interval' ? levelProfile(use, o) : deltaProfile(use, o);
  };
  const out: Estimate[] = [];
  let t = fromMs;
  while (t < toMs) {
    if (byT.has(t)) {
      t += o.intervalMs;
      continue;
    }
    const start = t;
    while (t < toMs && !byT.has(t)) t += o.intervalMs;
    const before = byT.get(start - o.intervalMs);
    const after = byT.get(t);
    if (before === undefined || after === undefined) continue;
    const n = (t - start) / o.intervalMs; // missing slots
    const slots = Array.from({ length: n }, (_, k) => start + k * o.intervalMs);
    const profile = n <= o.maxLinearSlots ? new Map<number, number>() : profileFor(start - o.intervalMs, t);
    if (profile.size === 0) {
      slots.forEach((s, k) => out.push({ t: s, v: before + ((after - before) * (k + 1)) / (n + 1), method: 'LINEAR' }));
    } else if (o.kind === 'interval') {
      // The profile's shape, scaled to the level at the gap's two ends.
      const pb = profile.get(slotOfDay(start - o.intervalMs, o)) ?? 0;
      const pa = profile.get(slotOfDay(t, o)) ?? 0;
      const scale = pb + pa > 0 ? (before + after) / (pb + pa) : 1;
      for (const s of slots) out.push({ t: s, v: (profile.get(slotOfDay(s, o)) ?? 0) * scale, method: 'PROFILE' });
    } else {
      // A register's consumption over the gap is known (after - before): spread it like the profile.
      const weights = [...slots, t].map((s) => profile.get(slotOfDay(s, o)) ?? 0);
      const sum = weights.reduce((a, b) => a + b, 0);
      let acc = before;
      slots.forEach((s, k) => {
        acc += sum > 0 ? ((after - before) * weights[k]!) / sum : (after - before) / (n + 1);
        out.push({ t: s, v: acc, method: 'PROFILE' });
      });
    }
  }
  return out;
}

const dayOf = (t: number, o: EstimationOptions): number => Math.floor((t + o.utcOffsetMs) / 86_400_000);
const slotOfDay = (t: number, o: EstimationOptions): number => Math.floor((((t + o.utcOffsetMs) % 86_400_000) + 86_400_000) % 86_400_000 / o.intervalMs);

/** Mean level per slot of day. */
function levelProfile(points: readonly Point[], o: EstimationOptions): Map<number, number> {
  const sum = new Map<number, [number, number]>();
  for (const p of points) {
    const s = slotOfDay(p.t, o);
    const a = sum.get(s) ?? [0, 0];
    a[0] += p.v;
    a[1]++;
    sum.set(s, a);
  }
  return new Map([...sum].map(([s, [v, n]]) => [s, v / n]));
}

/** Mean consumption per slot of day (the delta ending at that slot), from consecutive reads. */
function deltaProfile(points: readonly Point[], o: EstimationOptions): Map<number, number> {
  const sum = new Map<number, [number, number]>();
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (b.t - a.t !== o.intervalMs || b.v < a.v) continue;
    const s = slotOfDay(b.t, o);
    const x = sum.get(s) ?? [0, 0];
    x[0] += b.v - a.v;
    x[1]++;
    sum.set(s, x);
  }
  return new Map([...sum].map(([s, [v, n]]) => [s, v / n]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;
