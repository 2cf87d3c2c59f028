import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readingStoreContract } from '../test/reading-store-contract';
import { LevelWideColumnStore } from '@gridstation/hbase';
import { meterRowsContract } from '../test/meter-rows-contract';
import { DuckDbReadingStore } from './duckdb-store';

// The embedded engines run in-process, so their contract runs with the unit tests (on real files).
const dir = mkdtempSync(join(tmpdir(), 'gs-embedded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

readingStoreContract('DuckDB (file)', () => DuckDbReadingStore.open(join(dir, 'readings.duckdb')), () => `m${++n}`);

meterRowsContract('LevelDB (classic-level)', () => LevelWideColumnStore.openAt(join(dir, `level-${++n}`)), () => `t${++n}`);
