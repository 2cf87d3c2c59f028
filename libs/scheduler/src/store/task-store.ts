import type { Output, Program, SubmitTaskSetRequest, Task, TaskSet, TaskState } from '@gridstation/contracts';

// The port for what the scheduler must not lose: task sets, their definitions, each task's state,
// outputs, and the outbox of events still to be published. Adapters: Redis (distributed, AOF with
// fsync on every write) and LevelDB (embedded, synced batches). Both keep, per task set:
//   the set (counts, sequence number), its definition (what was submitted),
//   one record per task that has left PENDING (a task without a record is PENDING, attempt 0: a set of a
//   million generated tasks costs one definition to create), an index of task indexes per state,
//   the outputs by id, and the scenario index (scenario + data version -> tasks).
// Writes come from one scheduler at a time: every write carries the owner's lease and is refused
// (LEASE_LOST) when another scheduler holds it, so a scheduler that was thought dead cannot overwrite
// what its successor decided.

export interface TaskWrite {
  /** The record as it is after the change (spec left empty: it comes from the definition). */
  record: Task;
  /** The state the task had before (for the state index). */
  from: TaskState;
  /** Input of the task, for the scenario index (SUCCESS only). */
  scenario?: { id: string; version: string };
}

export interface CommitBatch {
  /** Snapshots of the sets the changes touched. */
  sets: TaskSet[];
  tasks: TaskWrite[];
  outputs: Output[];
  /** Sets that have finished: no longer loaded at start. */
  closed: string[];
  /** Encoded TaskEventBatch per set, to be published to gs.task-events.v1 (key = set id). */
  events: Array<{ key: string; value: Buffer }>;
}

export interface OutboxEntry {
  id: string;
  key: string;
  value: Buffer;
}

export interface StoredSet {
  set: TaskSet;
  definition: SubmitTaskSetRequest;
}

export interface TaskPage {
  /** Records, and for PENDING tasks without one, undefined at their index. */
  tasks: Array<{ index: number; record: Task | undefined }>;
  /** Index to continue after, or -1 when there is no more. */
  next: number;
}

export interface TaskStore {
  readonly kind: 'redis' | 'leveldb';
  /** Takes or renews the single-writer lease; false while another owner holds it. */
  acquire(owner: string, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
  /** Registers a new set (all PENDING) with its creation event. */
  create(owner: string, set: TaskSet, definition: SubmitTaskSetRequest, event: { key: string; value: Buffer }): Promise<void>;
  commit(owner: string, batch: CommitBatch): Promise<void>;
  openSetIds(): Promise<string[]>;
  getSet(id: string): Promise<StoredSet | undefined>;
  /** Sets newest first, optionally of one service, after the id `after` (paging). */
  listSets(o: { service: string; limit: number; after: string }): Promise<{ sets: TaskSet[]; next: string }>;
  getTasks(setId: string, indexes: readonly number[]): Promise<Array<Task | undefined>>;
  /** Indexes in `state` (any state but PENDING) in order, after `after`. */
  indexesIn(setId: string, state: TaskState, after: number, limit: number): Promise<number[]>;
  /** Every stored record of a set (for loading it at start), in chunks. */
  records(setId: string): AsyncIterable<Task[]>;
  outputs(setId: string, limit: number): Promise<Output[]>;
  output(id: string): Promise<Output | undefined>;
  /** Task ids that ran on this scenario (and data version, when given). */
  scenarioTasks(scenarioId: string, version: string, limit: number): Promise<string[]>;
  /** The program index (custom programs and their code): kept with the tasks that name them. */
  putProgram(program: Program, code: Buffer): Promise<void>;
  programs(): Promise<Array<{ program: Program; code: Buffer }>>;
  outbox(limit: number): Promise<OutboxEntry[]>;
  ackOutbox(ids: readonly string[]): Promise<void>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export const TASK_STORE = Symbol('TASK_STORE');

/** Output ids name their task: "<set id>/<task name>@<attempt>#<n>". */
export const outputId = (taskId: string, attempt: number, n: number): string => `${taskId}@${attempt}#${n}`;
export const setIdOfOutput = (id: string): string => id.slice(0, Math.max(0, id.indexOf('/')));
