import { startTelemetry, type Telemetry } from '@gridstation/telemetry';
import { requireService } from './infra';
import { grpcHealthCheck, grpcReflectionServices, httpGet, localServiceEnv } from './service-probes';

export interface ProbeTarget {
  httpPort: number;
  grpcAddress: string;
  shutdown(reason: string): Promise<void>;
}

/**
 * What every Gridstation service must do once started, checked with real HTTP and gRPC clients:
 * liveness, readiness naming each dependency, Prometheus metrics, grpc.health.v1 for the server and for
 * the named service, server reflection, and a graceful shutdown that first turns readiness off.
 */
export async function expectServiceContract(svc: ProbeTarget, service: string, dependencies: string[]): Promise<void> {
  const live = await httpGet(svc.httpPort, '/healthz');
  expect(live).toEqual({ status: 200, body: '{"status":"ok"}' });

  const ready = await httpGet(svc.httpPort, '/readyz');
  const body = JSON.parse(ready.body) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
  expect({ status: ready.status, checks: Object.keys(body.checks).sort() }).toEqual({ status: 200, checks: [...dependencies].sort() });
  for (const name of dependencies) expect(body.checks[name]).toMatchObject({ ok: true });

  const metrics = await httpGet(svc.httpPort, '/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.body).toMatch(new RegExp(`gs_service_up\\{[^}]*service="${service}"`));
  expect(metrics.body).toContain('gs_process_resident_memory_bytes');

  await expect(grpcHealthCheck(svc.grpcAddress)).resolves.toBe('SERVING');
  await expect(grpcHealthCheck(svc.grpcAddress, `gridstation.${service}`)).resolves.toBe('SERVING');
  await expect(grpcHealthCheck(svc.grpcAddress, 'no.such.Service')).rejects.toMatchObject({ code: 5 });
  expect(await grpcReflectionServices(svc.grpcAddress)).toContain('grpc.health.v1.Health');

  await svc.shutdown('test');
  await expect(httpGet(svc.httpPort, '/healthz')).rejects.toThrow();
}

type ServiceName = 'kafka' | 'clickhouse' | 'hbase' | 'redis';

/**
 * The contract suite of one service against its real dependencies: `needs` must be reachable, the service
 * starts from `config(env)` with local ports, and its readiness names exactly `checks`.
 */
export function serviceContractSuite(
  service: string,
  o: { needs: readonly ServiceName[]; checks: readonly string[]; env?: Record<string, string> },
  config: (env: Record<string, string>) => unknown,
  bootstrap: (config: never, telemetry: Telemetry, handleSignals: boolean) => Promise<ProbeTarget>,
): void {
  describe(`${service} service`, () => {
    const telemetry = startTelemetry({ service, instanceId: 'it', tracesExporter: 'none' });
    afterAll(() => telemetry.shutdown());

    it('starts against its real dependencies, reports them over HTTP and gRPC, and shuts down cleanly', async () => {
      for (const s of o.needs) await requireService(s);
      const svc = await bootstrap(config({ ...(await localServiceEnv()), ...o.env }) as never, telemetry, false);
      await expectServiceContract(svc, service, [...o.checks]);
    });
  });
}
