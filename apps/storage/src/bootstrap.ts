import type { StorageConfig } from '@gridstation/config';
import { DEFAULT_VALIDITY, StorageFeatureModule } from '@gridstation/persistence';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { StorageAdaptersModule } from './adapters/adapters.module';

// Storage service: readings and events -> validity checks -> ClickHouse + HBase -> gs.readings.validated.v1; gRPC reading queries.
export function bootstrap(config: StorageConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [
      StorageAdaptersModule.register(config),
      StorageFeatureModule.register({ batchRows: config.batch.rows, batchDelayMs: config.batch.delayMs, wideLayout: config.batch.wideLayout, validity: { ...DEFAULT_VALIDITY, recentCapacity: config.batch.duplicateWindow }, producer: `storage-${config.instanceId}` }),
    ],
    grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/query.proto'] },
  });
}
