import { TaskState, type ListTasksRequest, type ListTasksResponse, type Output, type SummarizeTaskSetResponse, type Task, type TaskSet, type TraceOutputResponse } from '@gridstation/contracts';
import { invalidArgument, notFound } from '@gridstation/errors';
import { decodePageToken, encodePageToken } from '@gridstation/service';
import { TaskSetDefinition } from './domain/definition';
import { splitTaskId, taskId, traceparentOf } from './domain/open-set';
import type { Scheduler } from './scheduler';
import { setIdOfOutput, type TaskStore } from './store/task-store';

// Reads of the task layer (BOS Figure 5): a set -> its tasks -> their outputs, and an output back to
// its task and the exact input version. Served from the task store; an open set's counts come from the
// scheduler's memory (at most one commit ahead of the store).

export const DEFAULT_TASK_PAGE = 100;
export const MAX_TASK_PAGE = 5000;

export class TaskQueries {
  private readonly definitions = new Map<string, TaskSetDefinition>();

  constructor(
    private readonly store: TaskStore,
    private readonly scheduler: Scheduler,
  ) {}

  async set(id: string): Promise<TaskSet> {
    if (!id) throw invalidArgument('TASK_SET_ID_REQUIRED', 'id is required');
    const s = await this.scheduler.getSet(id);
    if (!s) throw notFound('TASK_SET_NOT_FOUND', `task set ${id} does not exist`);
    return s;
  }

  async sets(service: string, pageSize: number, pageToken: string): Promise<{ taskSets: TaskSet[]; nextPageToken: string }> {
    const limit = pageSizeOf(pageSize);
    const after = pageToken ? String(decodePageToken(pageToken, ['sets', service], (v) => v.length === 1 && typeof v[0] === 'string', 'the service differs')[0]) : '';
    const r = await this.store.listSets({ service, limit, after });
    const fresh = await Promise.all(r.sets.map(async (s) => (this.scheduler.isOpen(s.id) ? ((await this.scheduler.getSet(s.id)) ?? s) : s)));
    return { taskSets: fresh, nextPageToken: r.next ? encodePageToken([r.next], ['sets', service]) : '' };
  }

  async task(id: string): Promise<Task> {
    const parts = splitTaskId(id);
    if (!parts) throw invalidArgument('TASK_ID_INVALID', 'a task id is "<task set id>/<task name>"');
    const def = await this.definition(parts.setId);
    const index = def.indexOf(parts.name);
    if (index === undefined) throw notFound('TASK_NOT_FOUND', `task set ${parts.setId} has no task ${parts.name}`);
    const set = await this.set(parts.setId);
    const [record] = await this.store.getTasks(parts.setId, [index]);
    return this.complete(set, def, index, record);
  }

  async tasks(req: ListTasksRequest): Promise<ListTasksResponse> {
    const limit = pageSizeOf(req.pageSize);
    const states = [...new Set(req.states.filter((s) => s !== TaskState.TASK_STATE_UNSPECIFIED))].sort();
    const scope = ['tasks', req.taskSetId, states, req.service, req.program, req.createdFromMs, req.createdToMs];
    let cursor: { set: string; after: number } = { set: req.taskSetId, after: -1 };
    if (req.pageToken) {
      const v = decodePageToken(req.pageToken, scope, (c) => c.length === 2 && typeof c[0] === 'string' && Number.isInteger(c[1]), 'set, states, service, program or time range differ');
      cursor = { set: v[0] as string, after: v[1] as number };
    }
    // Without a set: the sets of the service and time range, newest first, each listed in index order.
    const out: Task[] = [];
    let setId = cursor.set;
    let after = cursor.after;
    let setsSeen = 0;
    for (;;) {
      if (!setId) {
        const next = await this.nextSet(req, '');
        if (!next) return { tasks: out, nextPageToken: '' };
        setId = next;
      }
      const set = await this.set(setId);
      const def = await this.definition(setId);
      const page = await this.page(set, def, states, req.program, after, limit - out.length);
      out.push(...page.tasks);
      if (page.next >= 0) return { tasks: out, nextPageToken: encodePageToken([setId, page.next], scope) };
      if (req.taskSetId) return { tasks: out, nextPageToken: '' };
      const next = await this.nextSet(req, setId);
      if (!next) return { tasks: out, nextPageToken: '' };
      if (out.length >= limit || ++setsSeen >= 50) return { tasks: out, nextPageToken: encodePageToken([next, -1], scope) };
      setId = next;
      after = -1;
    }
  }

  async summary(id: string, limit: number): Promise<SummarizeTaskSetResponse> {
    const set = await this.set(id);
    const def = await this.definition(id);
    const n = Math.min(limit || 1000, 10_000);
    const outputs = await this.store.outputs(id, n);
    const failedIdx = await this.store.indexesIn(id, TaskState.TASK_STATE_FAILED, -1, n);
    const failed = (await this.store.getTasks(id, failedIdx)).map((r, k) => this.complete(set, def, failedIdx[k]!, r));
    const end = set.finishedAtMs || Date.now();
    return { taskSet: set, outputs, failed, elapsedMs: end - set.createdAtMs };
  }

