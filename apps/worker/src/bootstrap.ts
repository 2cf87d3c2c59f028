import type { WorkerConfig } from '@gridstation/config';
import { WorkerFeatureModule } from '@gridstation/scheduler';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';

// Worker: one container of the scheduler's pool. Runs one task at a time in its program sandbox and
// reports over its Work stream; /healthz, /readyz and /metrics like every service.
export function bootstrap(config: WorkerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [
      WorkerFeatureModule.register({
        scheduler: config.scheduler,
        workerId: config.workerId,
        trial: config.trial,
        cpu: config.cpu,
        memoryBytes: config.memoryBytes,
        heartbeatMs: config.heartbeatMs,
        ...(config.programHeapMb ? { heapMb: config.programHeapMb } : {}),
        ...(config.programTimeoutMs ? { timeoutMs: config.programTimeoutMs } : {}),
      }),
    ],
  });
}
