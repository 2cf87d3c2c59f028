// The 15 offline business-expansion indicators per transformer area (what an area can still take,
// and how it runs: heavy load, overload, three-phase imbalance, users above their contracted
// capacity), over a year of daily load data. The aggregation runs inside ClickHouse: three queries,
// each one scan of its input, return one row per area; this module builds them and combines their
// rows. Definitions are in the README of this library.
//
// Input (names configurable):
//   areas  (area_id UInt32, capacity_kva Float64)
//   meters (meter_id UInt32, area_id UInt32, is_master UInt8, phase UInt8 0 = three-phase, 1..3 = A..C,
//           contract_kw Float64)
//   load   (meter_id UInt32, day Date, energy_kwh Float32, max_kw Float32,
//           ia Float32, ib Float32, ic Float32)  -- phase currents at the day's peak
// One `load` row is one meter's day: the day's energy and its peak demand.

export interface IndicatorTables {
  areas: string;
  meters: string;
  load: string;
}

export interface IndicatorThresholds {
  /** Power factor used to compare kW against a kVA rating. */
  powerFactor: number;
  /** Load rate from which a day counts as heavy (0.8 in the usual operating rules). */
  heavyRate: number;
  /** Load rate from which a day counts as overload. */
  overloadRate: number;
  /** Imbalance (max-min)/max of the phase currents above which a day counts as imbalanced. */
  imbalanceRate: number;
  /** Below this phase current (A) at peak an area is too lightly loaded for imbalance to matter. */
  imbalanceMinCurrentA: number;
  /** Share of the rating a planner keeps the typical peak under when connecting new load. */
  planningRate: number;
}

export const DEFAULT_THRESHOLDS: IndicatorThresholds = { powerFactor: 0.9, heavyRate: 0.8, overloadRate: 1.0, imbalanceRate: 0.25, imbalanceMinCurrentA: 10, planningRate: 0.8 };

export interface AreaIndicators {
  areaId: number;
  capacityKva: number;
  days: number;
  peakLoadKw: number;
  maxLoadRate: number;
  avgLoadRate: number;
  p95LoadRate: number;
  heavyLoadDays: number;
  overloadDays: number;
  accessibleCapacityKva: number;
  imbalanceDays: number;
  phaseConnectionImbalance: number;
  overContractUsers: number;
  overContractUserDays: number;
  suppliedKwh: number;
  consumedKwh: number;
  lineLossRate: number;
  loadFactor: number;
}

/** The 15 indicators by field, in the order of the README. */
export const INDICATORS = [
  'peakLoadKw',
  'maxLoadRate',
  'avgLoadRate',
  'p95LoadRate',
  'heavyLoadDays',
  'overloadDays',
  'accessibleCapacityKva',
  'imbalanceDays',
  'phaseConnectionImbalance',
  'overContractUsers',
  'overContractUserDays',
  'suppliedKwh',
  'consumedKwh',
  'lineLossRate',
  'loadFactor',
] as const satisfies ReadonlyArray<keyof AreaIndicators>;

const num = (v: number): string => {
  if (!Number.isFinite(v)) throw new RangeError(`threshold must be finite, got ${v}`);
  return String(v);
};
const ident = (s: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(s)) throw new RangeError(`not a table name: ${s}`);
  return s;
};

