import { publishTopology, RedisArchive } from '@gridstation/archive';
import { openClickHouse } from '@gridstation/clickhouse';
import { closeRedis, createRedis } from '@gridstation/cache';
import { CollectionServiceClient, EditValueRequest, GetSuccessRateRequest, ListRevisionsRequest, RateGrouping, type GetSuccessRateResponse, type ListRevisionsResponse, GetLineLossRequest, ListRoundsRequest, type GetLineLossResponse, PutPlanRequest, RunRoundRequest, TaskServiceClient, ListTasksRequest, type ListRoundsResponse, type ListTasksResponse, type RunRoundResponse } from '@gridstation/contracts';
import { ClickHouseHaPool, ClickHouseReadingStore } from '@gridstation/persistence';
import { areaOf, DEFAULT_SIMULATOR, Simulator, simulatorTopology } from '@gridstation/simulator';
import { distributedServiceEnv, freePort, infra, insecure, requireService, testLogger, unary, uniqueName, waitFor } from '@gridstation/testing';
import { startProcess, stopProcess, waitReady, type ServiceProcess } from './processes';

// Collection plans in the distributed deployment: comm (two instances, each with a collection-pool
// worker), parser, storage and the scheduler as separate processes over real Kafka, ClickHouse and
// Redis. The plan runs in the scheduler; its reads run on the comm instances' collection workers and
// reach each terminal through the instance that holds it (forwarded when the worker's is not that
// one); the answers are stored through Kafka into ClickHouse like every frame.

const DAY = 86_400_000;
const TZ = 8 * 3_600_000;

