import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { infra, testEnvironment } from './environment';

// Integration tests run against the real services started by tools/infra/infra.sh. They never skip when
// a service is missing: they fail with the command that starts it.

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port, timeout: 1000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const hostPort = (url: string): [string, number] => {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  return [u.hostname, Number(u.port)];
};

/** Fails the calling suite with a clear message when a service is not reachable. */
export async function requireService(name: 'kafka' | 'clickhouse' | 'clickhouse-ha' | 'hbase' | 'redis' | 'kube'): Promise<void> {
  const where: Record<typeof name, [string, number]> = {
    kafka: hostPort(infra.kafkaBrokers[0]!),
    clickhouse: hostPort(infra.clickhouseUrl),
    'clickhouse-ha': hostPort(infra.clickhouseReplicaUrls[1]!),
    hbase: [infra.hbase.host, infra.hbase.port],
    redis: hostPort(infra.redisUrl),
    kube: hostPort(infra.kube.url),
  };
  const [host, port] = where[name];
  if (!(await portOpen(host, port))) {
    throw new Error(`${name} is not reachable on ${host}:${port}. Start it with: bash tools/infra/infra.sh up ${name}`);
  }
}

/** The path of a client tools/infra installed (e.g. grpcurl); fails with the command that installs it. */
export function clientBinary(name: 'grpcurl' | 'kcat' | 'python-grpc' | 'kubectl'): string {
  if (name === 'kcat') return 'kcat';
  if (name === 'kubectl') return infra.kube.kubectl;
  return join(testEnvironment().binDir, name);
}

/** Runs the HBase admin helper (split / move / regions) through the infra script. */
export function hbaseAdmin(...args: string[]): string {
  return execFileSync('bash', [testEnvironment().infraScript, 'hbase-admin', ...args], { encoding: 'utf8', timeout: 120_000 }).trim();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
