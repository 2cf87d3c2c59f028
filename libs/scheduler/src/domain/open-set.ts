import { TaskState, type Output, type Task, type TaskSet } from '@gridstation/contracts';
import { checkTransition, stateName, TERMINAL } from './state-machine';
import type { TaskSetDefinition } from './definition';

// One unfinished task set as the scheduler holds it: per task a state and an attempt number in typed
// arrays (a million tasks cost about 20 MB), what is ready to run as index ranges, and readiness worked
// out per group (a listed task, or a generator's copies) from dependencies and stage order. Only the
// tasks being run keep more than their state in memory; everything else is in the store.

export interface Change {
  index: number;
  /** Set when applied: the state the task left. */
  from?: TaskState;
  to: TaskState;
  attempt: number;
  at: number;
  worker?: string;
  failureCode?: string;
  failureReason?: string;
  outputs?: Output[];
  log?: string[];
  predictedMs?: number;
  priorityWeight?: number;
  /** A RETRYING task waits at least this long before its next attempt. */
  backoffMs?: number;
  /** How long the attempt ran, as the worker measured it (ms). */
  durationMs?: number;
}

interface Running {
  worker: string;
  startedAt: number;
  predictedMs: number;
  priorityWeight: number;
}

export const DEPENDENCY_FAILED = 'DEPENDENCY_FAILED';

export class OpenSet {
  readonly state: Uint8Array;
  readonly attempt: Uint8Array;
  private readonly finishedAt: Float64Array;
  private readonly groupBlockers: Int32Array;
  private readonly groupDoomed: Uint8Array;
  private readonly stageOpen: Int32Array;
  private readonly stageFailed: Int32Array;
  private readonly stageDone: Uint8Array;
  private readonly stageGroups: number[][];
  private readonly stageWaiters: number[][];
  private readonly dependents = new Map<number, number[]>();
  /** Ranges [from, to) of task indexes released to run, consumed from `readyHead`. */
  private ready: Array<[number, number]> = [];
  private readyHead = 0;
  private readonly retryAt = new Map<number, number>();
  private readonly running = new Map<number, Running>();
  readonly counts = new Map<TaskState, number>();
  seq: number;
  deadlineMisses: number;

  constructor(
    readonly def: TaskSetDefinition,
    readonly set: TaskSet,
    restored?: { state: Uint8Array; attempt: Uint8Array; finishedAt?: Float64Array; running?: Map<number, { worker: string; startedAt: number }> },
  ) {
    const n = def.total;
    this.seq = set.seq;
    this.deadlineMisses = set.deadlineMisses;
    this.state = restored?.state ?? new Uint8Array(n).fill(TaskState.TASK_STATE_PENDING);
    this.attempt = restored?.attempt ?? new Uint8Array(n);
    this.finishedAt = restored?.finishedAt ?? new Float64Array(n);
    const G = def.groups.length;
    const S = def.stages.length;
    this.groupBlockers = new Int32Array(G);
    this.groupDoomed = new Uint8Array(G);
    this.stageOpen = new Int32Array(S);
    this.stageFailed = new Int32Array(S);
    this.stageDone = new Uint8Array(S);
    this.stageGroups = def.stages.map(() => []);
    this.stageWaiters = def.stages.map(() => []);
    def.stageAfter.forEach((after, s) => after.forEach((a) => this.stageWaiters[a]!.push(s)));
    for (const s of TASK_STATES) this.counts.set(s, 0);
    for (let i = 0; i < n; i++) this.counts.set(this.state[i] as TaskState, this.counts.get(this.state[i] as TaskState)! + 1);
    def.groups.forEach((g, k) => {
      this.stageGroups[g.stage]!.push(k);
      let open = 0;
      let failed = 0;
      for (let i = g.start; i < g.start + g.count; i++) {
        if (!TERMINAL.has(this.state[i]!)) open++;
        else if (this.state[i] === TaskState.TASK_STATE_FAILED) failed++;
      }
      this.stageOpen[g.stage]! += open;
      this.stageFailed[g.stage]! += failed;
      let blockers = 0;
      for (const d of g.dependsOn) {
        const s = this.state[d];
        if (s === TaskState.TASK_STATE_FAILED) this.groupDoomed[k] = 1;
        if (s !== TaskState.TASK_STATE_SUCCESS) {
          blockers++;
          let list = this.dependents.get(d);
          if (!list) this.dependents.set(d, (list = []));
          list.push(k);
        }
      }
      this.groupBlockers[k] = blockers + def.stageAfter[g.stage]!.length;
    });
    for (const [i, r] of restored?.running ?? []) this.running.set(i, { ...r, predictedMs: 0, priorityWeight: 0 });
    for (const [i, s] of this.state.entries()) if (s === TaskState.TASK_STATE_RETRYING) this.retryAt.set(i, 0);
  }

