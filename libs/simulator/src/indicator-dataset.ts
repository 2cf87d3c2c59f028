// A year of daily load data for the business-expansion indicators, generated inside ClickHouse
// (INSERT ... SELECT from numbers(): 73 million rows never cross the network). Every value is a hash
// of its row's identity, so the same size always gives the same data.
//
// Areas have a rating of 200-800 kVA and a load level of their own (some run heavy, a few overload
// in summer); one meter per area is its master meter (meter id = area id), the others are users
// spread evenly over the areas, 10 % three-phase, the rest on phase A, B or C, with a contracted
// capacity of 4-40 kW that they exceed on about 2 % of days. The master meter's phase currents at
// the peak are unbalanced by an amount that differs by area and by day.

export interface IndicatorDatasetSize {
  areas: number;
  /** Meters in all, masters included (must be more than areas). */
  meters: number;
  days: number;
  /** First day, YYYY-MM-DD. */
  firstDay: string;
}

/** The paper's first offline case: 1,800 areas, 200,000 meters, a year: 73 million meter-days. */
export const PAPER_CASE: IndicatorDatasetSize = { areas: 1_800, meters: 200_000, days: 365, firstDay: '2025-01-01' };

const int = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
};

/** Uniform [0, 1) from a hash of the arguments (ClickHouse SQL). */
const u = (expr: string, salt: number) => `(cityHash64(${expr}, ${salt}) % 1000000) / 1000000.`;

export function indicatorDatasetSql(size: IndicatorDatasetSize, tables = { areas: 'ind_areas', meters: 'ind_meters', load: 'ind_load' }): { areas: string; meters: string; load: (fromRow: number, rows: number) => string; loadRows: number } {
  const A = int(size.areas, 'areas');
  const M = int(size.meters, 'meters');
  const D = int(size.days, 'days');
  if (M <= A) throw new RangeError('meters must be more than areas (one master meter per area)');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(size.firstDay)) throw new RangeError(`firstDay must be YYYY-MM-DD, got ${size.firstDay}`);
  const capacity = (area: string) => `arrayElement([200., 315., 400., 500., 630., 800.], (${area} % 6) + 1)`;
  const areas = `INSERT INTO ${tables.areas} SELECT toUInt32(number) AS area_id, ${capacity('number')} AS capacity_kva FROM numbers(${A})`;
  const meters = `INSERT INTO ${tables.meters}
SELECT toUInt32(number) AS meter_id, toUInt32(if(number < ${A}, number, toUInt64(number - ${A}) % ${A})) AS area_id, toUInt8(number < ${A}) AS is_master,
  if(number < ${A} OR ${u('number', 1)} < 0.1, toUInt8(0), toUInt8(1 + cityHash64(number, 2) % 3)) AS phase,
  if(number < ${A}, 0., toFloat64(4 + cityHash64(number, 3) % 37)) AS contract_kw
FROM numbers(${M})`;
  // Row n: meter intDiv(n, D), day n % D. The seasonal factor peaks in summer (day of year ~200).
  const load = (fromRow: number, rows: number) => `INSERT INTO ${tables.load}
SELECT meter_id, day,
  toFloat32(if(master, max_kw * 24 * 0.55, max_kw * 24 * 0.3)) AS energy_kwh,
  toFloat32(max_kw) AS max_kw,
  toFloat32(if(master, amps * (1 + 0.45 * ${u('meter_id, d', 7)} * area_imb), 0)) AS ia,
  toFloat32(if(master, amps * (1 - 0.25 * ${u('meter_id, d', 8)} * area_imb), 0)) AS ib,
  toFloat32(if(master, amps * (1 - 0.35 * ${u('meter_id, d', 9)} * area_imb), 0)) AS ic
FROM (
  SELECT toUInt32(intDiv(number, ${D})) AS meter_id, number % ${D} AS d, toDate('${size.firstDay}') + d AS day, meter_id < ${A} AS master,
    0.8 + 0.25 * cos(2 * pi() * (toFloat64(toDayOfYear(day)) - 200) / 365) AS season,
    ${u('meter_id', 4)} AS area_level,
    ${u('meter_id', 5)} AS area_imb,
    if(master,
      ${capacity('meter_id')} * 0.9 * (0.3 + 0.75 * area_level) * season * (0.92 + 0.16 * ${u('meter_id, d', 6)}),
      toFloat64(4 + cityHash64(toUInt64(meter_id), 3) % 37) * (0.2 + 0.85 * pow(${u('meter_id, d', 10)}, 3))) AS max_kw,
    max_kw * 1000 / (3 * 230 * 0.9) AS amps
  FROM numbers(${int(fromRow + 1, 'fromRow + 1') - 1}, ${int(rows, 'rows')})
)`;
  return { areas, meters, load, loadRows: M * D };
}
