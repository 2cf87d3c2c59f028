import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { archiveSyncProgram, CLOCK_PROGRAM, clockProgram, COLLECTED_DATA, collectionReadProgram, SYNC_PROGRAM, FilePlanStore, METER_PLACES, PLAN_STORE, READ_PROGRAM, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, type CollectedData, type TaskSets } from '@gridstation/collection';
import type { StationConfig } from '@gridstation/config';
import { Downlink, TerminalServer } from '@gridstation/ingest';
import { READING_STORE, type ReadingStore } from '@gridstation/persistence';
import { HostExecutor, InProcessLink, type HostProgram, PRODUCTION_LIMITS, Scheduler, SchedulerService, TaskQueries, WorkerRuntime } from '@gridstation/scheduler';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';

// Collection operations in the embedded station: the engine's ports bound to this process's store,
// scheduler, archive and terminal server, and one worker of the collection pool that provides the read
// program through this process's downlink.

const COLLECTION_WORKER = Symbol('gridstation.station.collectionWorker');

/** The analytical store as collection reads it. */
export function collectedData(store: ReadingStore): CollectedData {
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

/** The scheduler as collection uses it (in-process). */
export function taskSetsOf(scheduler: Scheduler, queries: TaskQueries): TaskSets {
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

/**
 * The ports of the collection feature and its worker (a global module: the feature module reads the
 * ports from here). Needs the scheduler's and the communication feature's exports to be global.
 */
@Module({})
export class StationCollectionModule {
  static register(config: StationConfig): DynamicModule {
    const providers = collectionPorts(config);
    return { module: StationCollectionModule, global: true, providers, exports: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, PLAN_STORE] };
  }
}

/** Providers the collection feature needs, from the station's other parts. */
function collectionPorts(config: StationConfig) {
  return [
    { provide: COLLECTED_DATA, inject: [READING_STORE], useFactory: (s: ReadingStore) => collectedData(s) },
    { provide: TASK_SETS, inject: [Scheduler, TaskQueries], useFactory: (s: Scheduler, q: TaskQueries) => taskSetsOf(s, q) },
    { provide: TERMINAL_METERS, inject: [ARCHIVE], useFactory: (a: DeviceArchive) => a },
    { provide: TERMINAL_PRESENCE, inject: [TerminalServer], useFactory: (t: TerminalServer) => ({ online: async (address: string) => t.connectionOf(address)?.address !== undefined }) },
    // The embedded station has no supply topology: the KPI per area names none.
    { provide: METER_PLACES, useValue: { areaOf: () => undefined } },
    { provide: PLAN_STORE, useValue: new FilePlanStore(join(config.dataDir, 'collection-plans.json')) },
    {
      provide: COLLECTION_WORKER,
      inject: [SchedulerService, Downlink, ARCHIVE, LOGGER],
      useFactory: (svc: SchedulerService, downlink: Downlink, archive: DeviceArchive, log: Logger) =>
        new WorkerRuntime(
          new InProcessLink(svc.scheduler, svc.programs),
          { workerId: `${config.instanceId}-collector`, trial: false, pool: 'collection', executor: new HostExecutor(new Map<string, HostProgram>([[READ_PROGRAM, collectionReadProgram(downlink)], [SYNC_PROGRAM, archiveSyncProgram(downlink, archive)], [CLOCK_PROGRAM, clockProgram(downlink)]])), cpu: 1, memoryBytes: 0, heartbeatMs: 2_000, limits: PRODUCTION_LIMITS, reconnectMs: 200 },
          log,
        ),
    },
    provideWorkerLifecycle<WorkerRuntime>(COLLECTION_WORKER, async (w) => w.start(), (w) => w.stop(5_000), STOP_ORDER.derived),
  ];
}
