import { DEFAULT_THRESHOLDS, INDICATORS, indicatorQueries, indicatorsInMemory } from './indicators';

describe('business-expansion indicators', () => {
  it('names 15 indicators', () => {
    expect(INDICATORS).toHaveLength(15);
    expect(new Set(INDICATORS).size).toBe(15);
  });

  it('computes them for a small area worked by hand', () => {
    // Area 1: 100 kVA at power factor 0.9 = 90 kW at rate 1. Four days of the master meter.
    const load = [
      { meter_id: 10, energy_kwh: 1000, max_kw: 45, ia: 100, ib: 100, ic: 100 }, // rate 0.5
      { meter_id: 10, energy_kwh: 1200, max_kw: 75, ia: 150, ib: 100, ic: 90 }, // 0.833 heavy; imbalance 0.4
      { meter_id: 10, energy_kwh: 1400, max_kw: 90, ia: 120, ib: 110, ic: 100 }, // 1.0 overload; 0.167
      { meter_id: 10, energy_kwh: 1000, max_kw: 54, ia: 8, ib: 2, ic: 1 }, // 0.6; below the current floor
      { meter_id: 11, energy_kwh: 2000, max_kw: 12, ia: 0, ib: 0, ic: 0 }, // user over its 10 kW once
      { meter_id: 11, energy_kwh: 1000, max_kw: 8, ia: 0, ib: 0, ic: 0 },
      { meter_id: 12, energy_kwh: 1300, max_kw: 5, ia: 0, ib: 0, ic: 0 },
    ];
    const [a] = indicatorsInMemory(
      [{ area_id: 1, capacity_kva: 100 }],
      [
        { meter_id: 10, area_id: 1, is_master: 1, phase: 0, contract_kw: 0 },
        { meter_id: 11, area_id: 1, is_master: 0, phase: 1, contract_kw: 10 },
        { meter_id: 12, area_id: 1, is_master: 0, phase: 2, contract_kw: 6 },
      ],
      load,
    );
    expect(a).toMatchObject({ areaId: 1, days: 4, peakLoadKw: 90, heavyLoadDays: 1, overloadDays: 1, imbalanceDays: 1, overContractUsers: 1, overContractUserDays: 1, suppliedKwh: 4600, consumedKwh: 4300 });
    expect(a!.maxLoadRate).toBeCloseTo(1, 10);
    expect(a!.avgLoadRate).toBeCloseTo((0.5 + 75 / 90 + 1 + 0.6) / 4, 10);
    // p95 of the daily peaks 45, 54, 75, 90 (linear): 75 + 0.85 * 15 = 87.75 kW.
    expect(a!.accessibleCapacityKva).toBeCloseTo(Math.max(0, 80 - 87.75 / 0.9), 10);
    expect(a!.phaseConnectionImbalance).toBeCloseTo(1, 10); // nothing on phase C
    expect(a!.lineLossRate).toBeCloseTo(300 / 4600, 10);
    expect(a!.loadFactor).toBeCloseTo(4600 / (90 * 4 * 24), 10);
  });

  it('builds queries that refuse a table name that is not one', () => {
    const q = indicatorQueries({ areas: 'a', meters: 'gs.m', load: 'l' }, DEFAULT_THRESHOLDS, { from: 0, to: 10 });
    expect(q.master).toMatch(/FROM l\s+ALL INNER JOIN/);
    expect(q.users).toMatch(/area_id >= 0 AND area_id < 10/);
    expect(() => indicatorQueries({ areas: 'a; DROP TABLE x', meters: 'm', load: 'l' })).toThrow(/not a table name/);
  });
});
