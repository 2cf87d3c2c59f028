// Completeness: what a meter should have delivered for a day against what is stored, the missing
// slots as time ranges (what a re-collection request asks for), and the collection success rate the
// operators report per day per transformer area and per terminal.
//
// A slot is the data time a value belongs to: a 15-minute curve point at 00:00, 00:15, ... (96 a day)
// or the daily freeze at 00:00 of the next day. Slots are aligned to the start of the period, so
// "present" values whose data time is off the grid are counted in no slot (they are not what was
// asked for) and reported separately.

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const CURVE_15M_MS = 15 * MINUTE_MS;

/** What a collection plan expects of a meter: one quantity at a fixed density. */
export interface ExpectedItem {
  quantity: string;
  /** Distance between slots (15 min for curves, a day for freezes). */
  intervalMs: number;
}

/** A run of consecutive missing slots, [fromMs, toMs): `points` slots starting at fromMs. */
export interface Gap {
  fromMs: number;
  toMs: number;
  points: number;
}

export interface SlotCheck {
  expected: number;
  present: number;
  /** Values whose data time is on no slot of the window. */
  offGrid: number;
  gaps: Gap[];
}

/** The slots of [fromMs, toMs) at `intervalMs`, aligned on fromMs. */
export function slotCount(fromMs: number, toMs: number, intervalMs: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
  return toMs > fromMs ? Math.ceil((toMs - fromMs) / intervalMs) : 0;
}

/** Compares the data times present against the slots of [fromMs, toMs). Duplicates count once. */
export function checkSlots(present: Iterable<number>, fromMs: number, toMs: number, intervalMs: number): SlotCheck {
  const n = slotCount(fromMs, toMs, intervalMs);
  const seen = new Uint8Array(n);
  let offGrid = 0;
  for (const t of present) {
    if (t < fromMs || t >= toMs) continue;
    const k = (t - fromMs) / intervalMs;
    if (!Number.isInteger(k)) {
      offGrid++;
      continue;
    }
    seen[k] = 1;
  }
  const gaps: Gap[] = [];
  let have = 0;
  let start = -1;
  for (let k = 0; k <= n; k++) {
    if (k < n && seen[k]) have++;
    const missing = k < n && !seen[k];
    if (missing && start < 0) start = k;
    if (!missing && start >= 0) {
      gaps.push({ fromMs: fromMs + start * intervalMs, toMs: fromMs + k * intervalMs, points: k - start });
      start = -1;
    }
  }
  return { expected: n, present: have, offGrid, gaps };
}

/**
 * Splits gaps into read requests of at most `maxPoints` slots each (a terminal answers a curve
 * request for a bounded number of points: Q/GDW 1376.1 AFN 0D curve data carries a start time, a
 * density and a point count in one byte).
 */
export function requestWindows(gaps: Gap[], intervalMs: number, maxPoints: number): Gap[] {
  if (maxPoints < 1) throw new RangeError(`maxPoints must be at least 1, got ${maxPoints}`);
  const out: Gap[] = [];
  for (const g of gaps) {
    for (let from = g.fromMs; from < g.toMs; from += maxPoints * intervalMs) {
      const to = Math.min(g.toMs, from + maxPoints * intervalMs);
      out.push({ fromMs: from, toMs: to, points: Math.round((to - from) / intervalMs) });
    }
  }
  return out;
}

/** One meter's day: what was expected and what arrived, and where the meter hangs. */
export interface MeterDay {
  meterId: string;
  area: string;
  terminal: string;
  dayStartMs: number;
  expected: number;
  present: number;
}

export interface SuccessRate {
  key: string;
  dayStartMs: number;
  meters: number;
  /** Meters with every expected slot present. */
  completeMeters: number;
  expected: number;
  present: number;
  /** present / expected (1 when nothing was expected). */
  rate: number;
  /** completeMeters / meters: the share of meters "collected successfully" that day. */
  meterRate: number;
}

/** The KPI: success rate per day per area or per terminal. */
export function successRates(days: Iterable<MeterDay>, by: 'area' | 'terminal'): SuccessRate[] {
  const acc = new Map<string, SuccessRate>();
  for (const d of days) {
    const key = by === 'area' ? d.area : d.terminal;
    const k = `${key}|${d.dayStartMs}`;
    let r = acc.get(k);
    if (!r) acc.set(k, (r = { key, dayStartMs: d.dayStartMs, meters: 0, completeMeters: 0, expected: 0, present: 0, rate: 1, meterRate: 1 }));
    r.meters++;
    r.expected += d.expected;
    r.present += Math.min(d.present, d.expected);
    if (d.present >= d.expected) r.completeMeters++;
  }
  const out = [...acc.values()];
  for (const r of out) {
    r.rate = r.expected ? r.present / r.expected : 1;
    r.meterRate = r.meters ? r.completeMeters / r.meters : 1;
  }
  return out.sort((a, b) => a.dayStartMs - b.dayStartMs || a.key.localeCompare(b.key));
}