  async trace(outputId: string): Promise<TraceOutputResponse> {
    const setId = setIdOfOutput(outputId);
    const output: Output | undefined = setId ? await this.store.output(outputId) : undefined;
    if (!output) throw notFound('OUTPUT_NOT_FOUND', `output ${outputId} does not exist`);
    return { output, task: await this.task(output.taskId), taskSet: await this.set(output.taskSetId) };
  }

  /** Tasks that computed on this scenario (and version): the scenario index. */
  async scenario(scenarioId: string, version: string, limit: number): Promise<string[]> {
    return this.store.scenarioTasks(scenarioId, version, Math.min(limit || 1000, 10_000));
  }

  private async nextSet(req: ListTasksRequest, after: string): Promise<string | undefined> {
    for (let token = after; ; ) {
      const r = await this.store.listSets({ service: req.service, limit: 100, after: token });
      for (const s of r.sets) {
        if (req.createdFromMs && s.createdAtMs < req.createdFromMs) return undefined; // newest first: the rest is older
        if (req.createdToMs && s.createdAtMs >= req.createdToMs) continue;
        return s.id;
      }
      if (!r.next) return undefined;
      token = r.next;
    }
  }

  private async page(set: TaskSet, def: TaskSetDefinition, states: TaskState[], program: string, after: number, limit: number): Promise<{ tasks: Task[]; next: number }> {
    const out: Task[] = [];
    const wantsPending = states.length === 0 || states.includes(TaskState.TASK_STATE_PENDING);
    const others = states.filter((s) => s !== TaskState.TASK_STATE_PENDING);
    const matches = (t: Task) => (!program || t.spec?.program === program) && (states.length === 0 || states.includes(t.state));
    if (wantsPending) {
      // Walk the set in index order: records where there are some, PENDING where there are none.
      let i = after + 1;
      while (i < def.total && out.length < limit) {
        const chunk = Array.from({ length: Math.min(1000, def.total - i) }, (_, k) => i + k);
        const records = await this.store.getTasks(set.id, chunk);
        for (let k = 0; k < chunk.length && out.length < limit; k++) {
          const t = this.complete(set, def, chunk[k]!, records[k]);
          if (matches(t)) out.push(t);
          i = chunk[k]! + 1;
        }
      }
      return { tasks: out, next: i < def.total ? i - 1 : -1 };
    }
    // Only states other than PENDING: merge the per-state indexes.
    let cursor = after;
    for (;;) {
      const lists = await Promise.all(others.map((s) => this.store.indexesIn(set.id, s, cursor, limit)));
      const merged = [...new Set(lists.flat())].sort((a, b) => a - b).slice(0, limit - out.length);
      if (merged.length === 0) return { tasks: out, next: -1 };
      const records = await this.store.getTasks(set.id, merged);
      merged.forEach((idx, k) => {
        const t = this.complete(set, def, idx, records[k]);
        if (matches(t)) out.push(t);
      });
      cursor = merged[merged.length - 1]!;
      if (out.length >= limit) return { tasks: out, next: cursor };
    }
  }

  /** A stored record (or a PENDING task that has none yet) with its spec and the set's trace. */
  private complete(set: TaskSet, def: TaskSetDefinition, index: number, record: Task | undefined): Task {
    const spec = def.specOf(index);
    const base: Task = record ?? {
      id: taskId(set.id, def.nameOf(index)),
      taskSetId: set.id,
      spec: undefined,
      state: TaskState.TASK_STATE_PENDING,
      attempt: 0,
      worker: '',
      createdAtMs: set.createdAtMs,
      startedAtMs: 0,
      finishedAtMs: 0,
      failureCode: '',
      failureReason: '',
      outputs: [],
      log: [],
      seq: 0,
      predictedMs: 0,
      priorityWeight: 0,
      traceparent: '',
      index,
    };
    return { ...base, spec, traceparent: base.traceparent || traceparentOf(set.context?.traceId ?? '', index) };
  }

  private async definition(setId: string): Promise<TaskSetDefinition> {
    const open = this.scheduler.openDefinition(setId);
    if (open) return open;
    const cached = this.definitions.get(setId);
    if (cached) return cached;
    const stored = await this.store.getSet(setId);
    if (!stored) throw notFound('TASK_SET_NOT_FOUND', `task set ${setId} does not exist`);
    const def = TaskSetDefinition.of(stored.definition);
    if (this.definitions.size >= 64) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(setId, def);
    return def;
  }
}

function pageSizeOf(n: number): number {
  if (n > MAX_TASK_PAGE) throw invalidArgument('PAGE_SIZE_TOO_LARGE', `page_size ${n}: at most ${MAX_TASK_PAGE}`);
  return n || DEFAULT_TASK_PAGE;
}
