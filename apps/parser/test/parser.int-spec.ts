import { loadConfig, parserConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, localServiceEnv, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('parser service', () => {
  const telemetry = startTelemetry({ service: 'parser', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    await requireService('redis');
    const config = loadConfig('parser', parserConfigSchema, await localServiceEnv());
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'parser', ['bus', 'redis']);
  });
});
