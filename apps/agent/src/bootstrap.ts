import type { AgentConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { AgentAdaptersModule } from './adapters/adapters.module';
import { EdgeAgentModule } from './edge-agent.module';

// Edge agent: runs next to its meters (a substation or concentrator gateway), batches and compresses
// their readings and streams them to the station (EdgeIngestService), keeping every batch in its spool
// until the station acknowledged it; reports its node's load with every batch (the rebalancer reads
// it from the pods). Built only from shared libs (no server storage clients).
export function bootstrap(config: AgentConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [AgentAdaptersModule.register(config), EdgeAgentModule.register(config)] });
}
