import { openClickHouse, type ClickHouseHandle } from '@gridstation/clickhouse';
import { ClickHouseIndicators } from '@gridstation/collection';
import { INDICATORS, indicatorsInMemory, type AreaIndicators } from '@gridstation/metering';
import { indicatorDatasetSql } from '@gridstation/simulator';
import { infra, requireService } from '@gridstation/testing';

// The 15 business-expansion indicators computed inside a real ClickHouse over a generated year of
// daily load, checked area by area against the same definitions computed in memory from the rows.

describe('business-expansion indicators in ClickHouse', () => {
  const database = `gs_ind_${Date.now().toString(36)}`;
  let ch: ClickHouseHandle;
  const size = { areas: 40, meters: 2_400, days: 120, firstDay: '2025-05-01' };

  beforeAll(async () => {
    await requireService('clickhouse');
    ch = await openClickHouse({ urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' });
    await new ClickHouseIndicators({ handle: ch }).migrate();
    const sql = indicatorDatasetSql(size);
    await ch.client.command({ query: sql.areas });
    await ch.client.command({ query: sql.meters });
    await ch.client.command({ query: sql.load(0, sql.loadRows) });
  });
  afterAll(async () => {
    await ch?.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await ch?.close();
  });

  const rows = async <T>(query: string): Promise<T[]> => ((await (await ch.client.query({ query, format: 'JSON' })).json()) as unknown as { data: T[] }).data;
  const numeric = <T extends object>(r: T): T => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as T;

  it('agree with the in-memory definitions for every area and indicator', async () => {
    const run = await new ClickHouseIndicators({ handle: ch }).compute();
    expect(run.indicators).toHaveLength(size.areas);
    expect(run.rowsRead).toBeGreaterThanOrEqual(size.meters * size.days);
    const reference = indicatorsInMemory(
      (await rows<{ area_id: number; capacity_kva: number }>('SELECT * FROM ind_areas')).map(numeric),
      (await rows<{ meter_id: number; area_id: number; is_master: number; phase: number; contract_kw: number }>('SELECT * FROM ind_meters')).map(numeric),
      (await rows<{ meter_id: number; energy_kwh: number; max_kw: number; ia: number; ib: number; ic: number }>('SELECT meter_id, energy_kwh, max_kw, ia, ib, ic FROM ind_load')).map(numeric),
    );
    const byArea = new Map(reference.map((r) => [r.areaId, r]));
    for (const got of run.indicators) {
      const want = byArea.get(got.areaId)!;
      expect(got.days).toBe(size.days);
      for (const k of INDICATORS) {
        const [g, w] = [got[k], want[k]];
        // ClickHouse's quantile is an estimate (interpolated from a sample); the rest is exact up to float sums.
        const tol = k === 'p95LoadRate' || k === 'accessibleCapacityKva' ? 0.02 * Math.max(1, Math.abs(w)) : 1e-6 * Math.max(1, Math.abs(w));
        if (Math.abs(g - w) > tol) throw new Error(`area ${got.areaId} ${k}: ClickHouse ${g}, in memory ${w}`);
      }
    }
    // The generated year has what the indicators are for: heavy and overloaded areas, imbalance, users over contract.
    const sum = (k: keyof AreaIndicators) => run.indicators.reduce((s, r) => s + Number(r[k]), 0);
    expect(sum('heavyLoadDays')).toBeGreaterThan(0);
    expect(sum('overloadDays')).toBeGreaterThan(0);
    expect(sum('imbalanceDays')).toBeGreaterThan(0);
    expect(sum('overContractUsers')).toBeGreaterThan(0);
    expect(run.indicators.filter((r) => r.accessibleCapacityKva > 0).length).toBeGreaterThan(0);
  });

  it('a range of areas (one task of a task set) gives exactly those areas\' rows of the whole run', async () => {
    const whole = await new ClickHouseIndicators({ handle: ch }).compute();
    const part = await new ClickHouseIndicators({ handle: ch }).compute(undefined, { from: 10, to: 20 });
    expect(part.indicators.map((r) => r.areaId)).toEqual(Array.from({ length: 10 }, (_, k) => 10 + k));
    const want = whole.indicators.filter((r) => r.areaId >= 10 && r.areaId < 20);
    part.indicators.forEach((r, i) => {
      for (const k of INDICATORS) expect(r[k]).toBeCloseTo(want[i]![k], 9);
    });
  });
});
