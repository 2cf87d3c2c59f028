import { openClickHouse, type ClickHouseHandle } from '@gridstation/clickhouse';
import { ClickHouseIndicators } from '@gridstation/collection';
import { INDICATORS, indicatorsInMemory, type AreaIndicators } from '@gridstation/metering';
import { indicatorDatasetSql } from '@gridstation/simulator';
import { Alert, AlertKind, AlertState, CollectionServiceClient, ComputeIndicatorsRequest, GetIndicatorsRequest, SummarizeTaskSetRequest, TaskServiceClient, type ComputeIndicatorsResponse, type GetIndicatorsResponse, type SummarizeTaskSetResponse } from '@gridstation/contracts';
import { distributedServiceEnv, infra, insecure, requireService, unary, uniqueName, waitFor } from '@gridstation/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startProcess, stopProcess, waitReady, type ServiceProcess } from './processes';

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
  const procs: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.map(stopProcess));
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

  it('run as a task set on the scheduler service: outputs in its index, OVERLOAD and HEAVY_LOAD area alerts on Kafka, cleared when no longer true', async () => {
    const prefix = uniqueName('ind');
    const env = await distributedServiceEnv(`scheduler-${prefix}`, { database, extra: { GS_COLLECTION: 'on', GS_WORKER_POOL: 'none', GS_SCHEDULER_KEY_PREFIX: `gs:sched:${prefix}:` } });
    const scheduler = startProcess('scheduler', 'scheduler', env);
    procs.push(scheduler);
    await waitReady(scheduler);
    const address = `127.0.0.1:${env['GS_GRPC_PORT']}`;
    const collection = new CollectionServiceClient(address, insecure());
    const tasks = new TaskServiceClient(address, insecure());
    const kafka = new Kafka({ brokers: infra.kafkaBrokers, clientId: prefix, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: prefix });
    const received: Alert[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'gs.alerts.v1', fromBeginning: false });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({ eachMessage: async ({ message }) => void (message.value && received.push(Alert.decode(message.value))) });
      await joined;

      const run = async (req: Partial<ComputeIndicatorsRequest>) => {
        const { taskSetId } = await unary<unknown, ComputeIndicatorsResponse>(collection, 'computeIndicators', ComputeIndicatorsRequest.fromPartial({ fromArea: 0, toArea: size.areas, areasPerTask: 10, user: 'planner', ...req }));
        const res = await waitFor(async () => {
          const r = await unary<unknown, GetIndicatorsResponse>(collection, 'getIndicators', GetIndicatorsRequest.fromPartial({ taskSetId }));
          return r.finished ? r : undefined;
        }, 'the indicators task set to finish', 120_000, 500);
        return { taskSetId, res };
      };
      const first = await run({});
      expect(first.res.failedTasks).toEqual([]);
      // Four tasks of ten areas each, their outputs in the scheduler's output index.
      const summary = await unary<unknown, SummarizeTaskSetResponse>(tasks, 'summarizeTaskSet', SummarizeTaskSetRequest.fromPartial({ id: first.taskSetId, limit: 100 }));
      expect(summary.outputs).toHaveLength(4);
      // The same numbers as one direct run over all areas.
      const whole = await new ClickHouseIndicators({ handle: ch }).compute();
      expect(first.res.areas.map((a) => a.areaId)).toEqual(whole.indicators.map((a) => a.areaId));
      first.res.areas.forEach((a, i) => {
        for (const k of INDICATORS) expect(Number(a[k])).toBeCloseTo(whole.indicators[i]![k], 6);
      });
      // One OVERLOAD alert per area with overload days, one HEAVY_LOAD per area with heavy days.
      const overloaded = whole.indicators.filter((a) => a.overloadDays > 0).map((a) => String(a.areaId));
      const heavy = whole.indicators.filter((a) => a.heavyLoadDays > 0).map((a) => String(a.areaId));
      const ofKind = (alerts: Alert[], kind: AlertKind, state: AlertState) => alerts.filter((a) => a.kind === kind && a.state === state).map((a) => a.transformerAreaId).sort();
      expect(ofKind(first.res.alerts, AlertKind.ALERT_KIND_OVERLOAD, AlertState.ALERT_STATE_OPEN)).toEqual(overloaded.sort());
      expect(ofKind(first.res.alerts, AlertKind.ALERT_KIND_HEAVY_LOAD, AlertState.ALERT_STATE_OPEN)).toEqual(heavy.sort());
      expect(first.res.alerts).toHaveLength(overloaded.length + heavy.length);
      const fromSet = (id: string) => received.filter((a) => a.details['task_set'] === id);
      await waitFor(() => fromSet(first.taskSetId).length === first.res.alerts.length, 'the alerts on gs.alerts.v1', 30_000, 200);

      // A run with a higher overload rate finds no overload: those alerts are cleared, heavy load stays.
      const second = await run({ overloadRate: 100 });
      expect(ofKind(second.res.alerts, AlertKind.ALERT_KIND_OVERLOAD, AlertState.ALERT_STATE_CLEARED)).toEqual(overloaded.sort());
      expect(ofKind(second.res.alerts, AlertKind.ALERT_KIND_HEAVY_LOAD, AlertState.ALERT_STATE_UPDATED)).toEqual(heavy.sort());
      await waitFor(() => fromSet(second.taskSetId).length === second.res.alerts.length, 'the clearing alerts on gs.alerts.v1', 30_000, 200);
      const cleared = fromSet(second.taskSetId).find((a) => a.kind === AlertKind.ALERT_KIND_OVERLOAD)!;
      const opened = fromSet(first.taskSetId).find((a) => a.alertId === cleared.alertId)!;
      expect(cleared.revision).toBeGreaterThan(opened.revision);
      console.log(`indicators as a task set: ${first.res.areas.length} areas in 4 tasks, ${first.res.rowsRead} rows read, alerts ${overloaded.length} OVERLOAD + ${heavy.length} HEAVY_LOAD, then ${overloaded.length} cleared`);
    } finally {
      collection.close();
      tasks.close();
      await consumer.disconnect();
    }
  });
});
