import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyError, DependencyUnavailableError } from '@gridstation/errors';
import { reading, readingStoreContract } from '../test/reading-store-contract';
import { LevelWideColumnStore } from '@gridstation/hbase';
import { meterRowsContract } from '../test/meter-rows-contract';
import { DEFAULT_DUCKDB_LIMITS, DuckDbReadingStore } from './duckdb-store';

// The embedded engines run in-process, so their contract runs with the unit tests (on real files).
const dir = mkdtempSync(join(tmpdir(), 'gs-embedded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

readingStoreContract('DuckDB (file, log layout)', () => DuckDbReadingStore.open(join(dir, 'readings.duckdb')), () => `m${++n}`);
readingStoreContract('DuckDB (file, merge layout)', () => DuckDbReadingStore.open(join(dir, 'readings-merge.duckdb'), { ...DEFAULT_DUCKDB_LIMITS, layout: 'merge' }), () => `m${++n}`);

meterRowsContract('LevelDB (classic-level)', () => LevelWideColumnStore.openAt(join(dir, `level-${++n}`)), () => `t${++n}`);

describe('DuckDB store after a fatal error', () => {
  it('reports the store unavailable (retried, not dead-lettered), reopens the database and keeps what was committed', async () => {
    const store = await DuckDbReadingStore.open(join(dir, 'fatal.duckdb'));
    try {
      await store.insertReadings([reading('mf1', 'ENERGY_IMPORT', 0, 1)]);
      // What DuckDB throws once it has invalidated its database (seen at ~33M staged rows on 1.5.6).
      const conn = (store as unknown as { connection: { run: (sql: string) => Promise<unknown>; createAppender: (t: string) => Promise<unknown> } }).connection;
      conn.run = () => Promise.reject(new Error('FATAL Error: Could not find node in column segment tree'));
      conn.createAppender = () => Promise.reject(new Error('FATAL Error: Could not find node in column segment tree'));
      const failed = store.insertReadings([reading('mf1', 'ENERGY_IMPORT', 1, 2)]);
      await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(classifyError(await failed.catch((e: unknown) => e))).toMatchObject({ retriable: true, code: 'DUCKDB_UNAVAILABLE' });
      expect(store.fatalErrors).toBe(1);
      // The retry goes to a reopened database.
      await store.insertReadings([reading('mf1', 'ENERGY_IMPORT', 1, 2)]);
      expect((await store.readingsOf(['mf1'])).map((r) => r.value).sort()).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('does not treat an ordinary statement error as fatal', async () => {
    const store = await DuckDbReadingStore.open(join(dir, 'plain.duckdb'));
    try {
      const conn = (store as unknown as { connection: { run: (sql: string) => Promise<unknown>; createAppender: (t: string) => Promise<unknown> } }).connection;
      conn.run = () => Promise.reject(new Error('Constraint Error: NOT NULL constraint failed'));
      conn.createAppender = () => Promise.reject(new Error('Constraint Error: NOT NULL constraint failed'));
      await expect(store.insertReadings([reading('mf2', 'ENERGY_IMPORT', 0, 1)])).rejects.toThrow('Constraint Error');
      expect(store.fatalErrors).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('keeps the layout a database file was created with', async () => {
    const path = join(dir, 'kept.duckdb');
    const merge = await DuckDbReadingStore.open(path, { ...DEFAULT_DUCKDB_LIMITS, layout: 'merge' });
    await merge.insertReadings([reading('mk1', 'ENERGY_IMPORT', 0, 1)]);
    await merge.close();
    const again = await DuckDbReadingStore.open(path, { ...DEFAULT_DUCKDB_LIMITS, layout: 'log' });
    try {
      expect(again.layout).toBe('merge');
      await again.insertReadings([reading('mk1', 'ENERGY_IMPORT', 0, 2)]);
      expect((await again.readingsOf(['mk1'])).map((r) => r.value)).toEqual([2]);
    } finally {
      await again.close();
    }
  });
});

describe('DuckDB store checkpoints', () => {
  it('checkpoints by itself after the configured rows, not inside a commit on the event loop', async () => {
    const path = join(dir, 'checkpoint.duckdb');
    const walBytes = () => (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);
    const store = await DuckDbReadingStore.open(path, { ...DEFAULT_DUCKDB_LIMITS, checkpointRows: 3000 });
    try {
      // DuckDB's own checkpoint (inside a commit, on the appender's synchronous call) is off.
      const conn = (store as unknown as { connection: { runAndReadAll: (sql: string) => Promise<{ getRows: () => unknown[][] }> } }).connection;
      const threshold = String((await conn.runAndReadAll(`SELECT current_setting('checkpoint_threshold')`)).getRows()[0]![0]);
      // Default 16.0 MiB; set to 1 TB, which DuckDB reports in GiB.
      expect(threshold).toMatch(/^\d+(\.\d+)? (GiB|TiB)$/);
      expect(Number.parseFloat(threshold)).toBeGreaterThan(threshold.endsWith('TiB') ? 0.5 : 500);
      const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => reading('mc1', 'ENERGY_IMPORT', from + i, from + i));
      // Below the threshold the rows stay in the WAL.
      await store.insertReadings(rows(0, 2000));
      expect(store.checkpoints).toBe(0);
      expect(walBytes()).toBeGreaterThan(0);
      await store.insertReadings(rows(2000, 1500));
      // The checkpoint is queued behind the insert that crossed the threshold; the next statement waits for it.
      expect(await store.countEvents()).toBe(0);
      expect(store.checkpoints).toBe(1);
      expect(store.checkpointFailures).toBe(0);
      expect(walBytes()).toBe(0);
      expect(await store.readingsOf(['mc1'])).toHaveLength(3500);
    } finally {
      await store.close();
    }
  });
});
