import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type GrpcObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { PROTO_ROOT } from '@gridstation/contracts';
import { infra } from './environment';

// Real clients for probing a running service from tests: plain HTTP and grpc-js, as kubelet or another
// grid system would call it.

/**
 * A port free now, for a service under test to listen on. Taken below the kernel's ephemeral range
 * (32768 and up on Linux): a port from that range can be handed to some process's outgoing connection
 * (a Kafka or ClickHouse client started meanwhile) before the service binds it.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 20000-31999 after 50 tries');
}

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function client(address: string, file: string, pkgPath: string[], service: string, includeDirs: string[]) {
  const def = loadSync(file, { includeDirs, keepCase: true, longs: String, enums: String, defaults: true });
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(def);
  for (const p of [...pkgPath, service]) node = (node as GrpcObject)[p] as GrpcObject;
  const Ctor = node as unknown as ServiceClientConstructor;
  return new Ctor(address, credentials.createInsecure());
}

/** grpc.health.v1.Health/Check; resolves with the status name or rejects with the gRPC error. */
export function grpcHealthCheck(address: string, service = '', headers: Record<string, string> = {}): Promise<string> {
  const c = client(address, join(PROTO_ROOT, 'grpc/health/v1/health.proto'), ['grpc', 'health', 'v1'], 'Health', [PROTO_ROOT]);
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return new Promise((resolve, reject) => {
    c['Check']!({ service }, md, { deadline: Date.now() + 10_000 }, (err: Error | null, res: { status: string }) => {
      c.close();
      if (err) reject(err);
      else resolve(res.status);
    });
  });
}

/** Lists the services a server announces through gRPC server reflection (v1alpha, as grpcurl uses). */
export function grpcReflectionServices(address: string): Promise<string[]> {
  const dir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
  const c = client(address, join(dir, 'grpc/reflection/v1alpha/reflection.proto'), ['grpc', 'reflection', 'v1alpha'], 'ServerReflection', [dir]);
  return new Promise((resolve, reject) => {
    const call = c['ServerReflectionInfo']!({ deadline: Date.now() + 10_000 });
    call.on('data', (res: { list_services_response?: { service: Array<{ name: string }> } }) => {
      resolve(res.list_services_response?.service.map((s) => s.name) ?? []);
      call.end();
      c.close();
    });
    call.on('error', reject);
    call.write({ list_services: '' });
  });
}

/** Loopback only, free ports, quiet logs: what every service under test gets. */
async function loopbackEnv(): Promise<Record<string, string>> {
  return { GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_HTTP_PORT: String(await freePort()), GS_GRPC_PORT: String(await freePort()), GS_LOG_LEVEL: 'warn' };
}

/** GS_* variables for a service under test: loopback only, free ports, quiet logs. */
export async function localServiceEnv(): Promise<Record<string, string>> {
  return {
    ...(await loopbackEnv()),
    // Services with a terminal port bind an ephemeral one; embedded stores go to a fresh directory.
    GS_TERMINAL_PORT: '0',
    GS_DATA_DIR: mkdtempSync(join(tmpdir(), 'gs-data-')),
  };
}

/** GS_* variables for a distributed-mode service under test: the real servers of tools/infra, free ports, quiet logs. */
export async function distributedServiceEnv(instanceId: string, o: { database: string; clickhouseUrls?: string[]; extra?: Record<string, string> }): Promise<Record<string, string>> {
  return {
    ...(await loopbackEnv()),
    GS_INSTANCE_ID: instanceId,
    GS_BUS: 'kafka',
    GS_KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    GS_REDIS_URL: infra.redisUrl,
    GS_CLICKHOUSE_URLS: (o.clickhouseUrls ?? [infra.clickhouseUrl]).join(','),
    GS_CLICKHOUSE_DATABASE: o.database,
    GS_HBASE_THRIFT: `${infra.hbase.host}:${infra.hbase.port}`,
    ...o.extra,
  };
}
