import { loadConfig, storageConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, localServiceEnv, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('storage service', () => {
  const telemetry = startTelemetry({ service: 'storage', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('clickhouse');
    await requireService('hbase');
    await requireService('redis');
    const config = loadConfig('storage', storageConfigSchema, {
      ...(await localServiceEnv()),
      GS_CLICKHOUSE_DATABASE: 'gs_storage_it',
    });
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'storage', ['bus', 'clickhouse', 'hbase', 'redis']);
  });
});
