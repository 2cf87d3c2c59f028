import { loadConfig, schedulerConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, localServiceEnv, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('scheduler service', () => {
  const telemetry = startTelemetry({ service: 'scheduler', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('redis');
    const config = loadConfig('scheduler', schedulerConfigSchema, await localServiceEnv());
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'scheduler', ['bus', 'redis']);
  });
});
