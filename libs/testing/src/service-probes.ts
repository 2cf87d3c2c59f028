import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type GrpcObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './infra';

// Real clients for probing a running service from tests: plain HTTP and grpc-js, as kubelet or another
// grid system would call it.

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
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
  const c = client(address, join(REPO_ROOT, 'proto/grpc/health/v1/health.proto'), ['grpc', 'health', 'v1'], 'Health', [join(REPO_ROOT, 'proto')]);
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
  const dir = join(REPO_ROOT, 'node_modules/@grpc/reflection/build/proto');
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

/** GS_* variables for a service under test: loopback only, free ports, quiet logs. */
export async function localServiceEnv(): Promise<Record<string, string>> {
  return {
    GS_HTTP_HOST: '127.0.0.1',
    GS_GRPC_HOST: '127.0.0.1',
    GS_HTTP_PORT: String(await freePort()),
    GS_GRPC_PORT: String(await freePort()),
    GS_LOG_LEVEL: 'warn',
    // Services with a terminal port bind an ephemeral one; embedded stores go to a fresh directory.
    GS_TERMINAL_PORT: '0',
    GS_DATA_DIR: mkdtempSync(join(tmpdir(), 'gs-data-')),
  };
}
