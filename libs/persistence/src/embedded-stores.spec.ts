import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readingStoreContract } from '../test/reading-store-contract';
import { wideColumnContract } from '../test/wide-column-contract';
import { DuckDbReadingStore } from './duckdb-store';
import { LevelWideColumnStore } from './level-store';

// The embedded engines run in-process, so their contract runs with the unit tests (on real files).
const dir = mkdtempSync(join(tmpdir(), 'gs-embedded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

readingStoreContract('DuckDB (file)', () => DuckDbReadingStore.open(join(dir, 'readings.duckdb')), () => `m${++n}`);

wideColumnContract(
  'LevelDB (classic-level)',
  async () => {
    const s = new LevelWideColumnStore(join(dir, `level-${++n}`));
    await s.open();
    return s;
  },
  () => `t${++n}`,
);
