import type { AnalyticsConfig } from '@gridstation/config';
import { AnalyticsFeatureModule } from '@gridstation/analytics';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { AnalyticsAdaptersModule } from './adapters/adapters.module';

// Real-time analytics: outage detection on events and topology (Redis), alerts to gs.alerts.v1, ClickHouse and gRPC subscribers.
export function bootstrap(config: AnalyticsConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [AnalyticsAdaptersModule.register(config), AnalyticsFeatureModule.register({ producer: `analytics-${config.instanceId}`, outage: config.outage, limits: config.limits, groupPrefix: config.groupPrefix })],
    grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/alert.proto', 'gridstation/v1/topology.proto'] },
  });
}
