import type { CommConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { CommAdaptersModule } from './adapters/adapters.module';

// Communication service: terminal connections in, raw frames out to gs.raw.frames.v1; the terminal -> instance registry lives in Redis.
export function bootstrap(config: CommConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [CommAdaptersModule.register(config)] });
}
