import { createClient } from '@clickhouse/client';
import { infra, requireService, uniqueName, waitFor, pythonTaskClient as python } from '@gridstation/testing';
import { killWorkers, PrivateRedis, startScheduler, testPrefix, workerPids, type SchedulerProcess } from './support';

// A task set submitted by an independent client (python grpcio) to the scheduler service running as its
// own process, with worker processes from its local pool, the task state in a Redis that persists every
// write, events on Kafka and history in ClickHouse. Mid-run a worker and then the scheduler are killed
// with SIGKILL and the task store's Redis is restarted; the set still finishes with every task counted
// once.

interface TaskSetJson {
  id: string;
  total: number;
  counts?: Record<string, number>;
  finished_at_ms?: string;
}

const counts = (s: TaskSetJson) => s.counts ?? {};

describe('scheduler service: a task set through real Kafka, Redis and ClickHouse, with kill -9', () => {
  let redis: PrivateRedis;
  const prefix = testPrefix('crash');
  const database = uniqueName('gs_sched');
  const schedulers: SchedulerProcess[] = [];

  beforeAll(async () => {
    for (const s of ['kafka', 'redis', 'clickhouse'] as const) await requireService(s);
    redis = await PrivateRedis.start();
  });

  afterAll(async () => {
    for (const s of schedulers) {
      s.main.child.kill('SIGKILL');
      killWorkers(s.instance);
    }
    await redis?.cleanup();
  });

  it('runs to completion: none lost, none successful twice, failures summarised with their logs', async () => {
    const first = await startScheduler({ redisUrl: redis.url, prefix, instance: uniqueName('sched-a'), database, env: { GS_WORKERS_MIN: '3', GS_WORKERS_MAX: '3' } });
    schedulers.push(first);
    await waitFor(() => workerPids(first.instance).length === 3, 'three worker processes', 60_000);

    const submitted = (await python(first.grpc, 'submit', {
      name: 'kill-test',
      service: 'e2e',
      context: { user: 'tester', project: 'crash', scene: 'kill -9' },
      stages: [{ name: 'work' }, { name: 'check', after_stages: ['work'] }],
      tasks: [
        { name: 'doomed', stage: 'work', program: 'sleep@1', input: { scenario_id: 'scn-e2e', data_version: 'v1', params_json: '{"ms":50,"fail":true,"permanent":true}' } },
      ],
      generators: [
        { prefix: 'w-', count: 60, template: { stage: 'work', program: 'sleep@1', retry: { max_attempts: 5, backoff_ms: 100 }, input: { scenario_id: 'scn-e2e', data_version: 'v1', params_json: '{"ms":250}', scale: 1 } } },
        { prefix: 'c-', count: 5, template: { stage: 'check', program: 'noop@1', input: { params_json: '{}' } } },
      ],
    })) as TaskSetJson;
    expect(submitted.total).toBe(66);

    // A failure in "work" dooms "check": wait until half of work is done, then break things.
    await waitFor(async () => {
      const s = ((await python(first.grpc, 'summary', submitted.id)) as { task_set: TaskSetJson }).task_set;
      return (counts(s)['SUCCESS'] ?? 0) >= 20;
    }, '20 successes', 120_000, 500);

    const [victim] = workerPids(first.instance);
    process.kill(victim!, 'SIGKILL');
    first.main.child.kill('SIGKILL');
    await first.main.exit;
    // The store restarts while no scheduler runs (everything acknowledged must be in its append-only file).
    await redis.restart();

    const second = await startScheduler({ redisUrl: redis.url, prefix, instance: uniqueName('sched-b'), database, env: { GS_WORKERS_MIN: '2', GS_WORKERS_MAX: '2' } });
    schedulers.push(second);
    const updates = (await python(second.grpc, 'watch', submitted.id)) as Array<{ done: number; task_set: TaskSetJson }>;
    const last = updates[updates.length - 1]!;
    expect(last.done).toBe(1);
    expect(counts(last.task_set)).toEqual({ SUCCESS: 60, FAILED: 6 });

    const summary = (await python(second.grpc, 'summary', submitted.id)) as { outputs: Array<{ task_id: string; data_version: string }>; failed: Array<{ id: string; failure_code: string; log?: string[]; failure_reason: string }> };
    expect(summary.outputs).toHaveLength(60);
    expect(new Set(summary.outputs.map((o) => o.task_id)).size).toBe(60);
    expect(summary.outputs.every((o) => o.data_version === 'v1')).toBe(true);
    const failures = new Map(summary.failed.map((t) => [t.id.split('/')[1], t]));
    expect(failures.get('doomed')).toMatchObject({ failure_code: 'PROGRAM_ERROR' });
    expect(failures.get('doomed')!.failure_reason).toContain('asked to fail');
    expect([...failures.keys()].filter((k) => k!.startsWith('c-'))).toHaveLength(5);
    expect(failures.get('c-0')!.failure_code).toBe('DEPENDENCY_FAILED');

    // The history (gs.task-events.v1 -> ClickHouse): one SUCCESS per task, and the victim's task retried.
    const ch = createClient({ url: infra.clickhouseUrl, database });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({ query: `SELECT task_id, countDistinct(seq) AS successes FROM task_events FINAL WHERE task_set_id = '${submitted.id}' AND to_state = 3 GROUP BY task_id`, format: 'JSONEachRow' });
          const got = await r.json<{ task_id: string; successes: string }>();
          return got.length === 60 ? got : undefined;
        },
        'the history of 60 successes',
        60_000,
        500,
      );
      expect(rows.every((r) => Number(r.successes) === 1)).toBe(true);
      const retried = await (await ch.query({ query: `SELECT count() AS n FROM task_events FINAL WHERE task_set_id = '${submitted.id}' AND to_state = 5`, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(retried[0]!.n)).toBeGreaterThan(0);
    } finally {
      await ch.close();
    }
  });
});
