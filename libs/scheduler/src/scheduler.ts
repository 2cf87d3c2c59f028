import { randomBytes } from 'node:crypto';
import { ProgramKind, ProgramStage, TaskEvent, TaskEventBatch, TaskState, type Output, type Program, type SubmitTaskSetRequest, type Task, type TaskResult, type TaskSet, type WorkerHello, type WorkResponse } from '@gridstation/contracts';
import { GsError, isDependencyUnavailable, notFound } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { TaskSetDefinition } from './domain/definition';
import { OpenSet, splitTaskId, taskId, traceparentOf, type Change } from './domain/open-set';
import { stateName, TERMINAL } from './domain/state-machine';
import { schedulerMetrics } from './metrics';
import { outputId, type CommitBatch, type TaskStore, type TaskWrite } from './store/task-store';
import { assign, type Candidate, type ContainerSlot } from './tccsp/assign';
import { DurationForecast } from './tccsp/forecast';
import { priorityWeight } from './tccsp/priority';

// The task module of the scheduler. It owns the unfinished task sets (loaded from the task store at
// start), the connected workers, and every decision: which ready task runs on which idle worker (A1
// forecast, A2 priority, A3 assignment), retries, cancellation, and what happens when a worker goes
// away. Each decision is applied in memory, written to the store in the next commit, and only then
// acted on: an assignment is sent, a result acknowledged, after the commit that records it. A crash at
// any point leaves the store consistent with what workers were told.

export interface SchedulerOptions {
  /** This scheduler's name in the store lease. */
  owner: string;
  leaseTtlMs: number;
  /** Timer for retries, worker expiry and lease renewal; passes also run at once on every event. */
  cycleMs: number;
  /** A worker silent for this long is gone; the task it ran is retried. */
  heartbeatTimeoutMs: number;
  /** After a start (or a worker's disconnect), how long workers have to say what they are running. */
  reconnectGraceMs: number;
  defaultMaxAttempts: number;
  defaultBackoffMs: number;
  /** Ready tasks considered per idle worker in one assignment. */
  candidatesPerWorker: number;
  /** Instances with at most this many task-worker pairs are solved exactly (HiGHS); larger ones greedily. */
  maxExactPairs: number;
  /** A3's penalty buffer for a task left to a later pass (ms). */
  bufferMs: number;
  /**
   * How ready tasks meet idle workers: 'tccsp' co-schedules (forecast, priority, assignment); 'fifo'
   * (oldest set first, in task order) and 'edf' (earliest deadline first) hand the next tasks to the
   * idle workers in that order, without looking at durations or weights (the benchmark's baselines).
   */
  policy: SchedulingPolicy;
}

export type SchedulingPolicy = 'tccsp' | 'fifo' | 'edf';

export const DEFAULT_SCHEDULER: SchedulerOptions = {
  owner: 'scheduler',
  leaseTtlMs: 10_000,
  cycleMs: 50,
  heartbeatTimeoutMs: 15_000,
  reconnectGraceMs: 5_000,
  defaultMaxAttempts: 3,
  defaultBackoffMs: 1_000,
  candidatesPerWorker: 4,
  maxExactPairs: 64,
  bufferMs: 1_000,
  policy: 'tccsp',
};

/** The scheduler's side of one worker's stream. */
export interface WorkerPeer {
  send(message: WorkResponse): void;
  close(reason: string): void;
}

export interface ProgramResolver {
  /** The program a task names ("name@version"), or undefined when none is registered. */
  resolve(ref: string): Program | undefined;
  /** The worker pool of a slot ('' = general compute / trial). */
  slot?(name: string): { pool: string } | undefined;
}

/** The general pools; any other name is a slot's pool (its workers provide its HOST programs). */
export const COMPUTE_POOL = 'compute';
export const TRIAL_POOL = 'trial';

/** What the container module is told each pass (guarantee mode: workers missing to meet deadlines). */
export interface CapacityDemand {
  now: number;
  trial: boolean;
  idle: number;
  busy: number;
  ready: number;
  /** Tasks that had to start in this pass to make their deadline and found no worker. */
  unmetUrgent: number;
}

export interface CapacityListener {
  demand(d: CapacityDemand): void;
  /** A commit was written (its events are in the outbox). */
  committed?(): void;
}

