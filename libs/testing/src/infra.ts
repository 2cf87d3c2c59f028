import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';

// Where integration tests find the real services started by tools/infra/infra.sh. Tests never skip when
// a service is missing: they fail with the command that starts it.

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const INFRA_SCRIPT = join(REPO_ROOT, 'tools', 'infra', 'infra.sh');

export const infra = {
  kafkaBrokers: ['127.0.0.1:9092'],
  clickhouseUrl: 'http://127.0.0.1:8123',
  hbase: { host: '127.0.0.1', port: 9090 },
  redisUrl: 'redis://127.0.0.1:6379',
};

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

/** Fails the calling suite with a clear message when a service is not reachable. */
export async function requireService(name: 'kafka' | 'clickhouse' | 'hbase' | 'redis'): Promise<void> {
  const where = {
    kafka: ['127.0.0.1', 9092],
    clickhouse: ['127.0.0.1', 8123],
    hbase: ['127.0.0.1', 9090],
    redis: ['127.0.0.1', 6379],
  } as const;
  const [host, port] = where[name];
  if (!(await portOpen(host, port))) {
    throw new Error(`${name} is not reachable on ${host}:${port}. Start it with: bash tools/infra/infra.sh up ${name}`);
  }
}

/** Runs the HBase admin helper (split / move / regions) through the infra script. */
export function hbaseAdmin(...args: string[]): string {
  return execFileSync('bash', [INFRA_SCRIPT, 'hbase-admin', ...args], { encoding: 'utf8', timeout: 120_000 }).trim();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
