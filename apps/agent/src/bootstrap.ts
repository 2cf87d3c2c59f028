import type { AgentConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { AgentAdaptersModule } from './adapters/adapters.module';

// Edge agent: runs next to terminals, batches and compresses their data for the station, and reports
// its own load to the rebalancer. It is built only from shared libs (no server storage clients).
export function bootstrap(config: AgentConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [AgentAdaptersModule.register(config)] });
}
