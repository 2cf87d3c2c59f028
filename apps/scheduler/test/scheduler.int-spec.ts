import { loadConfig, schedulerConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, freePort, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('scheduler service', () => {
  const telemetry = startTelemetry({ service: 'scheduler', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('redis');
    const config = loadConfig('scheduler', schedulerConfigSchema, {
      GS_HTTP_HOST: '127.0.0.1',
      GS_GRPC_HOST: '127.0.0.1',
      GS_HTTP_PORT: String(await freePort()),
      GS_GRPC_PORT: String(await freePort()),
      GS_LOG_LEVEL: 'warn',
    });
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'scheduler', ['bus', 'redis']);
  });
});
