import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisArchive } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { distributedServiceEnv, freePort, httpGet, infra, localServiceEnv, spawnMain, uniqueName, waitFor, type SpawnedMain } from '@gridstation/testing';
import { fuzzArchive, runFrontDoorFuzz, type FuzzOptions, type FuzzReport } from './front-door-fuzz';

// The fuzz run's two targets, each started here as the real processes: the embedded station, and comm,
// parser and storage of the distributed mode over real Kafka, ClickHouse, HBase and Redis.

const rssMb = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
};

async function ready(p: SpawnedMain, httpPort: number, what: string): Promise<void> {
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${what} exited: ${p.out.stderr.slice(-2000)}`);
      return (await httpGet(httpPort, '/readyz').catch(() => ({ status: 0 }))).status === 200;
    },
    `${what} ready`,
    120_000,
    200,
  );
}

async function stop(p: SpawnedMain): Promise<void> {
  if (p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exit;
}

export async function fuzzEmbedded(o: FuzzOptions): Promise<FuzzReport & { mode: 'embedded' }> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-fuzz-'));
  const archive = join(dir, 'archive.json');
  writeFileSync(archive, JSON.stringify(fuzzArchive(o)));
  const env: Record<string, string> = { ...(await localServiceEnv()), GS_DATA_DIR: join(dir, 'data'), GS_ARCHIVE_FILE: archive, GS_TERMINAL_PORT: String(await freePort()), GS_LOG_LEVEL: 'error' };
  const station = spawnMain('apps/station/src/main.ts', env);
  try {
    await ready(station, Number(env['GS_HTTP_PORT']), 'station');
    const report = await runFrontDoorFuzz({ terminalPort: Number(env['GS_TERMINAL_PORT']), httpPort: Number(env['GS_HTTP_PORT']), queryAddress: `127.0.0.1:${env['GS_GRPC_PORT']}`, rss: async () => rssMb(station.child.pid) }, o);
    return { ...report, mode: 'embedded' };
  } finally {
    await stop(station);
  }
}

export async function fuzzDistributed(o: FuzzOptions): Promise<FuzzReport & { mode: 'distributed' }> {
  const database = uniqueName('gs_fuzz');
  const redis = createRedis({ url: infra.redisUrl });
  await new RedisArchive(redis).put(fuzzArchive(o));
  await closeRedis(redis);
  const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`fuzz-${name}-${o.region}`, { database, extra: { GS_LOG_LEVEL: 'error', ...extra } });
  const commEnv = await env('comm', { GS_TERMINAL_PORT: String(await freePort()) });
  const storageEnv = await env('storage', { GS_BATCH_DELAY_MS: '50' });
  const procs = [spawnMain('apps/comm/src/main.ts', commEnv), spawnMain('apps/parser/src/main.ts', await env('parser')), spawnMain('apps/storage/src/main.ts', storageEnv)];
  try {
    await ready(procs[0]!, Number(commEnv['GS_HTTP_PORT']), 'comm');
    await ready(procs[2]!, Number(storageEnv['GS_HTTP_PORT']), 'storage');
    const report = await runFrontDoorFuzz({ terminalPort: Number(commEnv['GS_TERMINAL_PORT']), httpPort: Number(commEnv['GS_HTTP_PORT']), queryAddress: `127.0.0.1:${storageEnv['GS_GRPC_PORT']}`, rss: async () => rssMb(procs[0]!.child.pid) }, o);
    return { ...report, mode: 'distributed' };
  } finally {
    await Promise.all(procs.map(stop));
  }
}
