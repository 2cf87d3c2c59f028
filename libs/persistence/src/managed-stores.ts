import type { ClickHouseConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { ClickHouseReadingStore } from './clickhouse-store';
import { DuckDbReadingStore, type DuckDbLimits } from './duckdb-store';
import { ClickHouseHaPool } from './ha-pool';
import type { ReadingStore } from './ports';

/** ClickHouse behind the HA pool, as a managed resource: start = connect every replica + migrations. */
export function managedClickHouseStore(config: ClickHouseConfig, log: Logger): ReadingStore & { start(): Promise<void>; pool: ClickHouseHaPool } {
  const pool = new ClickHouseHaPool(config, log);
  const store = new ClickHouseReadingStore(pool, config.insertFormat);
  return Object.assign(store, {
    pool,
    start: async () => {
      await pool.start();
      await store.migrate();
    },
  });
}

/** DuckDB in one file (embedded mode), opened on start, within its memory and thread limits. */
export function managedDuckDbStore(path: string, limits?: DuckDbLimits): DuckDbReadingStore {
  return new DuckDbReadingStore(path, limits);
}