/** The three queries (master meters, users, phase connections), each grouped by area. */
export function indicatorQueries(t: IndicatorTables, th: IndicatorThresholds = DEFAULT_THRESHOLDS, areaRange?: { from: number; to: number }): { master: string; users: string; phases: string } {
  const areas = ident(t.areas);
  const meters = ident(t.meters);
  const load = ident(t.load);
  const inRange = areaRange ? `AND area_id >= ${Math.trunc(areaRange.from)} AND area_id < ${Math.trunc(areaRange.to)}` : '';
  const rate = `(max_kw / ${num(th.powerFactor)} / capacity_kva)`;
  const hi = 'greatest(greatest(ia, ib), ic)';
  const lo = 'least(least(ia, ib), ic)';
  const master = `
SELECT area_id, any(capacity_kva) AS rated_kva, count() AS days,
  max(max_kw) AS peak_kw, avg(${rate}) AS avg_rate, quantile(0.95)(${rate}) AS p95_rate, quantile(0.95)(max_kw) AS p95_kw,
  countIf(${rate} >= ${num(th.heavyRate)} AND ${rate} < ${num(th.overloadRate)}) AS heavy_days,
  countIf(${rate} >= ${num(th.overloadRate)}) AS overload_days,
  countIf(${hi} >= ${num(th.imbalanceMinCurrentA)} AND (${hi} - ${lo}) / ${hi} > ${num(th.imbalanceRate)}) AS imbalance_days,
  sum(energy_kwh) AS supplied_kwh
FROM ${load}
ALL INNER JOIN (
  SELECT meter_id, area_id, capacity_kva FROM ${meters} ALL INNER JOIN ${areas} USING area_id WHERE is_master = 1 ${inRange}
) USING meter_id
GROUP BY area_id ORDER BY area_id`;
  const users = `
SELECT area_id, sum(e) AS consumed_kwh, countIf(over_days > 0) AS over_users, sum(over_days) AS over_user_days
FROM (
  SELECT meter_id, any(area_id) AS area_id, sum(energy_kwh) AS e, countIf(max_kw > contract_kw) AS over_days
  FROM ${load}
  ALL INNER JOIN (SELECT meter_id, area_id, contract_kw FROM ${meters} WHERE is_master = 0 ${inRange}) USING meter_id
  GROUP BY meter_id
)
GROUP BY area_id ORDER BY area_id`;
  const phases = `
SELECT area_id, sumIf(contract_kw, phase = 1) AS a_kw, sumIf(contract_kw, phase = 2) AS b_kw, sumIf(contract_kw, phase = 3) AS c_kw
FROM ${meters} WHERE is_master = 0 ${inRange}
GROUP BY area_id ORDER BY area_id`;
  return { master, users, phases };
}

export interface MasterRow {
  area_id: number;
  rated_kva: number;
  days: number;
  peak_kw: number;
  avg_rate: number;
  p95_rate: number;
  p95_kw: number;
  heavy_days: number;
  overload_days: number;
  imbalance_days: number;
  supplied_kwh: number;
}
export interface UserRow {
  area_id: number;
  consumed_kwh: number;
  over_users: number;
  over_user_days: number;
}
export interface PhaseRow {
  area_id: number;
  a_kw: number;
  b_kw: number;
  c_kw: number;
}

/** Combines the three queries' rows (numbers may arrive as strings from a JSON client) into indicators. */
export function combineIndicators(master: MasterRow[], users: UserRow[], phases: PhaseRow[], th: IndicatorThresholds = DEFAULT_THRESHOLDS): AreaIndicators[] {
  const n = (v: unknown): number => Number(v);
  const u = new Map(users.map((r) => [n(r.area_id), r]));
  const p = new Map(phases.map((r) => [n(r.area_id), r]));
  return master.map((m) => {
    const id = n(m.area_id);
    const cap = n(m.rated_kva);
    const supplied = n(m.supplied_kwh);
    const ur = u.get(id);
    const consumed = ur ? n(ur.consumed_kwh) : 0;
    const ph = p.get(id);
    const legs = ph ? [n(ph.a_kw), n(ph.b_kw), n(ph.c_kw)] : [0, 0, 0];
    const maxLeg = Math.max(...legs);
    const peak = n(m.peak_kw);
    const days = n(m.days);
    return {
      areaId: id,
      capacityKva: cap,
      days,
      peakLoadKw: peak,
      maxLoadRate: peak / th.powerFactor / cap,
      avgLoadRate: n(m.avg_rate),
      p95LoadRate: n(m.p95_rate),
      heavyLoadDays: n(m.heavy_days),
      overloadDays: n(m.overload_days),
      accessibleCapacityKva: Math.max(0, cap * th.planningRate - n(m.p95_kw) / th.powerFactor),
      imbalanceDays: n(m.imbalance_days),
      phaseConnectionImbalance: maxLeg > 0 ? (maxLeg - Math.min(...legs)) / maxLeg : 0,
      overContractUsers: ur ? n(ur.over_users) : 0,
      overContractUserDays: ur ? n(ur.over_user_days) : 0,
      suppliedKwh: supplied,
      consumedKwh: consumed,
      lineLossRate: supplied > 0 ? (supplied - consumed) / supplied : Number.NaN,
      loadFactor: peak > 0 && days > 0 ? supplied / (peak * days * 24) : 0,
    };
  });
}