  /**
   * Works out what is ready and what can no longer run, from the states as they are: at creation and
   * after a restore. Returns the failures that follow (tasks whose dependencies have failed).
   */
  settle(now: number): Change[] {
    const out: Change[] = [];
    // Stages with nothing open are finished; a stage waiting for them is unblocked (or doomed).
    for (let s = 0; s < this.def.stages.length; s++) if (this.stageOpen[s] === 0) this.finishStage(s);
    this.def.groups.forEach((_, k) => {
      if (this.groupDoomed[k]) this.failGroup(k, now, out);
      else if (this.groupBlockers[k] === 0) this.release(k);
    });
    return this.drainCascade(out, now);
  }

  get total(): number {
    return this.def.total;
  }

  get finished(): boolean {
    return this.counts.get(TaskState.TASK_STATE_SUCCESS)! + this.counts.get(TaskState.TASK_STATE_FAILED)! === this.def.total;
  }

  /** Tasks that may start now, at most `limit`, without taking them out of the ready queue. */
  peekReady(limit: number, now: number): number[] {
    const out: number[] = [];
    for (const [i, at] of this.retryAt) {
      if (out.length >= limit) return out;
      if (at <= now) out.push(i);
    }
    for (let r = this.readyHead; r < this.ready.length && out.length < limit; r++) {
      const range = this.ready[r]!;
      for (let i = range[0]; i < range[1] && out.length < limit; i++) if (this.state[i] === TaskState.TASK_STATE_PENDING) out.push(i);
    }
    return out;
  }

  /** How many tasks are ready (counted up to `cap`). */
  readyCount(now: number, cap = Number.MAX_SAFE_INTEGER): number {
    let n = 0;
    for (const at of this.retryAt.values()) if (at <= now && ++n >= cap) return n;
    for (let r = this.readyHead; r < this.ready.length; r++) if ((n += this.ready[r]![1] - this.ready[r]![0]) >= cap) return cap;
    return n;
  }

