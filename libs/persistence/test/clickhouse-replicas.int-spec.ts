import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { infra, requireService, testEnvironment, testLogger, uniqueName, waitFor } from '@gridstation/testing';
import { ClickHouseHaPool, ClickHouseReadingStore } from '../src';
import type { StoredReading } from '../src/model';

// The HA pool against two real ClickHouse replicas (ReplicatedMergeTree through ZooKeeper: tools/infra
// service clickhouse-ha). Tables are made on both; a write through the pool is on both; a retried
// batch that lands on the other replica is dropped by the replicas' block deduplication; the replica
// taking writes is killed and the pool moves on; when it comes back it catches up.

const database = uniqueName('gs_it_repl');
const config = (urls: string[]) => ({ urls, database, username: 'default', password: '', requestTimeoutMs: 10_000, asyncInsert: 'off' as const, replicated: true });
const rowsOf = (m: string, from: number, n: number): StoredReading[] =>
  Array.from({ length: n }, (_, k) => ({ meterId: m, quantity: 'voltage.a', tariff: 0, dataTimeMs: 1_700_000_000_000 + (from + k) * 900_000, value: 220 + k / 10, unit: 5, quality: 0, receivedAtMs: 1, terminalAddress: '', measurementPoint: 0, frameId: 'f', sourceTopic: '', sourcePartition: 0, sourceOffset: from + k, storedAtMs: 7 }));

async function query(url: string, sql: string): Promise<string> {
  const r = await fetch(url, { method: 'POST', body: sql });
  if (!r.ok) throw new Error(`${url}: ${await r.text()}`);
  return (await r.text()).trim();
}

describe('ClickHouse HA pool over two real replicas', () => {
  const [r1, r2] = infra.clickhouseReplicaUrls as [string, string];
  beforeAll(() => requireService('clickhouse-ha'));
  afterAll(async () => {
    for (const u of [r1, r2]) await query(u, `DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  });

  it('writes on both, drops a retried batch, fails over when the writing replica is killed, and the replica catches up', async () => {
    const pool = new ClickHouseHaPool(config([r1, r2]), testLogger(), 200);
    await pool.start();
    const store = new ClickHouseReadingStore(pool);
    await store.migrate();
    for (const u of [r1, r2]) expect(await query(u, `SELECT engine FROM system.tables WHERE database = '${database}' AND name = 'readings'`)).toBe('ReplicatedReplacingMergeTree');
    const m = uniqueName('m');
    const count = (u: string) => query(u, `SELECT count() FROM ${database}.readings WHERE meter_id = '${m}'`).then(Number);
    const batch = rowsOf(m, 0, 50);
    await store.insertReadings(batch);
    await waitFor(async () => (await count(r2)) === 50, 'the batch replicated to r2', 30_000, 200);
    // The same batch again, through a pool that writes to r2 first (a retry after a failover): the
    // replicas' insert deduplication drops the identical block, not a merge later.
    const other = new ClickHouseHaPool(config([r2, r1]), testLogger(), 200);
    await other.start();
    await new ClickHouseReadingStore(other).insertReadings(batch);
    await other.close();
    expect(await count(r2)).toBe(50);
    expect(await count(r1)).toBe(50);

    // kill -9 the replica taking writes; the next batch goes to r2.
    const pidFile = join(testEnvironment().infraDir, 'clickhouse-r1', 'clickhouse-r1.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    await store.insertReadings(rowsOf(m, 50, 30));
    expect(pool.status().map((s) => s.up)).toEqual([false, true]);
    expect(await count(r2)).toBe(80);
    expect(await store.countReadings([m])).toBe(80);
    // r1 comes back and catches up from the replication log.
    execFileSync('bash', [testEnvironment().infraScript, 'up', 'clickhouse-ha'], { stdio: 'ignore', timeout: 120_000 });
    await waitFor(async () => (await count(r1).catch(() => -1)) === 80, 'r1 caught up', 60_000, 250);
    await waitFor(() => pool.status()[0]!.up, 'the pool sees r1 up again', 10_000, 100);
    await pool.close();
  });
});
