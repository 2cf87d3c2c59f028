import { loadConfig, stationConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { expectServiceContract, localServiceEnv, grpcHealthCheck, httpGet, spawnMain, waitFor } from '@gridstation/testing';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { TerminalServer } from '@gridstation/ingest';
import { StorageService } from '@gridstation/persistence';
import { DEFAULT_SIMULATOR, Simulator } from '@gridstation/simulator';
import { bootstrap } from '../src/bootstrap';

const runMain = (env: Record<string, string>) => spawnMain('apps/station/src/main.ts', env);

describe('station (embedded mode)', () => {
  const spans = new InMemorySpanExporter();
  const telemetry = startTelemetry({ service: 'station', instanceId: 'it', tracesExporter: 'none', spanExporter: spans });
  afterAll(() => telemetry.shutdown());

  it("continues the caller's trace for an incoming gRPC call", async () => {
    const config = loadConfig('station', stationConfigSchema, await localServiceEnv());
    const svc = await bootstrap(config, telemetry, false);
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpan = '00f067aa0ba902b7';
      await grpcHealthCheck(svc.grpcAddress, '', { traceparent: `00-${traceId}-${callerSpan}-01` });
      const server = spans.getFinishedSpans().find((s) => s.spanContext().traceId === traceId);
      expect(server).toBeDefined();
      expect(server!.name).toBe('GrpcHealthController/check');
      expect(server!.parentSpanContext?.spanId).toBe(callerSpan);
    } finally {
      await svc.shutdown('test');
    }
  });

  it('starts with the in-process bus and nothing external, and meets the service contract', async () => {
    const config = loadConfig('station', stationConfigSchema, await localServiceEnv());
    expect(config.bus.kind).toBe('memory');
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'station', ['bus', 'readings', 'meter-data', 'task-store', 'scheduler']);
  });

  it('as a process: becomes ready, then exits 0 after a graceful shutdown on SIGTERM', async () => {
    const env: Record<string, string> = { ...(await localServiceEnv()), GS_LOG_LEVEL: 'info' };
    const httpPort = Number(env['GS_HTTP_PORT']);
    const p = runMain(env);
    try {
      await waitFor(async () => (await httpGet(httpPort, '/readyz')).status === 200, `station to be ready (stderr: ${p.out.stderr})`, 60_000, 200);
      p.child.kill('SIGTERM');
      expect(await p.exit).toEqual({ code: 0, signal: null });
    } finally {
      p.child.kill('SIGKILL');
    }
    const lines = p.out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; service: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['service started', 'shutting down', 'shutdown complete']));
    expect(lines.every((l) => l.service === 'station')).toBe(true);
  });

  it('one trace follows a frame from the terminal socket through parsing to the storage write', async () => {
    const config = loadConfig('station', stationConfigSchema, { ...(await localServiceEnv()), GS_BATCH_DELAY_MS: '20' });
    const svc = await bootstrap(config, telemetry, false);
    const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: svc.app.get(TerminalServer).port, terminals: 1, metersPerTerminal: 1, unknownTerminals: 0, badFrameEvery: 0, eventEvery: 0 });
    try {
      await svc.app.get<DeviceArchive>(ARCHIVE).put(sim.archive());
      spans.reset();
      await sim.connect();
      await sim.run(1);
      const storage = svc.app.get(StorageService);
      await waitFor(() => storage.stats().readingsStored === sim.truth.readings.size, 'readings stored', 20_000);
      const finished = spans.getFinishedSpans();
      const receive = finished.filter((s) => s.name === 'terminal frames receive');
      // The readings topic has two consumers here: storage and the analytics' signals; the storage one writes.
      const storing = (s: (typeof finished)[number]) => s.name === 'gs.readings.v1 process' && s.attributes['messaging.consumer.group.name'] === 'gs-storage';
      const chained = receive.find((r) => {
        const t = r.spanContext().traceId;
        const inTrace = finished.filter((s) => s.spanContext().traceId === t).map((s) => s.name);
        return inTrace.includes('gs.raw.frames.v1 process') && finished.some((s) => s.spanContext().traceId === t && storing(s));
      });
      expect(chained).toBeDefined();
      const t = chained!.spanContext().traceId;
      const parse = finished.find((s) => s.spanContext().traceId === t && s.name === 'gs.raw.frames.v1 process')!;
      const store = finished.find((s) => s.spanContext().traceId === t && storing(s))!;
      expect(parse.parentSpanContext?.spanId).toBe(chained!.spanContext().spanId);
      expect(store.attributes['gs.readings']).toBeGreaterThan(0);
    } finally {
      await sim.close();
      await svc.shutdown('test');
    }
  });

  it('as a process: refuses invalid configuration with exit code 2 and names the variable', async () => {
    const p = runMain({ GS_HTTP_PORT: 'eighty', GS_BUS: 'carrier-pigeon' });
    const result = await p.exit;
    expect(result.code).toBe(2);
    expect(p.out.stderr).toContain('GS_HTTP_PORT');
    expect(p.out.stderr).toContain('GS_BUS');
  });
});
