import { loadConfig, parserConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, freePort, requireService } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

describe('parser service', () => {
  const telemetry = startTelemetry({ service: 'parser', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
    await requireService('kafka');
    const config = loadConfig('parser', parserConfigSchema, {
      GS_HTTP_HOST: '127.0.0.1',
      GS_GRPC_HOST: '127.0.0.1',
      GS_HTTP_PORT: String(await freePort()),
      GS_GRPC_PORT: String(await freePort()),
      GS_LOG_LEVEL: 'warn',
    });
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'parser', ['bus']);
  });
});
