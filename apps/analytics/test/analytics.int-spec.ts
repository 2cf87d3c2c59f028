import { loadConfig, analyticsConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, localServiceEnv, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('analytics service', () => {
  const telemetry = startTelemetry({ service: 'analytics', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('redis');
    await requireService('clickhouse');
    const config = loadConfig('analytics', analyticsConfigSchema, {
      ...(await localServiceEnv()),
      GS_CLICKHOUSE_DATABASE: 'gs_analytics_it',
    });
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'analytics', ['bus', 'redis', 'clickhouse', 'topology']);
  });
});
