import type { ParserConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { ParserAdaptersModule } from './adapters/adapters.module';

// Protocol parsing service: gs.raw.frames.v1 in, readings and events out, bad frames to the dead-letter topic.
export function bootstrap(config: ParserConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [ParserAdaptersModule.register(config)] });
}
