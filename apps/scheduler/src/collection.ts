import { Module, type DynamicModule } from '@nestjs/common';
import { ARCHIVE, redisArchiveProvider, type DeviceArchive } from '@gridstation/archive';
import { REDIS, type ManagedRedis } from '@gridstation/cache';
import { COLLECTED_DATA, collectedData, METER_PLACES, PLAN_STORE, RedisPlanStore, TASK_SETS, taskSetsOf, TERMINAL_METERS, TERMINAL_PRESENCE } from '@gridstation/collection';
import type { SchedulerConfig } from '@gridstation/config';
import { RedisRegistry } from '@gridstation/ingest';
import { managedClickHouseStore, READING_STORE, type ReadingStore } from '@gridstation/persistence';
import { Scheduler, TaskQueries } from '@gridstation/scheduler';
import { provideResource } from '@gridstation/service';

// Collection plans in the scheduler service: the engine's ports over the distributed parts. Readings
// from ClickHouse (the storage service's tables), the archive and the terminals' connections from
// Redis (what the communication instances register), plans in Redis. The reads themselves run on the
// collection workers that the communication instances attach (GS_COLLECTION_SCHEDULER_GRPC).

@Module({})
export class SchedulerCollectionModule {
  static register(config: SchedulerConfig): DynamicModule {
    const providers = [
      ...provideResource(READING_STORE, 'readings', (log) => managedClickHouseStore(config.clickhouse, log)),
      redisArchiveProvider,
      { provide: COLLECTED_DATA, inject: [READING_STORE], useFactory: (s: ReadingStore) => collectedData(s) },
      { provide: TASK_SETS, inject: [Scheduler, TaskQueries], useFactory: (s: Scheduler, q: TaskQueries) => taskSetsOf(s, q) },
      { provide: TERMINAL_METERS, inject: [ARCHIVE], useFactory: (a: DeviceArchive) => a },
      { provide: TERMINAL_PRESENCE, inject: [REDIS], useFactory: (r: ManagedRedis) => ((reg) => ({ online: async (t: string) => (await reg.owner(t)) !== undefined }))(new RedisRegistry(r.client)) },
      // The supply topology is not read here yet: the KPI per area names none (per terminal works).
      { provide: METER_PLACES, useValue: { areaOf: () => undefined } },
      { provide: PLAN_STORE, inject: [REDIS], useFactory: (r: ManagedRedis) => new RedisPlanStore(r.client, `${config.keyPrefix}collection:plans`) },
    ];
    return { module: SchedulerCollectionModule, global: true, providers, exports: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, PLAN_STORE] };
  }
}
