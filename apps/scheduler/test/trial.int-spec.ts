import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, uniqueName, waitFor, pythonTaskClient as python } from '@gridstation/testing';
import { killWorkers, PrivateRedis, startScheduler, testPrefix, workerPids, type SchedulerProcess } from './support';

// A private program runs only on a trial worker, a process of its own whose program threads have a
// small heap and a time limit. The program below passes validation (on the slot's sample input it
// behaves) but, asked to, loops forever, exhausts its memory or ends its thread. Production work on
// the production workers goes on meanwhile, and the trial worker process itself survives all three.

const EVIL = [
  'exports.run = (input) => {',
  '  if (input.loop) { for (;;) {} }',
  '  if (input.hog) { const held = []; for (;;) held.push(new Array(1 << 20).fill(input.index)); }',
  '  if (input.crash) process.exit(7);',
  '  return { index: input.index === undefined ? null : input.index };',
  '};',
].join('\n');

interface TaskJson {
  id: string;
  state: string;
  worker?: string;
  failure_code?: string;
  failure_reason?: string;
}

describe('trial mode: a private program cannot hurt production work', () => {
  let redis: PrivateRedis;
  let scheduler: SchedulerProcess | undefined;

  beforeAll(async () => {
    for (const s of ['kafka', 'redis', 'clickhouse'] as const) await requireService(s);
    redis = await PrivateRedis.start();
  });

  afterAll(async () => {
    if (scheduler) {
      scheduler.main.child.kill('SIGKILL');
      killWorkers(scheduler.instance);
    }
    await redis?.cleanup();
  });

  it('contains an infinite loop, a memory blow-up and a crash while production tasks complete', async () => {
    scheduler = await startScheduler({
      redisUrl: redis.url,
      prefix: testPrefix('trial'),
      instance: uniqueName('sched-t'),
      database: uniqueName('gs_sched'),
      env: { GS_WORKERS_MIN: '2', GS_WORKERS_MAX: '2', GS_TRIAL_WORKERS_MAX: '1', GS_TRIAL_PROGRAM_TIMEOUT_MS: '2000', GS_TRIAL_PROGRAM_HEAP_MB: '48' },
    });
    const grpc = scheduler.grpc;
    await waitFor(() => workerPids(scheduler!.instance).length === 2, 'two production workers', 60_000);
    const production = workerPids(scheduler.instance);

    const code = join(mkdtempSync(join(tmpdir(), 'gs-evil-')), 'evil.js');
    writeFileSync(code, EVIL);
    const registered = (await python(grpc, 'register', { code_file: code, name: 'evil', version: '1', slot: 'compute.generic', type: 'PROGRAM_TYPE_ALGORITHM', kind: 'PROGRAM_KIND_JAVASCRIPT', private: true, owner: 'mallory' })) as { stage: string; validation: { ok: boolean } };
    expect(registered.validation.ok).toBe(true);
    // A private program is never released to production.
    expect(await python(grpc, 'advance', 'evil', '1', 'REVIEWED').catch((e: Error) => e.message)).toMatch(/PROGRAM_PRIVATE|FAILED_PRECONDITION/);

    const trial = (params: object) => ({ stage: 'trial', program: 'evil@1', retry: { max_attempts: 1 }, input: { params_json: JSON.stringify(params) } });
    const set = (await python(grpc, 'submit', {
      name: 'trial-containment',
      service: 'e2e',
      stages: [{ name: 'trial' }, { name: 'work' }],
      tasks: [
        { name: 'loop', ...trial({ loop: true }) },
        { name: 'hog', ...trial({ hog: true }) },
        { name: 'crash', ...trial({ crash: true }) },
        { name: 'fine', ...trial({ index: 5 }) },
      ],
      generators: [{ prefix: 'p-', count: 30, template: { stage: 'work', program: 'sleep@1', input: { params_json: '{"ms":200}' } } }],
    })) as { id: string; total: number };
    expect(set.total).toBe(34);

    const updates = (await python(grpc, 'watch', set.id)) as Array<{ done: number; task_set: { counts?: Record<string, number> } }>;
    expect(updates[updates.length - 1]!.task_set.counts).toEqual({ SUCCESS: 31, FAILED: 3 });

    const summary = (await python(grpc, 'summary', set.id)) as { failed: TaskJson[]; outputs: Array<{ task_id: string; inline_json?: string }> };
    const failed = new Map(summary.failed.map((t) => [t.id.split('/')[1], t]));
    expect(failed.get('loop')).toMatchObject({ failure_code: 'TIMEOUT' });
    expect(failed.get('hog')).toMatchObject({ failure_code: 'OUT_OF_MEMORY' });
    expect(failed.get('crash')).toMatchObject({ failure_code: 'PROGRAM_CRASHED' });
    for (const t of failed.values()) expect(t.worker).toMatch(/trial/);
    expect(summary.outputs.find((o) => o.task_id.endsWith('/fine'))?.inline_json).toBe('{"index":5}');

    // The production workers are the processes they were, and the trial worker outlived its programs.
    const now = workerPids(scheduler.instance);
    for (const pid of production) expect(now).toContain(pid);
    expect(now.length).toBe(3);
  });
});
