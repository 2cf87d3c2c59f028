import type { SubmitTaskSetRequest, SummarizeTaskSetResponse, TaskSet } from '@gridstation/contracts';
import { archiveSyncProgram, SYNC_PROGRAM, type ConfigChannel } from './sync-program';
import { clockProgram, CLOCK_PROGRAM, type ClockChannel } from './clock-program';
import { collectionReadProgram, READ_PROGRAM, type FrozenReader } from './read-program';
import type { CollectedData, TaskSets, TerminalMeters } from './ports';

// The ports built from what a host has, described by shape only (this feature imports no other one):
// a reading store with curve paging, a scheduler and its task queries, and a downlink.

export interface CurveStore {
  dataTimes(meterIds: readonly string[], quantity: string, fromMs: number, toMs: number): Promise<Map<string, number[]>>;
  curve(q: { meterId: string; quantities: readonly string[]; fromMs: number; toMs: number; limit: number; after?: { dataTimeMs: number; quantity: string; tariff: number } }): Promise<Array<{ dataTimeMs: number; quantity: string; tariff: number; value: number }>>;
}

/** The analytical store as collection reads it. */
export function collectedData(store: CurveStore): CollectedData {
  return {
    dataTimes: (ids, q, from, to) => store.dataTimes(ids, q, from, to),
    series: async (meterId, quantity, fromMs, toMs) => {
      const out: Array<{ t: number; v: number }> = [];
      let after: { dataTimeMs: number; quantity: string; tariff: number } | undefined;
      for (;;) {
        const page = await store.curve({ meterId, quantities: [quantity], fromMs, toMs, limit: 5000, ...(after ? { after } : {}) });
        for (const r of page) if (r.tariff === 0 && Number.isFinite(r.value)) out.push({ t: r.dataTimeMs, v: r.value });
        if (page.length < 5000) return out;
        const last = page[page.length - 1]!;
        after = { dataTimeMs: last.dataTimeMs, quantity: last.quantity, tariff: last.tariff };
      }
    },
  };
}

/** The scheduler (in the same process) as collection uses it. */
export function taskSetsOf(scheduler: { submit(req: SubmitTaskSetRequest): Promise<TaskSet>; getSet(id: string): Promise<TaskSet | undefined> }, queries: { summary(id: string, limit: number): Promise<SummarizeTaskSetResponse> }): TaskSets {
  return {
    submit: (req) => scheduler.submit(req),
    get: (id) => scheduler.getSet(id),
    outcomes: async (id) => {
      const s = await queries.summary(id, 10_000);
      const name = (taskId: string) => taskId.slice(id.length + 1);
      return [
        ...s.outputs.map((o) => ({ name: name(o.taskId), ok: true, output: JSON.parse(o.inlineJson || 'null') as unknown })),
        ...s.failed.map((t) => ({ name: t.spec?.name ?? name(t.id), ok: false, failureCode: t.failureCode, failureReason: t.failureReason })),
      ];
    },
  };
}

/** The programs a collection-pool worker provides, over its process's downlink and archive. */
export function collectionHostPrograms(downlink: FrozenReader & ConfigChannel & ClockChannel, archive: TerminalMeters): Map<string, (input: unknown, signal: AbortSignal) => Promise<unknown>> {
  return new Map<string, (input: unknown, signal: AbortSignal) => Promise<unknown>>([
    [READ_PROGRAM, collectionReadProgram(downlink)],
    [SYNC_PROGRAM, archiveSyncProgram(downlink, archive)],
    [CLOCK_PROGRAM, clockProgram(downlink)],
  ]);
}
