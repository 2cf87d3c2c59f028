import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus, TOPICS } from '@gridstation/bus';
import { PriorityClass, ProgramKind, ProgramStage, SubmitTaskSetRequest, TaskEventBatch, TaskSpec, TaskState, type TaskSet } from '@gridstation/contracts';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry } from '@gridstation/telemetry';
import { testLogger, waitFor } from '@gridstation/testing';
import { InProcessPool } from './containers/in-process-pool';
import { ProgramRegistry } from './programs/registry';
import { Scheduler, type SchedulingPolicy } from './scheduler';
import { LevelTaskStore } from './store/level-task-store';
import { TaskQueries } from './task-queries';
import { HostExecutor, PermanentProgramError } from './worker/host-executor';
import { InProcessLink } from './worker/in-process-link';
import { WorkerRuntime } from './worker/worker-runtime';
import { PRODUCTION_LIMITS } from './programs/sandbox';

const S = TaskState;
const log = testLogger();
const spec = (o: Partial<TaskSpec>): TaskSpec => TaskSpec.fromPartial({ program: 'sleep@1', ...o });
const params = (p: Record<string, unknown>) => ({ scenarioId: 'scn-2025', dataVersion: 'v7', paramsJson: JSON.stringify(p), scale: 1 });

interface Rig {
  store: LevelTaskStore;
  programs: ProgramRegistry;
  scheduler: Scheduler;
  pool: InProcessPool;
  queries: TaskQueries;
}

async function rig(dir: string, o: { workers?: number; heartbeatTimeoutMs?: number; reconnectGraceMs?: number; policy?: SchedulingPolicy } = {}): Promise<Rig> {
  const store = await LevelTaskStore.openAt(dir);
  const programs = new ProgramRegistry(store, log);
  await programs.start();
  const scheduler = new Scheduler(store, programs, log, { owner: 't', leaseTtlMs: 5000, cycleMs: 20, heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 2000, reconnectGraceMs: o.reconnectGraceMs ?? 300, defaultMaxAttempts: 3, defaultBackoffMs: 20, candidatesPerWorker: 4, maxExactPairs: 64, bufferMs: 1000, policy: o.policy ?? 'tccsp' });
  await scheduler.start();
  const pool = new InProcessPool(new InProcessLink(scheduler, programs), log, { prefix: 'spec', cpu: 1, heartbeatMs: 100 });
  await pool.scaleTo(false, o.workers ?? 3);
  return { store, programs, scheduler, pool, queries: new TaskQueries(store, scheduler) };
}

async function close(r: Rig): Promise<void> {
  await r.pool.close();
  await r.scheduler.stop();
  await r.store.close();
}

const finished = (r: Rig, id: string) => waitFor(async () => ((await r.scheduler.getSet(id))?.finishedAtMs ?? 0) > 0, `task set ${id} to finish`, 20_000);

