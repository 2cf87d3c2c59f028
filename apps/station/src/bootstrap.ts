import type { StationConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { StationAdaptersModule } from './adapters/adapters.module';

// The all-in-one station of the embedded mode: one process, the in-process bus by default.
export function bootstrap(config: StationConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [StationAdaptersModule.register(config)] });
}
