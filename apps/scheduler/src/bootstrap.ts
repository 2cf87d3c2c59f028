import type { SchedulerConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { SchedulerAdaptersModule } from './adapters/adapters.module';

// Scheduler: collection and computing task sets, co-scheduled with worker capacity; state in Redis.
export function bootstrap(config: SchedulerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [SchedulerAdaptersModule.register(config)] });
}