interface WorkerState {
  id: string;
  trial: boolean;
  pool: string;
  cpu: number;
  peer: WorkerPeer | undefined;
  lastSeen: number;
  detachedAt: number;
  /** The attempt it runs, as decided (the assignment may still be waiting for its commit). */
  running: { setId: string; index: number; attempt: number } | undefined;
}

interface Pending {
  writes: TaskWrite[];
  outputs: Output[];
  sets: Set<string>;
  closed: string[];
  events: Map<string, TaskEvent[]>;
  after: Array<() => void>;
}

const emptyPending = (): Pending => ({ writes: [], outputs: [], sets: new Set(), closed: [], events: new Map(), after: [] });

export const isProduction = (p: Program): boolean => p.stage === ProgramStage.PROGRAM_STAGE_LAUNCHED && !p.private;

/** A task set id: creation time (sortable) and randomness. */
export const newSetId = (now: number): string => `ts-${now.toString(36)}-${randomBytes(5).toString('hex')}`;

/** The baselines: the next tasks in FIFO (set age, then task order) or EDF order onto the idle workers, in turn. */
function inOrder(policy: 'fifo' | 'edf', picked: ReadonlyArray<{ open: OpenSet; index: number }>, idle: number): { pairs: Array<[number, number]>; unmetUrgent: number[]; method: 'fifo' | 'edf' } {
  const order = picked.map((_, i) => i);
  const created = (i: number) => picked[i]!.open.set.createdAtMs;
  const deadline = (i: number) => picked[i]!.open.def.groupOf(picked[i]!.index).template.deadlineMs || Number.MAX_SAFE_INTEGER;
  order.sort((a, b) => (policy === 'edf' ? deadline(a) - deadline(b) : 0) || created(a) - created(b) || picked[a]!.index - picked[b]!.index);
  return { pairs: order.slice(0, idle).map((t, w) => [t, w]), unmetUrgent: [], method: policy };
}

export class Scheduler {
  private readonly sets = new Map<string, OpenSet>();
  private readonly workers = new Map<string, WorkerState>();
  private readonly watchers = new Map<string, Set<(s: TaskSet) => void>>();
  private pending = emptyPending();
  private flushing: Promise<void> | undefined;
  private passQueued = false;
  private passing = false;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private stopped = true;
  private leaseLost = false;
  private lastLease = 0;
  private readonly m = schedulerMetrics();
  readonly stats = { submitted: 0, tasksSubmitted: 0, dispatched: 0, transitions: 0, commits: 0, exact: 0, greedy: 0, uniform: 0, fifo: 0, edf: 0, staleResults: 0, workersLost: 0 };

