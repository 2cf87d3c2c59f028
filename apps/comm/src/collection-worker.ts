import { Module, type DynamicModule } from '@nestjs/common';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { collectionHostPrograms } from '@gridstation/collection';
import type { CommConfig } from '@gridstation/config';
import { Downlink } from '@gridstation/ingest';
import { GrpcSchedulerLink, HostExecutor, PRODUCTION_LIMITS, WorkerRuntime } from '@gridstation/scheduler';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';

// A worker of the scheduler's collection pool next to this communication instance: it runs the
// collection programs (reads, archive syncs, clock checks) through this instance's downlink, which
// forwards to the instance holding a terminal when it is not this one.

const COLLECTION_WORKER = Symbol('gridstation.comm.collectionWorker');

@Module({})
export class CommCollectionWorkerModule {
  static register(config: CommConfig): DynamicModule {
    return {
      module: CommCollectionWorkerModule,
      providers: [
        {
          provide: COLLECTION_WORKER,
          inject: [Downlink, ARCHIVE, LOGGER],
          useFactory: (downlink: Downlink, archive: DeviceArchive, log: Logger) =>
            new WorkerRuntime(
              new GrpcSchedulerLink(config.collectionScheduler),
              { workerId: `${config.instanceId}-collector`, trial: false, pool: 'collection', executor: new HostExecutor(collectionHostPrograms(downlink, archive)), cpu: 1, memoryBytes: 0, heartbeatMs: 2_000, limits: PRODUCTION_LIMITS, reconnectMs: 500 },
              log.child({ component: 'collection-worker' }),
            ),
        },
        provideWorkerLifecycle<WorkerRuntime>(COLLECTION_WORKER, async (w) => w.start(), (w) => w.stop(5_000), STOP_ORDER.derived),
      ],
    };
  }
}