/** The same indicators computed in memory (the reference the SQL is tested against). */
export function indicatorsInMemory(
  areas: Array<{ area_id: number; capacity_kva: number }>,
  meters: Array<{ meter_id: number; area_id: number; is_master: number; phase: number; contract_kw: number }>,
  load: Array<{ meter_id: number; energy_kwh: number; max_kw: number; ia: number; ib: number; ic: number }>,
  th: IndicatorThresholds = DEFAULT_THRESHOLDS,
): AreaIndicators[] {
  const cap = new Map(areas.map((a) => [a.area_id, a.capacity_kva]));
  const meter = new Map(meters.map((m) => [m.meter_id, m]));
  const master = new Map<number, MasterRow & { rates: number[]; kws: number[] }>();
  const perUser = new Map<number, { area: number; e: number; over: number }>();
  for (const r of load) {
    const m = meter.get(r.meter_id);
    if (!m) continue;
    if (m.is_master) {
      const c = cap.get(m.area_id);
      if (c === undefined) continue;
      let a = master.get(m.area_id);
      if (!a) master.set(m.area_id, (a = { area_id: m.area_id, rated_kva: c, days: 0, peak_kw: 0, avg_rate: 0, p95_rate: 0, p95_kw: 0, heavy_days: 0, overload_days: 0, imbalance_days: 0, supplied_kwh: 0, rates: [], kws: [] }));
      const rate = r.max_kw / th.powerFactor / c;
      const hi = Math.max(r.ia, r.ib, r.ic);
      const lo = Math.min(r.ia, r.ib, r.ic);
      a.days++;
      a.peak_kw = Math.max(a.peak_kw, r.max_kw);
      a.rates.push(rate);
      a.kws.push(r.max_kw);
      if (rate >= th.heavyRate && rate < th.overloadRate) a.heavy_days++;
      if (rate >= th.overloadRate) a.overload_days++;
      if (hi >= th.imbalanceMinCurrentA && (hi - lo) / hi > th.imbalanceRate) a.imbalance_days++;
      a.supplied_kwh += r.energy_kwh;
    } else {
      const x = perUser.get(r.meter_id) ?? { area: m.area_id, e: 0, over: 0 };
      x.e += r.energy_kwh;
      if (r.max_kw > m.contract_kw) x.over++;
      perUser.set(r.meter_id, x);
    }
  }
  const users = new Map<number, UserRow>();
  for (const x of perUser.values()) {
    const r = users.get(x.area) ?? { area_id: x.area, consumed_kwh: 0, over_users: 0, over_user_days: 0 };
    r.consumed_kwh += x.e;
    if (x.over > 0) r.over_users++;
    r.over_user_days += x.over;
    users.set(x.area, r);
  }
  const phases = new Map<number, PhaseRow>();
  for (const m of meters) {
    if (m.is_master) continue;
    const r = phases.get(m.area_id) ?? { area_id: m.area_id, a_kw: 0, b_kw: 0, c_kw: 0 };
    if (m.phase === 1) r.a_kw += m.contract_kw;
    if (m.phase === 2) r.b_kw += m.contract_kw;
    if (m.phase === 3) r.c_kw += m.contract_kw;
    phases.set(m.area_id, r);
  }
  const masterRows = [...master.values()]
    .sort((a, b) => a.area_id - b.area_id)
    .map(({ rates, kws, ...a }) => ({ ...a, avg_rate: rates.reduce((s, v) => s + v, 0) / rates.length, p95_rate: quantile(rates, 0.95), p95_kw: quantile(kws, 0.95) }));
  return combineIndicators(masterRows, [...users.values()], [...phases.values()], th);
}

/** Linear-interpolated quantile (ClickHouse's `quantile` is approximate; compare with a tolerance). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