describe('collection plans, distributed (real Kafka, ClickHouse, Redis)', () => {
  const region = String(1000 + Math.floor(Math.random() * 8000));
  const database = uniqueName('gs_coll');
  const procs: ServiceProcess[] = [];
  const redis = createRedis({ url: infra.redisUrl });

  beforeAll(async () => {
    for (const s of ['kafka', 'clickhouse', 'redis'] as const) await requireService(s);
  });
  afterAll(async () => {
    await Promise.all(procs.map(stopProcess));
    await closeRedis(redis);
  });

  const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`${name}-${region}`, { database, extra });

  it('re-collects a day with lost reports and an offline terminal through the comm instances\' workers into ClickHouse', async () => {
    const schedulerEnv = await env('scheduler', { GS_WORKER_POOL: 'none', GS_SCHEDULER_KEY_PREFIX: `gs:sched:${region}:` });
    const scheduler = startProcess('scheduler', 'scheduler', schedulerEnv);
    procs.push(scheduler);
    await waitReady(scheduler);
    const schedulerGrpc = `127.0.0.1:${schedulerEnv['GS_GRPC_PORT']}`;
    const comm = async (n: string) => startProcess('comm', n, await env(n, { GS_TERMINAL_PORT: String(await freePort()), GS_COLLECTION_SCHEDULER_GRPC: schedulerGrpc }));
    const commA = await comm('comm-a');
    const commB = await comm('comm-b');
    const parser = startProcess('parser', 'parser', await env('parser'));
    const storage = startProcess('storage', 'storage', await env('storage', { GS_BATCH_DELAY_MS: '200' }));
    procs.push(commA, commB, parser, storage);
    await Promise.all(procs.map((p) => waitReady(p)));

    const dayStart = Math.floor((Date.now() + TZ) / DAY) * DAY - TZ - DAY;
    // All terminals on comm A: a read taken by comm B's worker is forwarded to A.
    const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: Number(commA.env['GS_TERMINAL_PORT']), region, terminals: 10, metersPerTerminal: 3, startMs: dayStart, roundsPerSecond: 12, lostReportRate: 0.05, badFrameEvery: 0, eventEvery: 0, unknownTerminals: 0, heartbeatMs: 5_000, areaLoss: (i) => 0.03 + i * 0.005 });
    // The supply topology (the KPI per transformer area reads it), then the archive with the areas' master meters.
    const topoCh = await openClickHouse({ urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' });
    await publishTopology(simulatorTopology(sim), { clickhouse: { handle: topoCh }, redis }, 'collection-e2e');
    await topoCh.close();
    await new RedisArchive(redis).put(sim.archive());
    await sim.connect();
    const away = sim.terminals[4]!;
    await sim.run(97, {
      before: async (k) => {
        if (k === 20) away.goOffline();
        if (k === 50) expect(await away.comeBack()).toBe(true);
      },
    });

    const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' }, testLogger());
    await pool.start();
    const ch = new ClickHouseReadingStore(pool);
    const meters = sim.meterIds();
    const truth = [...sim.truth.readings.values()].filter((r) => r.quantity === 'power.active.total' && r.dataTimeMs >= dayStart && r.dataTimeMs < dayStart + DAY);
    expect(truth).toHaveLength(meters.length * 96);
    const stored = async () => [...(await ch.dataTimes(meters, 'power.active.total', dayStart, dayStart + DAY)).values()].reduce((s, x) => s + x.length, 0);
    let last = -1;
    await waitFor(async () => {
      const n = await stored();
      const stable = n === last && n > 0;
      last = n;
      return stable;
    }, 'the pipeline to settle', 90_000, 2_000);
    const before = await stored();
    expect(truth.length - before).toBeGreaterThanOrEqual(30 * 3); // at least the offline half-day of one terminal

    const collection = new CollectionServiceClient(schedulerGrpc, insecure());
    const tasks = new TaskServiceClient(schedulerGrpc, insecure());
    try {
      // Power and energy readings over the day and the next midnight (the day's closing register reads).
      await unary(collection, 'putPlan', PutPlanRequest.fromPartial({ plan: { name: 'curves', terminals: sim.terminals.map((t) => t.key), items: [{ fn: 81, intervalMs: 900_000 }, { fn: 101, intervalMs: 900_000 }], lookbackMs: DAY + 900_000, settleMs: Date.now() - (dayStart + DAY + 900_000), everyMs: 3_600_000, readTimeoutMs: 5_000 } }));
      const round = (await unary<unknown, RunRoundResponse>(collection, 'runRound', RunRoundRequest.fromPartial({ plan: 'curves' }))).round!;
      expect(round.gapsFound).toBeGreaterThan(0);
      await waitFor(async () => (await unary<unknown, ListRoundsResponse>(collection, 'listRounds', ListRoundsRequest.fromPartial({ plan: 'curves' }))).rounds.find((r) => r.round === 1 && r.settled), 'the round to settle', 90_000, 500);
      const ran = await unary<unknown, ListTasksResponse>(tasks, 'listTasks', ListTasksRequest.fromPartial({ taskSetId: round.taskSetId, pageSize: 500 }));
      const workers = new Set(ran.tasks.map((t) => t.worker));
      expect([...workers].every((w) => w === `comm-a-${region}-collector` || w === `comm-b-${region}-collector`)).toBe(true);
      await waitFor(async () => (await stored()) >= truth.length * 0.999, 'the day at 99.9 % in ClickHouse', 90_000, 1_000);
      const times = await ch.dataTimes(meters, 'power.active.total', dayStart, dayStart + DAY);
      const have = truth.filter((r) => times.get(r.meterId)?.includes(r.dataTimeMs)).length;
      expect(have / truth.length).toBeGreaterThanOrEqual(0.999);
      // Line loss from ClickHouse, the master meters named by the Redis archive.
      await waitFor(async () => {
        const t = await ch.dataTimes(meters, 'energy.active.import', dayStart, dayStart + DAY + 900_000);
        return meters.every((m) => t.get(m)?.includes(dayStart) && t.get(m)?.includes(dayStart + DAY));
      }, 'every register read at both midnights', 60_000, 1_000);
      const loss = await unary<unknown, GetLineLossResponse>(collection, 'getLineLoss', GetLineLossRequest.fromPartial({ plan: 'curves', dayStartMs: dayStart }));
      expect(loss.withoutMaster).toEqual([]);
      for (const [i, t] of sim.terminals.entries()) expect(Math.abs(loss.areas.find((a) => a.area === t.key)!.lossRate - (1 - 1 / (1.03 + i * 0.005)))).toBeLessThan(1e-3);
      // The KPI per transformer area, the areas from the topology the scheduler read from Redis.
      const kpi = await waitFor(async () => {
        const r = await unary<unknown, GetSuccessRateResponse>(collection, 'getSuccessRate', GetSuccessRateRequest.fromPartial({ plan: 'curves', dayStartMs: dayStart, by: RateGrouping.RATE_GROUPING_AREA }));
        return r.rates.every((x) => x.key.startsWith('TA')) ? r : undefined;
      }, 'the KPI per area', 30_000, 1_000);
      expect(kpi.rates.map((x) => x.key).sort()).toEqual(sim.terminals.map(areaOf).sort());
      // An edit goes to the Redis revision store with its audit record.
      const slot = dayStart + 12 * 900_000;
      await unary(collection, 'editValue', EditValueRequest.fromPartial({ meterId: meters[0]!, quantity: 'power.active.total', dataTimeMs: slot, value: 1.25, user: 'wang.fang', reason: 'test edit' }));
      const trail = await unary<unknown, ListRevisionsResponse>(collection, 'listRevisions', ListRevisionsRequest.fromPartial({ meterId: meters[0]!, quantity: 'power.active.total', fromMs: dayStart, toMs: dayStart + DAY }));
      expect(trail.revisions).toEqual([expect.objectContaining({ kind: 'EDITED', user: 'wang.fang', dataTimeMs: slot, previousQuality: 'RAW' })]);
      console.log(`distributed collection: ${before} of ${truth.length} curve points in ClickHouse before, ${have} after one round of ${round.requestsSent} requests on workers ${[...workers].join(', ')}`);
    } finally {
      collection.close();
      tasks.close();
      await sim.close();
      await pool.close();
    }
  });
});
