import { loadConfig, agentConfigSchema, stationConfigSchema } from '@gridstation/config';
import { startService } from '@gridstation/service';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, httpGet, localServiceEnv } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spoolDir = join(tmpdir(), `gs-agent-it-${process.pid}`);
const local = async () => ({ ...(await localServiceEnv()), GS_AGENT_SPOOL_DIR: spoolDir });

describe('edge agent', () => {
  const telemetry = startTelemetry({ service: 'agent', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('is ready while the station answers gRPC health, and reports the station when it goes away', async () => {
    // A real gRPC endpoint built with the same service kit the station uses.
    const stationConfig = loadConfig('station', stationConfigSchema, await local());
    const station = await startService({ config: stationConfig, telemetry, imports: [] });
    const agentEnv = { ...(await local()), GS_STATION_GRPC: station.grpcAddress };
    const agent = await bootstrap(loadConfig('agent', agentConfigSchema, agentEnv), telemetry, false);
    const ready = await httpGet(agent.httpPort, '/readyz');
    expect(ready.status).toBe(200);

    await station.shutdown('test');
    await new Promise((r) => setTimeout(r, 1100)); // readiness results are cached for one second
    const lost = await httpGet(agent.httpPort, '/readyz');
    expect(lost.status).toBe(503);
    expect(JSON.parse(lost.body)).toMatchObject({ status: 'not-ready', checks: { station: { ok: false } } });
    await agent.shutdown('test');
  });

  it('meets the service contract', async () => {
    const stationConfig = loadConfig('station', stationConfigSchema, await local());
    const station = await startService({ config: stationConfig, telemetry, imports: [] });
    const agent = await bootstrap(loadConfig('agent', agentConfigSchema, { ...(await local()), GS_STATION_GRPC: station.grpcAddress }), telemetry, false);
    try {
      await expectServiceContract(agent, 'agent', ['station']);
    } finally {
      await station.shutdown('test');
    }
  });
});
