import { loadConfig, commConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, localServiceEnv, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('comm service', () => {
  const telemetry = startTelemetry({ service: 'comm', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('redis');
    const config = loadConfig('comm', commConfigSchema, await localServiceEnv());
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'comm', ['bus', 'redis']);
  });
});
