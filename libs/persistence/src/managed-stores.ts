import type { ClickHouseConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { ClickHouseReadingStore } from './clickhouse-store';
import { DuckDbReadingStore } from './duckdb-store';
import { ClickHouseHaPool } from './ha-pool';
import { LevelWideColumnStore } from './level-store';
import type { ReadingStore } from './ports';

/** ClickHouse behind the HA pool, as a managed resource: start = connect every replica + migrations. */
export function managedClickHouseStore(config: ClickHouseConfig, log: Logger): ReadingStore & { start(): Promise<void>; pool: ClickHouseHaPool } {
  const pool = new ClickHouseHaPool(config, log);
  const store = new ClickHouseReadingStore(pool);
  return Object.assign(store, {
    pool,
    start: async () => {
      await pool.start();
      await store.migrate();
    },
  });
}

/** DuckDB in one file (embedded mode), opened lazily on start. */
export function managedDuckDbStore(path: string): ReadingStore & { start(): Promise<void> } {
  let inner: DuckDbReadingStore | undefined;
  const need = () => {
    if (!inner) throw new Error('DuckDB store is not started');
    return inner;
  };
  return {
    kind: 'duckdb',
    start: async () => {
      inner = await DuckDbReadingStore.open(path);
      await inner.migrate();
    },
    migrate: () => need().migrate(),
    insertReadings: (r) => need().insertReadings(r),
    insertEvents: (r) => need().insertEvents(r),
    latest: (m, q) => need().latest(m, q),
    curve: (q) => need().curve(q),
    countReadings: (m) => need().countReadings(m),
    readingsOf: (m) => need().readingsOf(m),
    countEvents: () => need().countEvents(),
    healthCheck: () => need().healthCheck(),
    close: async () => inner?.close(),
  };
}

/** LevelDB wide-column store (embedded mode). */
export function managedLevelStore(location: string): LevelWideColumnStore & { start(): Promise<void> } {
  const store = new LevelWideColumnStore(location);
  return Object.assign(store, { start: () => store.open() });
}
