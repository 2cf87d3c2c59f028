import { mkdtempSync, rmSync } from 'node:fs';
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
