import type { AnalyticsConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { AnalyticsAdaptersModule } from './adapters/adapters.module';

// Real-time analytics: outage detection on events and topology (Redis), rollups and limits into ClickHouse, alerts out.
export function bootstrap(config: AnalyticsConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [AnalyticsAdaptersModule.register(config)] });
}
