// The embedded readings store's write path, both layouts in one run (so the ratio is not skewed by the
// machine's load changing between runs): batches of the size the storage consumer writes at the demo
// load (100 terminals x 8 meters x 43 readings per round, in batches of about 4,300 rows), into a fresh
// DuckDB file per layout that already holds a few hundred thousand rows, as a running station's does.
// Run: npm run -s bench:duckdb [-- batches]   (default 300 batches per layout)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DUCKDB_LIMITS, DuckDbReadingStore, type StoredReading } from '@gridstation/persistence';

const batches = Number(process.argv[2] ?? '300');
const ROWS = 4300;
const dir = mkdtempSync(join(tmpdir(), 'gs-duckdb-bench-'));

function batch(k: number): StoredReading[] {
  const out: StoredReading[] = [];
  const t = 1_790_000_000_000 + Math.floor(k / 8) * 900_000;
  for (let i = 0; i < ROWS; i++) {
    const meter = (k % 8) * 100 + Math.floor(i / 43);
    out.push({
      meterId: `4101${String(meter).padStart(8, '0')}`,
      quantity: `q.${i % 43}`,
      tariff: 0,
      dataTimeMs: t,
      value: 100 + (i % 97) / 10,
      unit: 2,
      quality: 0,
      receivedAtMs: t + 1000,
      terminalAddress: `4101-${String(Math.floor(meter / 8)).padStart(5, '0')}`,
      measurementPoint: (meter % 8) + 1,
      frameId: `c.${k}.${i}`,
      sourceTopic: 'gs.raw.frames.v1',
      sourcePartition: k % 12,
      sourceOffset: k,
      storedAtMs: t + 2000,
    });
  }
  return out;
}

async function measure(layout: 'log' | 'merge'): Promise<{ layout: string; rowsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const store = await DuckDbReadingStore.open(join(dir, `${layout}.duckdb`), { ...DEFAULT_DUCKDB_LIMITS, layout });
  try {
    for (let k = 0; k < 60; k++) await store.insertReadings(batch(k)); // warm-up and a table that is not empty
    const times: number[] = [];
    const started = performance.now();
    for (let k = 60; k < 60 + batches; k++) {
      const rows = batch(k);
      const t0 = performance.now();
      await store.insertReadings(rows);
      times.push(performance.now() - t0);
    }
    const secs = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    return { layout, rowsPerSecond: (batches * ROWS) / secs, p50Ms: times[Math.floor(times.length / 2)]!, p99Ms: times[Math.floor(times.length * 0.99)]! };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const merge = await measure('merge');
  const log = await measure('log');
  console.log(`DuckDB readings store, ${batches} batches of ${ROWS} rows per layout`);
  console.log('| layout | rows/s | batch p50 | batch p99 |');
  console.log('|---|---:|---:|---:|');
  for (const r of [merge, log]) console.log(`| ${r.layout} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms |`);
  console.log(`ratio log / merge (same run): ${(log.rowsPerSecond / merge.rowsPerSecond).toFixed(2)}`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
