import { join } from 'node:path';
import { applyMigrations, loadMigrations, sql, type ClickHouseHandle } from '@gridstation/clickhouse';
import { TaskState, type TaskEvent } from '@gridstation/contracts';
import type { Observation } from '../tccsp/forecast';

// Task history: the events of the task layer as rows, for queries and for the duration forecast (A1).
// ClickHouse in the distributed mode; the embedded mode keeps no history beyond the task store (its
// forecast learns from the tasks it runs).

export const SCHEDULER_MIGRATIONS_DIR = join(__dirname, 'migrations');

export interface TaskHistory {
  migrate(): Promise<void>;
  record(events: readonly TaskEvent[]): Promise<void>;
  /** The most recent successful attempts, newest first (what A1 is fitted on at start). */
  recentDurations(limit: number): Promise<Observation[]>;
  healthCheck(): Promise<void>;
}

export const TASK_HISTORY = Symbol('TASK_HISTORY');

export interface TaskEventRow {
  task_set_id: string;
  seq: number;
  at_ms: number;
  kind: string;
  task_id: string;
  task_index: number;
  from_state: number;
  to_state: number;
  attempt: number;
  worker: string;
  failure_code: string;
  failure_reason: string;
  program: string;
  scale: number;
  worker_cpu: number;
  duration_ms: number;
  predicted_ms: number;
  service: string;
}

export function rowOf(e: TaskEvent): TaskEventRow {
  const base = { task_set_id: e.taskSetId, seq: e.seq, at_ms: e.atMs, task_id: '', task_index: 0, from_state: 0, to_state: 0, attempt: 0, worker: '', failure_code: '', failure_reason: '', program: '', scale: 0, worker_cpu: 0, duration_ms: 0, predicted_ms: 0, service: '' };
  const c = e.change;
  if (c?.$case === 'transition') {
    const t = c.transition;
    return { ...base, kind: 'transition', task_id: t.taskId, task_index: t.index, from_state: t.from, to_state: t.to, attempt: t.attempt, worker: t.worker, failure_code: t.failureCode, failure_reason: t.failureReason.slice(0, 2000), program: t.program, scale: t.scale, worker_cpu: t.workerCpu, duration_ms: t.durationMs, predicted_ms: t.predictedMs };
  }
  if (c?.$case === 'created') return { ...base, kind: 'created', service: c.created.taskSet?.service ?? '', task_index: c.created.taskSet?.total ?? 0 };
  return { ...base, kind: c?.$case ?? 'unknown', failure_reason: c?.$case === 'cancelled' ? c.cancelled.reason : '' };
}

export class ClickHouseTaskHistory implements TaskHistory {
  constructor(private readonly ch: { readonly handle: ClickHouseHandle }) {}

  async migrate(): Promise<void> {
    await applyMigrations(this.ch.handle.client, loadMigrations(SCHEDULER_MIGRATIONS_DIR), this.ch.handle.caps);
  }

  async record(events: readonly TaskEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ch.handle.client.insert({ table: 'task_events', values: events.map(rowOf), format: 'JSONEachRow' });
  }

  async recentDurations(limit: number): Promise<Observation[]> {
    const r = await this.ch.handle.client.query({
      query: sql`SELECT program, scale, worker_cpu, duration_ms FROM task_events WHERE to_state = ${TaskState.TASK_STATE_SUCCESS} AND duration_ms > 0 ORDER BY at_ms DESC LIMIT ${Math.floor(limit)}`,
      format: 'JSONEachRow',
    });
    const rows = await r.json<{ program: string; scale: number; worker_cpu: number; duration_ms: number }>();
    return rows.map((x) => ({ program: x.program, scale: Number(x.scale), cpu: Number(x.worker_cpu) || 1, durationMs: Number(x.duration_ms) }));
  }

  async healthCheck(): Promise<void> {
    await this.ch.handle.client.ping();
  }
}
