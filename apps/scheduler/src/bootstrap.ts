import { CollectionFeatureModule } from '@gridstation/collection';
import type { SchedulerConfig } from '@gridstation/config';
import { SchedulerFeatureModule, WORKER_GRPC_SERVICE } from '@gridstation/scheduler';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { SchedulerAdaptersModule } from './adapters/adapters.module';
import { SchedulerCollectionModule } from './collection';
import { SchedulerEdgeModule } from './edge';

// Scheduler: task sets and tasks (state in Redis, events on gs.task-events.v1, history in ClickHouse),
// co-scheduled with worker capacity; program slots; the workers' Work streams; collection plans
// (GS_COLLECTION=on) whose reads run on the collection workers of the communication instances; edge
// computing tasks (GS_EDGE_TASKS=on): registries, delivery of GridTasks to edge clusters, their results.
export function bootstrap(config: SchedulerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [
      SchedulerAdaptersModule.register(config),
      // Global: collection's ports use the scheduler and its task queries.
      { ...SchedulerFeatureModule.register({ scheduler: { ...config.scheduling, owner: config.instanceId }, capacity: config.capacity, inProcessWorkers: false, historyGroup: 'gs-scheduler-history' }), global: true },
      ...(config.collection ? [SchedulerCollectionModule.register(config), CollectionFeatureModule.register({ tickMs: 5_000, indicators: true })] : []),
      ...(config.edgeTasks ? [SchedulerEdgeModule.register(config, config.edgeTasks)] : []),
    ],
    grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/task.proto', 'gridstation/v1/program.proto', ...(config.collection ? ['gridstation/v1/collection.proto'] : []), ...(config.edgeTasks ? ['gridstation/v1/edgetask.proto'] : [])], direct: [WORKER_GRPC_SERVICE] },
  });
}
