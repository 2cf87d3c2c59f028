import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { COLLECTED_DATA, collectedData, collectionHostPrograms, FilePlanStore, FileRevisionStore, METER_PLACES, PLAN_STORE, REVISION_STORE, TASK_SETS, taskSetsOf, TERMINAL_METERS, TERMINAL_PRESENCE } from '@gridstation/collection';
import type { StationConfig } from '@gridstation/config';
import { Downlink, TerminalServer } from '@gridstation/ingest';
import { READING_STORE, type ReadingStore } from '@gridstation/persistence';
import { HostExecutor, InProcessLink, PRODUCTION_LIMITS, Scheduler, SchedulerService, TaskQueries, WorkerRuntime } from '@gridstation/scheduler';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';

// Collection operations in the embedded station: the engine's ports bound to this process's store,
// scheduler, archive and terminal server, and one worker of the collection pool that provides the read
// program through this process's downlink.

const COLLECTION_WORKER = Symbol('gridstation.station.collectionWorker');

/**
 * The ports of the collection feature and its worker (a global module: the feature module reads the
 * ports from here). Needs the scheduler's and the communication feature's exports to be global.
 */
@Module({})
export class StationCollectionModule {
  static register(config: StationConfig): DynamicModule {
    const providers = collectionPorts(config);
    return { module: StationCollectionModule, global: true, providers, exports: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, PLAN_STORE, REVISION_STORE] };
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
    { provide: REVISION_STORE, useValue: new FileRevisionStore(join(config.dataDir, 'collection-revisions.jsonl')) },
    {
      provide: COLLECTION_WORKER,
      inject: [SchedulerService, Downlink, ARCHIVE, LOGGER],
      useFactory: (svc: SchedulerService, downlink: Downlink, archive: DeviceArchive, log: Logger) =>
        new WorkerRuntime(
          new InProcessLink(svc.scheduler, svc.programs),
          { workerId: `${config.instanceId}-collector`, trial: false, pool: 'collection', executor: new HostExecutor(collectionHostPrograms(downlink, archive)), cpu: 1, memoryBytes: 0, heartbeatMs: 2_000, limits: PRODUCTION_LIMITS, reconnectMs: 200 },
          log,
        ),
    },
    provideWorkerLifecycle<WorkerRuntime>(COLLECTION_WORKER, async (w) => w.start(), (w) => w.stop(5_000), STOP_ORDER.derived),
  ];
}