  /** When the next RETRYING task becomes ready (or undefined). */
  nextRetryAt(): number | undefined {
    let min: number | undefined;
    for (const at of this.retryAt.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  runningOn(index: number): Running | undefined {
    return this.running.get(index);
  }

  runningTasks(): IterableIterator<[number, Running]> {
    return this.running.entries();
  }

  /**
   * Applies one change (checked by the state machine) and returns it with the changes that follow from
   * it (dependents of a failed task fail too), each stamped with the set's next sequence number.
   */
  apply(change: Change): Change[] {
    const out: Change[] = [];
    this.applyOne(change, out);
    return this.drainCascade(out, change.at);
  }

  /** The task as the store keeps it (the spec comes from the definition). */
  record(index: number, change: Change, seq: number): Task {
    const r = this.running.get(index);
    return {
      id: taskId(this.set.id, this.def.nameOf(index)),
      taskSetId: this.set.id,
      spec: undefined,
      state: change.to,
      attempt: change.attempt,
      worker: change.worker ?? r?.worker ?? '',
      createdAtMs: this.set.createdAtMs,
      startedAtMs: change.to === TaskState.TASK_STATE_EXECUTING ? change.at : (r?.startedAt ?? 0),
      finishedAtMs: TERMINAL.has(change.to) ? change.at : 0,
      failureCode: change.failureCode ?? '',
      failureReason: change.failureReason ?? '',
      outputs: (change.outputs ?? []).map((o) => o.id),
      log: change.log ?? [],
      seq,
      predictedMs: change.predictedMs ?? r?.predictedMs ?? 0,
      priorityWeight: change.priorityWeight ?? r?.priorityWeight ?? 0,
      traceparent: traceparentOf(this.set.context?.traceId ?? '', index),
      index,
    };
  }

  snapshot(now: number): TaskSet {
    const counts: Record<string, number> = {};
    for (const [s, n] of this.counts) if (n > 0) counts[stateName(s)] = n;
    return { ...this.set, counts, seq: this.seq, total: this.def.total, deadlineMisses: this.deadlineMisses, finishedAtMs: this.finished ? this.set.finishedAtMs || now : 0 };
  }

  private applyOne(c: Change, out: Change[]): void {
    const i = c.index;
    const from = this.state[i] as TaskState;
    checkTransition(taskId(this.set.id, this.def.nameOf(i)), { state: from, attempt: this.attempt[i]! }, c.to, c.attempt);
    c.from = from;
    this.state[i] = c.to;
    this.attempt[i] = c.attempt;
    this.counts.set(from, this.counts.get(from)! - 1);
    this.counts.set(c.to, this.counts.get(c.to)! + 1);
    this.retryAt.delete(i);
    out.push(c);
    if (c.to === TaskState.TASK_STATE_EXECUTING) {
      this.running.set(i, { worker: c.worker ?? '', startedAt: c.at, predictedMs: c.predictedMs ?? 0, priorityWeight: c.priorityWeight ?? 0 });
      this.compactReady();
      return;
    }
    if (c.to === TaskState.TASK_STATE_RETRYING) {
      this.retryAt.set(i, c.at + (c.backoffMs ?? 0));
      return;
    }
    // Terminal.
    const spec = this.def.groupOf(i).template;
    if (spec.deadlineMs > 0 && c.at > spec.deadlineMs && c.to === TaskState.TASK_STATE_SUCCESS) this.deadlineMisses++;
    this.finishedAt[i] = c.at;
    const g = this.def.groupOf(i);
    this.stageOpen[g.stage]!--;
    if (c.to === TaskState.TASK_STATE_FAILED) this.stageFailed[g.stage]!++;
    for (const k of this.dependents.get(i) ?? []) {
      if (c.to === TaskState.TASK_STATE_SUCCESS) {
        if (--this.groupBlockers[k]! === 0 && !this.groupDoomed[k]) this.release(k);
      } else this.doom(k);
    }
    this.dependents.delete(i);
    if (this.stageOpen[g.stage] === 0) this.finishStage(g.stage);
  }

  // Failures that follow are queued as `doomed` groups and turned into changes after the current one.
  private readonly doomedQueue: number[] = [];

  private doom(k: number): void {
    if (this.groupDoomed[k]) return;
    this.groupDoomed[k] = 1;
    this.doomedQueue.push(k);
  }

  private drainCascade(out: Change[], now: number): Change[] {
    while (this.doomedQueue.length > 0) this.failGroup(this.doomedQueue.shift()!, now, out);
    for (const c of out) c.at ||= now;
    return out;
  }

  private failGroup(k: number, now: number, out: Change[]): void {
    this.groupDoomed[k] = 1;
    const g = this.def.groups[k]!;
    const why = g.dependsOn.find((d) => this.state[d] === TaskState.TASK_STATE_FAILED);
    const reason = why !== undefined ? `${this.def.nameOf(why)} failed` : `a stage that ${this.def.stageName(g.stage) || 'this stage'} waits for had failures`;
    for (let i = g.start; i < g.start + g.count; i++) {
      const s = this.state[i] as TaskState;
      if (s !== TaskState.TASK_STATE_PENDING && s !== TaskState.TASK_STATE_RETRYING) continue;
      this.applyOne({ index: i, to: TaskState.TASK_STATE_FAILED, attempt: this.attempt[i]!, at: now, failureCode: DEPENDENCY_FAILED, failureReason: reason }, out);
    }
  }

  private finishStage(s: number): void {
    if (this.stageDone[s]) return;
    this.stageDone[s] = 1;
    for (const w of this.stageWaiters[s]!) {
      for (const k of this.stageGroups[w]!) {
        if (this.stageFailed[s]! > 0) this.doom(k);
        else if (--this.groupBlockers[k]! === 0 && !this.groupDoomed[k]) this.release(k);
      }
    }
  }

  private release(k: number): void {
    const g = this.def.groups[k]!;
    // Contiguous runs of PENDING tasks (a restored group may have some running or finished already).
    let a = -1;
    for (let i = g.start; i <= g.start + g.count; i++) {
      const pending = i < g.start + g.count && this.state[i] === TaskState.TASK_STATE_PENDING;
      if (pending && a < 0) a = i;
      if (!pending && a >= 0) {
        this.ready.push([a, i]);
        a = -1;
      }
    }
  }

  private compactReady(): void {
    while (this.readyHead < this.ready.length) {
      const head = this.ready[this.readyHead]!;
      while (head[0] < head[1] && this.state[head[0]] !== TaskState.TASK_STATE_PENDING) head[0]++;
      if (head[0] < head[1]) break;
      this.readyHead++;
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  /** Forgets what a running task was doing (it finished or is being retried). */
  stopped(index: number): void {
    this.running.delete(index);
  }

  /** Cancels every task that has not finished: changes for the ones that were waiting and the ones running. */
  cancel(now: number, reason: string): Change[] {
    const out: Change[] = [];
    for (let i = 0; i < this.def.total; i++) {
      const s = this.state[i] as TaskState;
      if (TERMINAL.has(s)) continue;
      this.applyOne({ index: i, to: TaskState.TASK_STATE_FAILED, attempt: this.attempt[i]!, at: now, failureCode: 'CANCELLED', failureReason: reason }, out);
    }
    this.ready = [];
    this.readyHead = 0;
    this.doomedQueue.length = 0;
    return out;
  }
}

export const TASK_STATES: readonly TaskState[] = [TaskState.TASK_STATE_PENDING, TaskState.TASK_STATE_EXECUTING, TaskState.TASK_STATE_SUCCESS, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_RETRYING];

export const taskId = (setId: string, name: string): string => `${setId}/${name}`;

/** W3C traceparent of task `index`: the set's trace, a span id derived from the index (never all zeros). */
export const traceparentOf = (traceId: string, index: number): string => `00-${traceId || '0'.repeat(31) + '1'}-${(index + 1).toString(16).padStart(16, '0').slice(-16)}-01`;

export function splitTaskId(id: string): { setId: string; name: string } | undefined {
  const at = id.indexOf('/');
  return at > 0 ? { setId: id.slice(0, at), name: id.slice(at + 1) } : undefined;
}
