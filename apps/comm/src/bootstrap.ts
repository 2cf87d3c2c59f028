import type { CommConfig } from '@gridstation/config';
import { CommFeatureModule, EDGE_GRPC_SERVICES } from '@gridstation/ingest';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { CommAdaptersModule } from './adapters/adapters.module';
import { CommCollectionWorkerModule } from './collection-worker';

// Communication service: terminal connections in, raw frames out to gs.raw.frames.v1; the terminal -> instance registry lives in Redis.
// Edge agents stream batches of readings in (EdgeIngestService), out to gs.readings.v1; the rebalancer reads and moves them (EdgeControlService).
// With GS_COLLECTION_SCHEDULER_GRPC set it also runs a collection-pool worker of that scheduler.
export function bootstrap(config: CommConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  const t = config.terminal;
  return startService({
    config,
    telemetry,
    handleSignals,
    imports: [
      CommAdaptersModule.register(config),
      // Global: the collection worker uses its downlink.
      { ...CommFeatureModule.register({ ...t, instanceId: config.instanceId, grpcAddress: t.advertiseGrpc, edge: config.edge }), global: true },
      ...(config.collectionScheduler ? [CommCollectionWorkerModule.register(config)] : []),
    ],
    grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/downlink.proto', 'gridstation/v1/terminal.proto'], direct: EDGE_GRPC_SERVICES },
  });
}
