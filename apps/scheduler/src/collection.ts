import { Module, type DynamicModule } from '@nestjs/common';
import { ARCHIVE, managedTopology, redisArchiveProvider, TOPOLOGY, type DeviceArchive, type TopologyProvider } from '@gridstation/archive';
import { createRedis, REDIS, type ManagedRedis } from '@gridstation/cache';
import { ALERT_SINK, ClickHouseIndicators, COLLECTED_DATA, collectedData, indicatorsProgram, INDICATORS_PROGRAM, METER_PLACES, PLAN_STORE, RedisPlanStore, RedisRevisionStore, REVISION_STORE, TASK_SETS, taskSetsOf, TERMINAL_METERS, TERMINAL_PRESENCE } from '@gridstation/collection';
import type { SchedulerConfig } from '@gridstation/config';
import { RedisRegistry } from '@gridstation/ingest';
import { managedClickHouseStore, READING_STORE, type ReadingStore } from '@gridstation/persistence';
import { HostExecutor, InProcessLink, PRODUCTION_LIMITS, Scheduler, SchedulerService, TaskQueries, WorkerRuntime } from '@gridstation/scheduler';
import { BUS, recordValue, TOPICS, type MessageBus } from '@gridstation/bus';
import { CLICKHOUSE, type ManagedClickHouse } from '@gridstation/clickhouse';
import { Alert } from '@gridstation/contracts';
import type { Logger } from '@gridstation/telemetry';
import { LOGGER, provideResource, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';

// Collection plans in the scheduler service: the engine's ports over the distributed parts. Readings
// from ClickHouse (the storage service's tables), the archive and the terminals' connections from
// Redis (what the communication instances register), plans, estimates and edits in Redis, the supply
// topology from its Redis cache. The reads themselves run on the
// collection workers that the communication instances attach (GS_COLLECTION_SCHEDULER_GRPC).

const INDICATORS_WORKER = Symbol('gridstation.scheduler.indicatorsWorker');

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
      // The supply topology (Redis cache, as analytics reads it): the KPI per transformer area.
      ...provideResource(TOPOLOGY, 'topology', (log) => managedTopology({ redis: () => createRedis(config.redis), subscriber: () => createRedis(config.redis) }, log)),
      { provide: METER_PLACES, inject: [TOPOLOGY], useFactory: (t: TopologyProvider) => ({ areaOf: (meterId: string) => t.current().meter(meterId)?.area }) },
      { provide: PLAN_STORE, inject: [REDIS], useFactory: (r: ManagedRedis) => new RedisPlanStore(r.client, `${config.keyPrefix}collection:plans`) },
      { provide: REVISION_STORE, inject: [REDIS], useFactory: (r: ManagedRedis) => new RedisRevisionStore(r.client, `${config.keyPrefix}collection:revisions:`) },
      // The indicators pool's worker runs here, next to ClickHouse: its tasks aggregate there.
      {
        provide: INDICATORS_WORKER,
        inject: [SchedulerService, CLICKHOUSE, LOGGER],
        useFactory: (svc: SchedulerService, ch: ManagedClickHouse, log: Logger) => {
          const indicators = new ClickHouseIndicators(ch);
          const worker = new WorkerRuntime(
            new InProcessLink(svc.scheduler, svc.programs),
            { workerId: `${config.instanceId}-indicators`, trial: false, pool: 'indicators', executor: new HostExecutor(new Map([[INDICATORS_PROGRAM, indicatorsProgram(indicators)]])), cpu: 1, memoryBytes: 0, heartbeatMs: 2_000, limits: PRODUCTION_LIMITS, reconnectMs: 500 },
            log,
          );
          return { indicators, worker };
        },
      },
      provideWorkerLifecycle<{ indicators: ClickHouseIndicators; worker: WorkerRuntime }>(INDICATORS_WORKER, async (w) => (await w.indicators.migrate(), w.worker.start()), (w) => w.worker.stop(5_000), STOP_ORDER.derived),
      { provide: ALERT_SINK, inject: [BUS], useFactory: (bus: MessageBus) => ({ publish: (alerts: readonly Alert[]) => bus.publish(TOPICS.alerts, alerts.map((a) => ({ key: a.alertId, value: recordValue(Alert.encode(a)) }))) }) },
    ];
    return { module: SchedulerCollectionModule, global: true, providers, exports: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, PLAN_STORE, REVISION_STORE, ALERT_SINK] };
  }
}
