import type { RebalancerConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { RebalancerAdaptersModule } from './adapters/adapters.module';

// Rebalancer: agent and pod load, hotspot detection and redirection; load samples in Redis.
export function bootstrap(config: RebalancerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [RebalancerAdaptersModule.register(config)] });
}
