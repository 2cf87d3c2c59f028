import type { ParserConfig } from '@gridstation/config';
import { ParserFeatureModule } from '@gridstation/parsing';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { ParserAdaptersModule } from './adapters/adapters.module';

// Parsing service: gs.raw.frames.v1 -> codecs -> gs.readings.v1 + gs.events.v1; bad frames -> gs.deadletter.v1.
export function bootstrap(config: ParserConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [ParserAdaptersModule.register(config), ParserFeatureModule.register({ producer: `parser-${config.instanceId}`, tzOffsetMinutes: config.tzOffsetMinutes })],
  });
}
