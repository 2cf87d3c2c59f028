import type { SchedulerConfig } from '@gridstation/config';
import { SchedulerFeatureModule, WORKER_GRPC_SERVICE } from '@gridstation/scheduler';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { SchedulerAdaptersModule } from './adapters/adapters.module';

// Scheduler: task sets and tasks (state in Redis, events on gs.task-events.v1, history in ClickHouse),
// co-scheduled with worker capacity; program slots; the workers' Work streams.
export function bootstrap(config: SchedulerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [SchedulerAdaptersModule.register(config), SchedulerFeatureModule.register({ scheduler: { ...config.scheduling, owner: config.instanceId }, capacity: config.capacity, inProcessWorkers: false, historyGroup: 'gs-scheduler-history' })],
    grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/task.proto', 'gridstation/v1/program.proto'], direct: [WORKER_GRPC_SERVICE] },
  });
}