describe('the scheduler with in-process workers and the embedded task store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gs-sched-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a staged set to completion: order kept, outputs indexed, a failing task retried then failed, its dependents failed', async () => {
    const r = await rig(dir);
    try {
      const set = await r.scheduler.submit(
        SubmitTaskSetRequest.fromPartial({
          name: 'study',
          service: 'planning',
          context: { user: 'ops', project: 'p1', scene: 'n-1' },
          stages: [{ name: 'uc' }, { name: 'pf', afterStages: ['uc'] }],
          tasks: [spec({ name: 'broken', stage: 'uc', input: params({ ms: 1, fail: true }), retry: { maxAttempts: 2, backoffMs: 10 } }), spec({ name: 'after-broken', stage: 'uc', dependsOn: ['broken'], input: params({ ms: 1 }) })],
          generators: [
            { prefix: 'uc-', count: 6, template: spec({ stage: 'uc', input: params({ ms: 5 }) }) },
            { prefix: 'pf-', count: 4, template: spec({ stage: 'pf', input: params({ ms: 1 }) }) },
          ],
        }),
      );
      expect(set.total).toBe(12);
      await finished(r, set.id);
      const s = (await r.scheduler.getSet(set.id)) as TaskSet;
      // uc had a failure, so pf (which waits for uc) never ran: failed with DEPENDENCY_FAILED.
      expect(s.counts).toEqual({ SUCCESS: 6, FAILED: 6 });
      const broken = await r.queries.task(`${set.id}/broken`);
      expect(broken).toMatchObject({ state: S.TASK_STATE_FAILED, attempt: 2, failureCode: 'PROGRAM_ERROR' });
      expect(broken.failureReason).toMatch(/asked to fail.*\(attempt 2 of 2\)/s);
      expect((await r.queries.task(`${set.id}/after-broken`)).failureCode).toBe('DEPENDENCY_FAILED');
      expect((await r.queries.task(`${set.id}/pf-0`)).failureReason).toMatch(/waits for had failures/);
      const summary = await r.queries.summary(set.id, 100);
      expect(summary.outputs).toHaveLength(6);
      expect(summary.failed.map((t) => t.spec?.name).sort()).toEqual(['after-broken', 'broken', 'pf-0', 'pf-1', 'pf-2', 'pf-3']);
      // From an output back to the task and the exact input version it computed on.
      const trace = await r.queries.trace(summary.outputs[0]!.id);
      expect(trace.output!.dataVersion).toBe('v7');
      expect(trace.task!.spec!.input!.scenarioId).toBe('scn-2025');
      expect(trace.taskSet!.context!.user).toBe('ops');
      expect(await r.queries.scenario('scn-2025', 'v7', 100)).toHaveLength(6);
      // Every task's trace context is the set's trace.
      expect(trace.task!.traceparent.split('-')[1]).toBe(s.context!.traceId);
    } finally {
      await close(r);
    }
  });

  it('lists tasks by state in pages, and refuses a page token of another query', async () => {
    const r = await rig(dir, { workers: 2 });
    try {
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'pages', service: 'test', generators: [{ prefix: 't', count: 25, template: spec({ input: params({ ms: 0 }) }) }] }));
      await finished(r, set.id);
      const seen: string[] = [];
      let token = '';
      do {
        const page = await r.queries.tasks({ taskSetId: set.id, states: [S.TASK_STATE_SUCCESS], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 10, pageToken: token });
        seen.push(...page.tasks.map((t) => t.spec!.name));
        token = page.nextPageToken;
        if (token) await expect(r.queries.tasks({ taskSetId: set.id, states: [S.TASK_STATE_FAILED], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 10, pageToken: token })).rejects.toThrow(/belongs to another query/);
      } while (token);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
    } finally {
      await close(r);
    }
  });

  it('publishes every change as events in order per set (through the outbox)', async () => {
    const r = await rig(dir, { workers: 2 });
    const bus = new MemoryBus({ service: 'spec', log });
    const { OutboxRelay } = await import('./outbox-relay');
    const relay = new OutboxRelay(r.store, bus, log, 20);
    relay.start();
    const events: TaskEventBatch[] = [];
    const sub = await bus.subscribe({ groupId: 'spec', topics: [TOPICS.taskEvents], handler: async (b) => (b.messages.forEach((m) => events.push(TaskEventBatch.decode(m.value))), { status: 'ok' }) });
    try {
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'events', service: 'test', generators: [{ prefix: 't', count: 5, template: spec({ input: params({ ms: 1 }) }) }] }));
      await finished(r, set.id);
      await waitFor(() => events.flatMap((b) => b.events).filter((e) => e.change?.$case === 'transition').length === 10, '10 transitions', 5000);
      const all = events.flatMap((b) => b.events);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      expect(all[0]!.change?.$case).toBe('created');
    } finally {
      await sub.close();
      await relay.stop();
      await bus.close();
      await close(r);
    }
  });

  it('a scheduler restarted on the same store finds its sets; tasks of workers that died are retried and none succeeds twice', async () => {
    let r = await rig(dir, { workers: 3 });
    const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'crash', service: 'test', generators: [{ prefix: 't', count: 30, template: spec({ input: params({ ms: 40 }) }) }] }));
    // Some done, and tasks running right now (so the kill below catches them on their workers).
    await waitFor(async () => {
      const c = (await r.scheduler.getSet(set.id))?.counts ?? {};
      return (c['SUCCESS'] ?? 0) >= 5 && (c['EXECUTING'] ?? 0) >= 2;
    }, 'some successes and tasks running', 10_000, 5);
    // Workers die with their tasks, then the scheduler goes (nothing graceful).
    await Promise.all(r.pool.runtimes().map((w) => w.kill()));
    await r.scheduler.stop();
    await r.store.close();
    r = await rig(dir, { workers: 2 });
    try {
      await finished(r, set.id);
      const s = (await r.scheduler.getSet(set.id))!;
      expect(s.counts).toEqual({ SUCCESS: 30 });
      const summary = await r.queries.summary(set.id, 1000);
      // One output per task: a task that ran twice (its first worker died) is counted once.
      expect(new Set(summary.outputs.map((o) => o.taskId)).size).toBe(30);
      expect(summary.outputs).toHaveLength(30);
      const retried = (await r.queries.tasks({ taskSetId: set.id, states: [], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 100, pageToken: '' })).tasks.filter((t) => t.attempt > 1);
      expect(retried.length).toBeGreaterThan(0);
      expect(r.scheduler.stats.workersLost).toBeGreaterThan(0);
    } finally {
      await close(r);
    }
  });

  it('cancel fails what has not finished, stops running programs, and refuses their late results', async () => {
    const r = await rig(dir, { workers: 2 });
    try {
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'cancel', service: 'test', generators: [{ prefix: 't', count: 10, template: spec({ input: params({ ms: 300 }) }) }] }));
      await waitFor(async () => ((await r.scheduler.getSet(set.id))?.counts['EXECUTING'] ?? 0) === 2, 'two running', 5000);
      const s = await r.scheduler.cancel(set.id, 'operator asked');
      expect(s.cancelled).toBe(true);
      expect(s.counts).toEqual({ FAILED: 10 });
      const t = await r.queries.task(`${set.id}/t0`);
      expect(t).toMatchObject({ failureCode: 'CANCELLED', failureReason: 'operator asked' });
      await new Promise((res) => setTimeout(res, 400));
      expect((await r.scheduler.getSet(set.id))!.counts).toEqual({ FAILED: 10 });
    } finally {
      await close(r);
    }
  });

  it('refuses a set naming an unknown program, and runs trial-stage programs only on trial workers', async () => {
    const r = await rig(dir, { workers: 1 });
    try {
      await expect(r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'x', tasks: [spec({ name: 'a', program: 'nope@1' })] }))).rejects.toThrow(/program nope@1 is not registered/);
      const p = await r.programs.register({ name: 'triple', version: '1', slot: 'compute.generic', type: 0, kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT, private: true, owner: 'alice', code: Buffer.from('exports.run = (i) => ({ v: (i.x || 0) * 3 });'), description: '' });
      expect(p.stage).toBe(ProgramStage.PROGRAM_STAGE_VALIDATED);
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'trial', tasks: [spec({ name: 'a', program: 'triple@1', input: params({ x: 2 }), priority: PriorityClass.PRIORITY_CLASS_HIGH })] }));
      await new Promise((res) => setTimeout(res, 300));
      expect((await r.scheduler.getSet(set.id))!.counts).toEqual({ PENDING: 1 }); // no trial worker yet
      await r.pool.scaleTo(true, 1);
      await finished(r, set.id);
      const t = await r.queries.task(`${set.id}/a`);
      expect(t.worker).toMatch(/trial/);
      const summary = await r.queries.summary(set.id, 10);
      expect(JSON.parse(summary.outputs[0]!.inlineJson)).toEqual({ v: 6 });
    } finally {
      await close(r);
    }
  });

  it('lets an urgent set submitted behind a large study run first (co-scheduling), where FIFO makes it wait', async () => {
    const studyDone: Record<string, number> = {};
    for (const policy of ['tccsp', 'fifo'] as const) {
      const r = await rig(mkdtempSync(join(dir, `${policy}-`)), { workers: 2, policy });
      try {
        const study = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'study', generators: [{ prefix: 's-', count: 60, template: spec({ input: params({ ms: 20 }), priority: PriorityClass.PRIORITY_CLASS_LOW }) }] }));
        await new Promise((res) => setTimeout(res, 50));
        const submittedAt = Date.now();
        const urgent = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'round', generators: [{ prefix: 'u-', count: 4, template: spec({ input: params({ ms: 1 }), priority: PriorityClass.PRIORITY_CLASS_CRITICAL, deadlineMs: submittedAt + 400 }) }] }));
        await finished(r, urgent.id);
        // Counted in tasks, not milliseconds (a loaded machine stretches both runs alike).
        studyDone[policy] = (await r.scheduler.getSet(study.id))!.counts['SUCCESS'] ?? 0;
        await finished(r, study.id);
      } finally {
        await close(r);
      }
    }
    expect(studyDone['tccsp']!).toBeLessThan(40); // the round finished while most of the study still waited
    expect(studyDone['fifo']!).toBeGreaterThan(55); // FIFO: the round waited for the study
  });

  it('does not report a set finished before its last change is committed (its outputs are readable once it is)', async () => {
    let hold: Promise<void> | undefined;
    let release: () => void = () => undefined;
    const r = await rig(dir, { workers: 2 });
    const commit = r.store.commit.bind(r.store);
    r.store.commit = async (owner, batch) => {
      if (batch.closed.length && !hold) hold = new Promise<void>((res) => (release = res));
      if (hold && batch.closed.length) await hold;
      return commit(owner, batch);
    };
    try {
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'durable', generators: [{ prefix: 't', count: 6, template: spec({ input: params({ ms: 1 }) }) }] }));
      await waitFor(() => hold !== undefined, 'the closing commit to start', 10_000);
      const during = (await r.scheduler.getSet(set.id))!;
      expect(during.counts).toEqual({ SUCCESS: 6 });
      expect(during.finishedAtMs).toBe(0);
      release();
      await finished(r, set.id);
      expect((await r.queries.summary(set.id, 100)).outputs).toHaveLength(6);
    } finally {
      release();
      await close(r);
    }
  });

  it('runs a slot pool\'s HOST program only on workers of that pool, which provide it; it waits while there are none', async () => {
    const r = await rig(dir, { workers: 2 });
    const seen: unknown[] = [];
    let host: WorkerRuntime | undefined;
    try {
      await expect(r.programs.register({ name: 'mine', version: '1', slot: 'collection.read', type: 0, kind: ProgramKind.PROGRAM_KIND_HOST, private: false, owner: 'alice', code: Buffer.alloc(0), description: '' })).rejects.toThrow(/HOST programs ship with their pool's workers/);
      await expect(r.programs.register({ name: 'mine', version: '1', slot: 'collection.read', type: 0, kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT, private: false, owner: 'alice', code: Buffer.from('exports.run = () => ({ outcome: "answered" })'), description: '' })).rejects.toThrow(/served by the collection pool/);
      const units = [{ pn: 1, fn: 81, fromMs: 0, points: 4 }];
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'reads', service: 'collection', generators: [{ prefix: 'T', count: 3, template: spec({ program: 'collection-read@1', input: { scenarioId: '', dataVersion: '', paramsJson: JSON.stringify({ terminal: '4101-00001', units }), scale: 1 } }) }] }));
      await new Promise((res) => setTimeout(res, 300));
      expect((await r.scheduler.getSet(set.id))!.counts).toEqual({ PENDING: 3 }); // two compute workers idle, none takes them
      const programs = new Map([
        [
          'collection-read@1',
          async (input: unknown) => {
            seen.push(input);
            if (seen.length === 2) throw new PermanentProgramError('terminal address is not in the archive');
            return { outcome: 'answered', readings: 4 };
          },
        ],
      ]);
      host = new WorkerRuntime(new InProcessLink(r.scheduler, r.programs), { workerId: 'collector-0', trial: false, pool: 'collection', executor: new HostExecutor(programs), cpu: 1, memoryBytes: 0, heartbeatMs: 100, limits: PRODUCTION_LIMITS, reconnectMs: 50 }, log);
      host.start();
      await finished(r, set.id);
      expect((await r.scheduler.getSet(set.id))!.counts).toEqual({ SUCCESS: 2, FAILED: 1 });
      expect(seen).toHaveLength(3); // the permanent failure was not retried
      expect(seen[0]).toMatchObject({ terminal: '4101-00001', units });
      const tasks = (await r.queries.tasks({ taskSetId: set.id, states: [], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 10, pageToken: '' })).tasks;
      expect(new Set(tasks.map((t) => t.worker))).toEqual(new Set(['collector-0']));
      expect(tasks.find((t) => t.state === S.TASK_STATE_FAILED)!.failureReason).toMatch(/not in the archive/);
      expect(r.scheduler.workerView().find((w) => w.id === 'collector-0')!.pool).toBe('collection');
    } finally {
      await host?.stop(100);
      await close(r);
    }
  });

  it('runs every task in a span of its set\'s trace', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = startTelemetry({ service: 'sched-spec', instanceId: 'i', tracesExporter: 'none', spanExporter: exporter });
    const r = await rig(dir, { workers: 2 });
    try {
      const traceId = 'ab'.repeat(16);
      const set = await r.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'traced', context: { traceId, user: 'ops' }, generators: [{ prefix: 't-', count: 3, template: spec({ input: params({ ms: 1 }) }) }] }));
      await finished(r, set.id);
      const spans = await waitFor(() => {
        const got = exporter.getFinishedSpans().filter((x) => x.name === 'task.run');
        return got.length === 3 ? got : undefined;
      }, 'three task spans', 5_000);
      expect(spans.every((x) => x.spanContext().traceId === traceId)).toBe(true);
      expect(spans.map((x) => x.attributes['gs.task.id']).sort()).toEqual([`${set.id}/t-0`, `${set.id}/t-1`, `${set.id}/t-2`]);
      // Each span's parent is its task's own span id within the set's trace (task index + 1).
      expect(spans.map((x) => x.parentSpanContext?.spanId ?? (x as unknown as { parentSpanId?: string }).parentSpanId).sort()).toEqual(['0000000000000001', '0000000000000002', '0000000000000003']);
    } finally {
      await close(r);
      await telemetry.shutdown();
    }
  });
});