  constructor(
    private readonly store: TaskStore,
    private readonly programs: ProgramResolver,
    private readonly log: Logger,
    private readonly o: SchedulerOptions = DEFAULT_SCHEDULER,
    readonly forecast = new DurationForecast(),
    private readonly capacity?: CapacityListener,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the store lease (waiting while another scheduler holds it), loads the unfinished sets, starts. */
  async start(signal?: AbortSignal): Promise<void> {
    while (!(await this.store.acquire(this.o.owner, this.o.leaseTtlMs))) {
      if (signal?.aborted) throw new GsError('cancelled', 'START_CANCELLED', 'stopped while waiting for the task store lease');
      await new Promise((r) => setTimeout(r, Math.min(1000, this.o.leaseTtlMs / 4)));
    }
    this.lastLease = this.now();
    this.startedAt = this.now();
    for (const id of await this.store.openSetIds()) await this.load(id);
    this.stopped = false;
    this.timer = setInterval(() => this.tick(), this.o.cycleMs);
    this.timer.unref();
    this.log.info({ sets: this.sets.size, running: [...this.sets.values()].reduce((n, s) => n + s.counts.get(TaskState.TASK_STATE_EXECUTING)!, 0) }, 'scheduler started');
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    if (!this.leaseLost) await this.store.release(this.o.owner).catch(() => undefined);
  }

  get healthy(): string | undefined {
    return this.leaseLost ? 'the task store lease was taken by another scheduler' : undefined;
  }

  private async load(id: string): Promise<void> {
    const stored = await this.store.getSet(id);
    if (!stored) return;
    const def = TaskSetDefinition.of(stored.definition);
    const state = new Uint8Array(def.total).fill(TaskState.TASK_STATE_PENDING);
    const attempt = new Uint8Array(def.total);
    const running = new Map<number, { worker: string; startedAt: number }>();
    for await (const chunk of this.store.records(id)) {
      for (const t of chunk) {
        state[t.index] = t.state;
        attempt[t.index] = t.attempt;
        if (t.state === TaskState.TASK_STATE_EXECUTING) running.set(t.index, { worker: t.worker, startedAt: t.startedAtMs });
      }
    }
    const open = new OpenSet(def, stored.set, { state, attempt, running });
    this.sets.set(id, open);
    this.queue(open, open.settle(this.now()));
    for (const [, r] of running) if (!this.workers.has(r.worker)) this.workers.set(r.worker, { id: r.worker, trial: false, pool: COMPUTE_POOL, cpu: 1, peer: undefined, lastSeen: 0, detachedAt: this.now(), running: undefined });
  }

  // --- task sets --------------------------------------------------------------------------------

  async submit(req: SubmitTaskSetRequest): Promise<TaskSet> {
    this.requireRunning();
    const def = TaskSetDefinition.of(req);
    const problems: string[] = [];
    for (const g of def.groups) {
      const p = this.programs.resolve(g.template.program);
      const who = g.generated ? `generator ${g.prefix}` : `task ${g.template.name}`;
      if (!p) problems.push(`${who}: program ${g.template.program} is not registered`);
      else if (p.stage === ProgramStage.PROGRAM_STAGE_REJECTED || p.stage === ProgramStage.PROGRAM_STAGE_REGISTERED) problems.push(`${who}: program ${g.template.program} has not passed validation`);
      else if (g.template.slot && g.template.slot !== p.slot) problems.push(`${who}: program ${g.template.program} is registered for slot ${p.slot}, not ${g.template.slot}`);
    }
    if (problems.length) throw new GsError('invalid-argument', 'INVALID_TASK_SET', `the task set is not valid: ${problems.slice(0, 20).join('; ')}`);
    const now = this.now();
    const set: TaskSet = {
      id: newSetId(now),
      name: req.name,
      service: req.service,
      context: { traceId: req.context?.traceId || randomBytes(16).toString('hex'), user: req.context?.user ?? '', project: req.context?.project ?? '', scene: req.context?.scene ?? '' },
      stages: req.stages,
      createdAtMs: now,
      finishedAtMs: 0,
      cancelled: false,
      counts: { PENDING: def.total },
      total: def.total,
      deadlineMisses: 0,
      seq: 1,
    };
    const event = TaskEvent.fromPartial({ taskSetId: set.id, seq: 1, atMs: now, change: { $case: 'created', created: { taskSet: set, definition: req } } });
    await this.store.create(this.o.owner, set, req, { key: set.id, value: Buffer.from(TaskEventBatch.encode({ events: [event] }).finish()) });
    const open = new OpenSet(def, set);
    this.sets.set(set.id, open);
    this.queue(open, open.settle(now));
    this.stats.submitted++;
    this.stats.tasksSubmitted += def.total;
    this.m.submitted.add(def.total, { service: set.service || 'none' });
    this.kick();
    return open.snapshot(now);
  }

  async cancel(id: string, reason: string): Promise<TaskSet> {
    this.requireRunning();
    const open = this.sets.get(id);
    if (!open) {
      const stored = await this.store.getSet(id);
      if (!stored) throw notFound('TASK_SET_NOT_FOUND', `task set ${id} does not exist`);
      return stored.set; // finished already: nothing to cancel
    }
    const now = this.now();
    const running = [...open.runningTasks()].map(([index, r]) => ({ index, worker: r.worker, attempt: open.attempt[index]! }));
    open.set.cancelled = true;
    this.queue(open, open.cancel(now, reason || 'cancelled'));
    for (const r of running) {
      const w = this.workers.get(r.worker);
      if (w?.running?.setId === id && w.running.index === r.index) w.running = undefined;
      this.pending.after.push(() => w?.peer?.send({ command: { $case: 'cancel', cancel: { taskId: taskId(id, open.def.nameOf(r.index)), attempt: r.attempt } } }));
    }
    await this.flush();
    this.kick();
    return open.snapshot(now);
  }

  /**
   * The set as known now (an open one from memory, a finished one from the store). A set whose last
   * change is not yet committed is not reported finished: a client that sees it finished may read
   * its outputs from the store at once.
   */
  async getSet(id: string): Promise<TaskSet | undefined> {
    const open = this.sets.get(id);
    if (open) {
      const snap = open.snapshot(this.now());
      return snap.finishedAtMs ? { ...snap, finishedAtMs: 0 } : snap;
    }
    return (await this.store.getSet(id))?.set;
  }

  /** The live record of task `index` of an open set (what the store will hold after the next commit). */
  openDefinition(id: string): TaskSetDefinition | undefined {
    return this.sets.get(id)?.def;
  }

  /** Calls `f` with the set's snapshot on every change until it finishes; returns the unsubscribe. */
  watch(id: string, f: (s: TaskSet) => void): () => void {
    let list = this.watchers.get(id);
    if (!list) this.watchers.set(id, (list = new Set()));
    list.add(f);
    return () => {
      list.delete(f);
      if (list.size === 0) this.watchers.delete(id);
    };
  }

  isOpen(id: string): boolean {
    return this.sets.has(id);
  }

  // --- workers ----------------------------------------------------------------------------------

  attach(hello: WorkerHello, peer: WorkerPeer): void {
    const now = this.now();
    const old = this.workers.get(hello.workerId);
    if (old?.peer && old.peer !== peer) old.peer.close('replaced by a new connection of the same worker');
    const pool = hello.pool || (hello.trial ? TRIAL_POOL : COMPUTE_POOL);
    const w: WorkerState = { id: hello.workerId, trial: pool === TRIAL_POOL, pool, cpu: hello.resources?.cpu || 1, peer, lastSeen: now, detachedAt: 0, running: undefined };
    this.workers.set(w.id, w);
    // What it holds (running, or finished with the result not yet acknowledged) stays its own; a task
    // the store says it was running and it no longer holds was lost with its previous process.
    const held = new Set<string>();
    for (const r of hello.running) {
      const where = this.locate(r.taskId);
      const ok = where && where.open.state[where.index] === TaskState.TASK_STATE_EXECUTING && where.open.attempt[where.index] === r.attempt;
      if (ok) {
        w.running = { setId: where.open.set.id, index: where.index, attempt: r.attempt };
        held.add(`${where.open.set.id}/${where.index}`);
      } else peer.send({ command: { $case: 'cancel', cancel: { taskId: r.taskId, attempt: r.attempt } } });
    }
    for (const open of this.sets.values()) {
      const lost = [...open.runningTasks()].filter(([index, r]) => r.worker === w.id && !held.has(`${open.set.id}/${index}`)).map(([index]) => index);
      for (const index of lost) this.lose(open, index, w.id, now, 'restarted without it');
    }
    this.m.workers.add(1, { trial: String(w.trial) });
    this.log.info({ worker: w.id, pool: w.pool, cpu: w.cpu, running: hello.running.length }, 'worker attached');
    this.kick();
  }

  detach(workerId: string, peer: WorkerPeer): void {
    const w = this.workers.get(workerId);
    if (!w || w.peer !== peer) return;
    w.peer = undefined;
    w.detachedAt = this.now();
    this.m.workers.add(-1, { trial: String(w.trial) });
    this.log.info({ worker: workerId, running: w.running ? taskId(w.running.setId, this.sets.get(w.running.setId)?.def.nameOf(w.running.index) ?? '?') : undefined }, 'worker detached');
  }

  heartbeat(workerId: string): void {
    const w = this.workers.get(workerId);
    if (w) w.lastSeen = this.now();
  }

  /** A worker's result: applied when it is the running attempt's, acknowledged in every case. */
  result(workerId: string, r: TaskResult): void {
    const w = this.workers.get(workerId);
    if (w) w.lastSeen = this.now();
    const ack = () => w?.peer?.send({ command: { $case: 'accepted', accepted: { taskId: r.taskId, attempt: r.attempt } } });
    const where = this.locate(r.taskId);
    if (!where || where.open.state[where.index] !== TaskState.TASK_STATE_EXECUTING || where.open.attempt[where.index] !== r.attempt) {
      // Finished already, cancelled, or superseded by a later attempt: nothing changes. The ack waits
      // for the pending commit, in case that is the one that records this very result.
      this.stats.staleResults++;
      this.m.staleResults.add(1);
      this.pending.after.push(ack);
      void this.flush();
      return;
    }
    const { open, index } = where;
    const now = this.now();
    const running = open.runningOn(index);
    if (w?.running?.setId === open.set.id && w.running.index === index) w.running = undefined;
    const spec = open.def.groupOf(index).template;
    if (r.ok) {
      const outputs = r.outputs.map((o, n) => ({ ...o, id: outputId(r.taskId, r.attempt, n), taskId: r.taskId, taskSetId: open.set.id, scenarioId: spec.input?.scenarioId ?? '', dataVersion: spec.input?.dataVersion ?? '', createdAtMs: now }));
      this.queue(open, open.apply({ index, to: TaskState.TASK_STATE_SUCCESS, attempt: r.attempt, at: now, outputs, log: r.log.slice(-20), ...(r.durationMs ? { durationMs: r.durationMs } : {}) }));
      this.forecast.observe({ program: spec.program, scale: spec.input?.scale ?? 0, cpu: w?.cpu ?? 1, durationMs: r.durationMs || now - (running?.startedAt ?? now) });
    } else {
      this.queue(open, open.apply(this.failure(open, index, r.attempt, now, r.failureCode || 'FAILED', r.failureReason, r.permanent, r.log)));
    }
    open.stopped(index);
    this.pending.after.push(ack);
    this.kick();
  }

  private failure(open: OpenSet, index: number, attempt: number, now: number, code: string, reason: string, permanent: boolean, log: string[] = []): Change {
    const spec = open.def.groupOf(index).template;
    const max = spec.retry?.maxAttempts || this.o.defaultMaxAttempts;
    const base = spec.retry?.backoffMs || this.o.defaultBackoffMs;
    if (permanent || attempt >= max) return { index, to: TaskState.TASK_STATE_FAILED, attempt, at: now, failureCode: code, failureReason: permanent ? reason : `${reason} (attempt ${attempt} of ${max})`, log: log.slice(-20) };
    return { index, to: TaskState.TASK_STATE_RETRYING, attempt, at: now, failureCode: code, failureReason: reason, log: log.slice(-20), backoffMs: base * 2 ** (attempt - 1) };
  }

  private lose(open: OpenSet, index: number, worker: string, now: number, how: string): void {
    this.stats.workersLost++;
    this.m.workerLost.add(1);
    const attempt = open.attempt[index]!;
    this.queue(open, open.apply(this.failure(open, index, attempt, now, 'WORKER_LOST', `worker ${worker} ${how} while running attempt ${attempt}`, false)));
    open.stopped(index);
    const w = this.workers.get(worker);
    if (w?.running?.setId === open.set.id && w.running.index === index) w.running = undefined;
    this.log.warn({ task: taskId(open.set.id, open.def.nameOf(index)), worker, attempt }, 'task lost with its worker; retried');
  }

  private locate(id: string): { open: OpenSet; index: number } | undefined {
    const parts = splitTaskId(id);
    const open = parts && this.sets.get(parts.setId);
    const index = open?.def.indexOf(parts!.name);
    return open && index !== undefined ? { open, index } : undefined;
  }

  // --- passes -----------------------------------------------------------------------------------

  /** Runs a scheduling pass soon (coalesced). */
  kick(): void {
    if (this.passQueued || this.stopped) return;
    this.passQueued = true;
    setImmediate(() => {
      this.passQueued = false;
      void this.pass();
    });
  }

  private tick(): void {
    const now = this.now();
    if (now - this.lastLease > this.o.leaseTtlMs / 3) {
      this.lastLease = now;
      void this.store.acquire(this.o.owner, this.o.leaseTtlMs).then(
        (ok) => {
          if (!ok) this.loseLease();
        },
        (e: unknown) => this.log.warn({ err: e }, 'task store lease renewal failed'),
      );
    }
    this.expireWorkers(now);
    this.kick();
  }

  private loseLease(): void {
    if (this.leaseLost) return;
    this.leaseLost = true;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.log.error({ owner: this.o.owner }, 'the task store lease is held by another scheduler: this one stops deciding');
    for (const w of this.workers.values()) w.peer?.close('this scheduler lost its lease');
  }

  private expireWorkers(now: number): void {
    for (const w of this.workers.values()) {
      if (w.peer && now - w.lastSeen > this.o.heartbeatTimeoutMs) {
        w.peer.close(`no heartbeat for ${now - w.lastSeen} ms`);
        this.detach(w.id, w.peer);
      }
    }
    // A task whose worker is gone (and did not come back within the grace period) is retried.
    for (const open of this.sets.values()) {
      const lost: Array<[number, string]> = [];
      for (const [index, r] of open.runningTasks()) {
        const w = this.workers.get(r.worker);
        const gone = !w || (!w.peer && now - Math.max(w.detachedAt, this.startedAt) > this.o.reconnectGraceMs);
        if (gone) lost.push([index, r.worker]);
      }
      for (const [index, worker] of lost) this.lose(open, index, worker, now, 'went away');
    }
    for (const [id, w] of this.workers) if (!w.peer && !w.running && now - w.detachedAt > this.o.reconnectGraceMs * 4) this.workers.delete(id);
  }

  private async pass(): Promise<void> {
    if (this.passing || this.stopped) return;
    this.passing = true;
    try {
      const now = this.now();
      const pools = new Set([COMPUTE_POOL, TRIAL_POOL]);
      for (const w of this.workers.values()) if (w.peer) pools.add(w.pool);
      for (const pool of pools) await this.assignPool(pool, now);
    } catch (e) {
      this.log.error({ err: e }, 'scheduling pass failed');
    } finally {
      this.passing = false;
    }
    void this.flush();
  }

  /** Where a program runs: its slot's pool for HOST programs, else compute once launched, trial before. */
  private poolOf(p: Program): string {
    if (p.kind === ProgramKind.PROGRAM_KIND_HOST) return this.programs.slot?.(p.slot)?.pool || `slot:${p.slot}`;
    return isProduction(p) ? COMPUTE_POOL : TRIAL_POOL;
  }

  private async assignPool(pool: string, now: number): Promise<void> {
    const trial = pool === TRIAL_POOL;
    // Only the general pools have a capacity controller (a slot's pool is sized by its own service).
    const general = pool === COMPUTE_POOL || pool === TRIAL_POOL;
    const idle: WorkerState[] = [];
    let busy = 0;
    for (const w of this.workers.values()) {
      if (!w.peer || w.pool !== pool) continue;
      if (w.running) busy++;
      else idle.push(w);
    }
    const want = Math.max(1, idle.length) * this.o.candidatesPerWorker;
    // Every open set offers some of its ready tasks (the oldest set does not hide the others: an urgent
    // set submitted behind a large study must reach the assignment), up to a bounded total.
    const quota = Math.max(2, Math.ceil(want / Math.max(1, this.sets.size)));
    const cap = want * 4;
    const picked: Array<{ open: OpenSet; index: number; program: Program }> = [];
    let ready = 0;
    for (const open of this.sets.values()) {
      ready += open.readyCount(now, want * 4);
      if (picked.length >= cap) continue;
      let fromSet = 0;
      for (const index of open.peekReady(Math.min(quota, cap - picked.length) + 8, now)) {
        const program = this.programs.resolve(open.def.groupOf(index).template.program);
        if (!program) {
          this.queue(open, open.apply({ index, to: TaskState.TASK_STATE_FAILED, attempt: open.attempt[index]!, at: now, failureCode: 'PROGRAM_NOT_FOUND', failureReason: `program ${open.def.groupOf(index).template.program} is no longer registered` }));
          continue;
        }
        if (this.poolOf(program) !== pool) continue;
        picked.push({ open, index, program });
        if (++fromSet >= quota || picked.length >= cap) break;
      }
    }
    if (idle.length === 0 || picked.length === 0) {
      if (general) this.capacity?.demand({ now, trial, idle: idle.length, busy, ready, unmetUrgent: 0 });
      return;
    }
    const slots: ContainerSlot[] = idle.map((w) => ({ id: w.id, cpu: w.cpu }));
    const candidates: Candidate[] = picked.map(({ open, index }) => {
      const t = open.def.groupOf(index).template;
      const durations = idle.map((w) => this.forecast.predict(t.program, t.input?.scale ?? 0, w.cpu));
      const fastest = Math.min(...durations);
      const late = t.deadlineMs > 0 && now + fastest > t.deadlineMs;
      const weight = priorityWeight({ priority: t.priority, criticality: t.criticality, deadlineMs: t.deadlineMs, predictedMs: fastest }, now);
      // A task that cannot make its deadline any more runs as soon as it can, at the highest urgency.
      return { id: `${open.set.id}/${index}`, weight, deadlineMs: late ? 0 : t.deadlineMs, durations };
    });
    const plan = this.o.policy === 'tccsp' ? await assign(candidates, slots, now, { cycleMs: this.o.cycleMs, bufferMs: this.o.bufferMs, maxExactPairs: this.o.maxExactPairs }) : inOrder(this.o.policy, picked, idle.length);
    this.stats[plan.method]++;
    this.m.passes.add(1, { method: plan.method });
    for (const [ci, wi] of plan.pairs) {
      const { open, index, program } = picked[ci]!;
      const w = idle[wi]!;
      if (open.state[index] !== TaskState.TASK_STATE_PENDING && open.state[index] !== TaskState.TASK_STATE_RETRYING) continue;
      const attempt = open.attempt[index]! + 1;
      const c = candidates[ci]!;
      this.queue(open, open.apply({ index, to: TaskState.TASK_STATE_EXECUTING, attempt, at: now, worker: w.id, predictedMs: c.durations[wi]!, priorityWeight: c.weight }));
      w.running = { setId: open.set.id, index, attempt };
      this.stats.dispatched++;
      this.m.dispatched.add(1, { trial: String(trial), pool });
      const task = this.liveTask(open, index, now);
      this.pending.after.push(() => {
        // Sent only once the EXECUTING state is stored, and only if nothing changed in between.
        if (w.peer && w.running?.setId === open.set.id && w.running.index === index && w.running.attempt === attempt) w.peer.send({ command: { $case: 'run', run: { task, program } } });
      });
    }
    if (general) this.capacity?.demand({ now, trial, idle: idle.length - plan.pairs.length, busy: busy + plan.pairs.length, ready: Math.max(0, ready - plan.pairs.length), unmetUrgent: plan.unmetUrgent.length });
  }

  /** The task as a worker or a client sees it: the record with its full spec and the set's trace. */
  liveTask(open: OpenSet, index: number, now: number): Task {
    const r = open.runningOn(index);
    const rec = open.record(index, { index, to: open.state[index] as TaskState, attempt: open.attempt[index]!, at: now, ...(r ? { worker: r.worker } : {}) }, open.seq);
    return { ...rec, spec: open.def.specOf(index), startedAtMs: r?.startedAt ?? 0, finishedAtMs: 0, traceparent: traceparentOf(open.set.context?.traceId ?? '', index) };
  }

  // --- commits ----------------------------------------------------------------------------------

  /** Records changes (already applied to `open`) for the next commit. */
  private queue(open: OpenSet, changes: Change[]): void {
    if (changes.length === 0) return;
    const p = this.pending;
    let events = p.events.get(open.set.id);
    if (!events) p.events.set(open.set.id, (events = []));
    for (const c of changes) {
      const seq = ++open.seq;
      const record = open.record(c.index, c, seq);
      const template = open.def.groupOf(c.index).template;
      const ran = c.from === TaskState.TASK_STATE_EXECUTING ? c.at - (open.runningOn(c.index)?.startedAt ?? c.at) : 0;
      const spec = c.to === TaskState.TASK_STATE_SUCCESS ? open.def.groupOf(c.index).template : undefined;
      p.writes.push({ record, from: c.from ?? TaskState.TASK_STATE_PENDING, ...(spec?.input?.scenarioId ? { scenario: { id: spec.input.scenarioId, version: spec.input.dataVersion } } : {}) });
      if (c.outputs) p.outputs.push(...c.outputs);
      events.push(
        TaskEvent.fromPartial({
          taskSetId: open.set.id,
          seq,
          atMs: c.at,
          change: {
            $case: 'transition',
            transition: {
              taskId: record.id,
              index: c.index,
              from: c.from ?? TaskState.TASK_STATE_PENDING,
              to: c.to,
              attempt: c.attempt,
              worker: record.worker,
              failureCode: record.failureCode,
              failureReason: record.failureReason,
              outputs: c.outputs ?? [],
              log: record.log,
              predictedMs: record.predictedMs,
              priorityWeight: record.priorityWeight,
              program: template.program,
              scale: template.input?.scale ?? 0,
              workerCpu: this.workers.get(record.worker)?.cpu ?? 0,
              durationMs: c.durationMs ?? ran,
            },
          },
        }),
      );
      if (TERMINAL.has(c.to)) open.stopped(c.index);
      this.m.transitions.add(1, { to: stateName(c.to) });
    }
    this.stats.transitions += changes.length;
    p.sets.add(open.set.id);
    if (open.finished && !p.closed.includes(open.set.id)) {
      open.set.finishedAtMs = changes[changes.length - 1]!.at;
      p.closed.push(open.set.id);
    }
  }

  /** Writes what is pending (one commit at a time; what arrives meanwhile goes in the next). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.hasPending() ? this.flush() : undefined));
    if (!this.hasPending()) return Promise.resolve();
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private hasPending(): boolean {
    return this.pending.writes.length > 0 || this.pending.after.length > 0 || this.pending.closed.length > 0;
  }

  private async flushLoop(): Promise<void> {
    let delay = 50;
    while (this.hasPending() && !this.leaseLost) {
      const p = this.pending;
      this.pending = emptyPending();
      const now = this.now();
      const batch: CommitBatch = {
        sets: [...p.sets].map((id) => this.sets.get(id)?.snapshot(now)).filter((s): s is TaskSet => s !== undefined),
        tasks: p.writes,
        outputs: p.outputs,
        closed: p.closed,
        events: [...p.events].map(([key, events]) => ({ key, value: Buffer.from(TaskEventBatch.encode({ events }).finish()) })),
      };
      const started = process.hrtime.bigint();
      for (;;) {
        try {
          if (batch.tasks.length || batch.closed.length || batch.sets.length) await this.store.commit(this.o.owner, batch);
          break;
        } catch (e) {
          if (e instanceof GsError && e.code === 'LEASE_LOST') {
            this.loseLease();
            return;
          }
          if (!isDependencyUnavailable(e) && !(e instanceof Error && /ECONNREFUSED|Connection is closed/.test(e.message))) this.log.error({ err: e }, 'task store commit failed; retrying');
          else this.log.warn({ err: e, delayMs: delay }, 'task store unavailable; commit retried');
          this.m.commitRetries.add(1);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
          if (this.stopped && this.leaseLost) return;
        }
      }
      this.stats.commits++;
      this.m.commitSeconds.record(Number(process.hrtime.bigint() - started) / 1e9);
      this.capacity?.committed?.();
      for (const f of p.after) f();
      for (const id of p.sets) {
        const open = this.sets.get(id);
        if (!open) continue;
        const snap = open.snapshot(now);
        for (const f of this.watchers.get(id) ?? []) f(snap);
        if (p.closed.includes(id)) {
          this.sets.delete(id);
          this.log.info({ set: id, name: open.set.name, counts: snap.counts, elapsedMs: snap.finishedAtMs - snap.createdAtMs }, 'task set finished');
        }
      }
      this.kick();
    }
  }

  private requireRunning(): void {
    if (this.leaseLost) throw new GsError('unavailable', 'NOT_LEADER', 'this scheduler lost its task store lease; ask another');
    if (this.stopped) throw new GsError('unavailable', 'SCHEDULER_STOPPED', 'the scheduler is not running');
  }

  /** Sends a command to every connected worker (a program to load or unload). */
  broadcast(m: WorkResponse): void {
    for (const w of this.workers.values()) w.peer?.send(m);
  }

  /** What the workers look like now (for the console and the capacity controller). */
  workerView(): Array<{ id: string; trial: boolean; pool: string; cpu: number; connected: boolean; running: string }> {
    return [...this.workers.values()].map((w) => ({ id: w.id, trial: w.trial, pool: w.pool, cpu: w.cpu, connected: w.peer !== undefined, running: w.running ? taskId(w.running.setId, this.sets.get(w.running.setId)?.def.nameOf(w.running.index) ?? '?') : '' }));
  }
}
