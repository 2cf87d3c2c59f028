import type { StorageConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { StorageAdaptersModule } from './adapters/adapters.module';

// Storage service: validated readings into ClickHouse and HBase; offsets commit only after both stores acknowledged.
export function bootstrap(config: StorageConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [StorageAdaptersModule.register(config)] });
}
