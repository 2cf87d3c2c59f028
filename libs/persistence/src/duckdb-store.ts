import { DependencyUnavailableError, errorMessage, storeOpenError } from '@gridstation/errors';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { CurveQuery, StoredEvent, StoredReading } from './model';
import type { ReadingStore } from './ports';
import { Serial } from './serial';

// The analytical store of the embedded mode: DuckDB in one file on local disk. Same identity as the
// ClickHouse schema (newest write wins), so it passes the same contract suite. Two layouts:
// - 'log' (the default): rows are appended with DuckDB's appender straight into `readings_log`, which
//   has no key; the identity is applied when reading, by the view `readings` (the newest row of each
//   identity, as ClickHouse's ReplacingMergeTree does). A rewrite after a redelivery adds a row that
//   the view hides. Measured 3x the rows/s of 'merge' (tools/bench duckdb.bench.ts).
// - 'merge': `readings` has a primary key; rows go to a staging table with the appender and are merged
//   with INSERT OR REPLACE per batch. The staging table is created anew for every batch: emptied with
//   DELETE and appended to forever, its row numbers only grew, and after about 33 million rows DuckDB
//   (1.5.6) failed with "Could not find node in column segment tree" and invalidated the database.
// A database file keeps the layout it was created with. An invalidated database (any FATAL error) is
// reopened, and the failure is reported as the store being unavailable, so the batch is retried
// instead of its records being dead-lettered.

const READING_COLUMNS_DDL = `meter_id VARCHAR, quantity VARCHAR, tariff UTINYINT, data_time_ms BIGINT, value DOUBLE, unit UTINYINT,
    quality UINTEGER, received_at_ms BIGINT, terminal_address VARCHAR, measurement_point USMALLINT,
    frame_id VARCHAR, source_topic VARCHAR, source_partition INTEGER, source_offset BIGINT, stored_at_ms BIGINT`;

const LOG_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS readings_log (${READING_COLUMNS_DDL})`,
  // The newest row of each identity; rowid orders the rows of one batch (appended in order).
  `CREATE OR REPLACE VIEW readings AS SELECT * EXCLUDE (rn) FROM (
     SELECT *, row_number() OVER (PARTITION BY meter_id, quantity, tariff, data_time_ms ORDER BY stored_at_ms DESC, rowid DESC) AS rn FROM readings_log
   ) WHERE rn = 1`,
];

const EVENT_COLUMNS_DDL = `event_id VARCHAR, device_id VARCHAR, occurred_at_ms BIGINT, device_kind UTINYINT, type UTINYINT, code VARCHAR,
    ended_at_ms BIGINT, received_at_ms BIGINT, terminal_address VARCHAR, measurement_point USMALLINT,
    attributes_json VARCHAR, frame_id VARCHAR, stored_at_ms BIGINT`;
LOG_SCHEMA.push(
  `CREATE TABLE IF NOT EXISTS device_events_log (${EVENT_COLUMNS_DDL})`,
  `CREATE OR REPLACE VIEW device_events AS SELECT * EXCLUDE (rn) FROM (
     SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY stored_at_ms DESC, rowid DESC) AS rn FROM device_events_log
   ) WHERE rn = 1`,
);

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS readings (
    meter_id VARCHAR, quantity VARCHAR, tariff UTINYINT, data_time_ms BIGINT, value DOUBLE, unit UTINYINT,
    quality UINTEGER, received_at_ms BIGINT, terminal_address VARCHAR, measurement_point USMALLINT,
    frame_id VARCHAR, source_topic VARCHAR, source_partition INTEGER, source_offset BIGINT, stored_at_ms BIGINT,
    PRIMARY KEY (meter_id, quantity, tariff, data_time_ms))`,
  `CREATE TABLE IF NOT EXISTS device_events (
    event_id VARCHAR PRIMARY KEY, device_id VARCHAR, occurred_at_ms BIGINT, device_kind UTINYINT, type UTINYINT, code VARCHAR,
    ended_at_ms BIGINT, received_at_ms BIGINT, terminal_address VARCHAR, measurement_point USMALLINT,
    attributes_json VARCHAR, frame_id VARCHAR, stored_at_ms BIGINT)`,
];

const STAGE = 'CREATE OR REPLACE TEMP TABLE readings_stage AS SELECT * FROM readings WHERE false';

const COLUMNS =
  'meter_id, quantity, tariff, data_time_ms, value, unit, quality, received_at_ms, terminal_address, measurement_point, frame_id, source_topic, source_partition, source_offset, stored_at_ms';

const fromRow = (r: Record<string, DuckDBValue>): StoredReading => ({
  meterId: String(r['meter_id']),
  quantity: String(r['quantity']),
  tariff: Number(r['tariff']),
  dataTimeMs: Number(r['data_time_ms']),
  value: r['value'] === null ? Number.NaN : Number(r['value']),
  unit: Number(r['unit']),
  quality: Number(r['quality']),
  receivedAtMs: Number(r['received_at_ms']),
  terminalAddress: String(r['terminal_address']),
  measurementPoint: Number(r['measurement_point']),
  frameId: String(r['frame_id']),
  sourceTopic: String(r['source_topic']),
  sourcePartition: Number(r['source_partition']),
  sourceOffset: Number(r['source_offset']),
  storedAtMs: Number(r['stored_at_ms']),
});

const FATAL = /FATAL Error|INTERNAL Error|database has been invalidated/;

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

export interface DuckDbLimits {
  /** DuckDB syntax: '256MB', '1GB'. */
  memoryLimit: string;
  threads: number;
  /** How readings are written (see above); default 'log'. */
  layout?: 'log' | 'merge';
  /**
   * Rows appended between two checkpoints. DuckDB's own automatic checkpoint runs inside the commit
   * that crosses its WAL threshold, and an appender commits synchronously on the event loop: at
   * ~35k readings/s that stopped the whole embedded station for 70-130 ms every ~5 s. The automatic
   * checkpoint is switched off and this store checkpoints with an asynchronous statement (on DuckDB's
   * threads) after this many rows; appends queue behind it meanwhile. Default 200,000 (about the
   * 16 MB WAL DuckDB would have checkpointed at).
   */
  checkpointRows?: number;
}

export const DEFAULT_DUCKDB_LIMITS: DuckDbLimits = { memoryLimit: '256MB', threads: 2, layout: 'log', checkpointRows: 200_000 };

/** No WAL size reaches it: the store checkpoints by itself (see DuckDbLimits.checkpointRows). */
const NO_AUTOMATIC_CHECKPOINT = '1TB';

export class DuckDbReadingStore implements ReadingStore {
  readonly kind = 'duckdb';
  private readonly serial = new Serial();

  private instance?: DuckDBInstance;
  private connection?: DuckDBConnection;
  /** Why the database must be reopened before the next statement (a FATAL error invalidated it). */
  private invalidated: string | undefined;
  /** FATAL errors seen (each followed by a reopen). */
  fatalErrors = 0;
  /** Checkpoints run, and those that failed (the WAL keeps their rows; the next one retries). */
  checkpoints = 0;
  checkpointFailures = 0;
  private rowsSinceCheckpoint = 0;
  private checkpointQueued = false;

  /**
   * `path` is a database file (created on start if missing) or ':memory:'. `limits`: DuckDB's own
   * memory_limit (its default is 80% of the machine's RAM, which an embedded station must not take) and
   * threads.
   */
  constructor(
    private readonly path: string,
    private readonly limits: DuckDbLimits = DEFAULT_DUCKDB_LIMITS,
  ) {}

  static async open(path: string, limits?: DuckDbLimits): Promise<DuckDbReadingStore> {
    const store = new DuckDbReadingStore(path, limits);
    await store.start();
    return store;
  }

  /** Opens the database and creates the schema (a managed resource's start). */
  async start(): Promise<void> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    try {
      this.instance = await DuckDBInstance.create(this.path, this.options());
    } catch (e) {
      throw storeOpenError('the DuckDB readings store', this.path, e);
    }
    this.connection = await this.instance.connect();
    await this.migrate();
  }

  private options(): Record<string, string> {
    return { memory_limit: this.limits.memoryLimit, threads: String(this.limits.threads), checkpoint_threshold: NO_AUTOMATIC_CHECKPOINT };
  }

  /** Counts appended rows and queues an asynchronous checkpoint once enough have been appended. */
  private appended(rows: number): void {
    this.rowsSinceCheckpoint += rows;
    if (this.checkpointQueued || this.rowsSinceCheckpoint < (this.limits.checkpointRows ?? DEFAULT_DUCKDB_LIMITS.checkpointRows!)) return;
    this.checkpointQueued = true;
    this.run(async () => {
      this.checkpointQueued = false;
      this.rowsSinceCheckpoint = 0;
      await this.conn.run('CHECKPOINT');
      this.checkpoints++;
    }).catch(() => {
      this.checkpointFailures++;
    });
  }

  private get conn(): DuckDBConnection {
    if (!this.connection) throw new Error('DuckDB store is not started');
    return this.connection;
  }

  /** The layout in use: the file's own when it exists (a table `readings` is the merge layout), else the configured one. */
  layout: 'log' | 'merge' = 'log';

  migrate(): Promise<void> {
    return this.serial.run(async () => {
      await this.createSchema(this.conn);
    });
  }

  private async createSchema(conn: DuckDBConnection): Promise<void> {
    const tables = (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name IN ('readings', 'readings_log') AND table_type = 'BASE TABLE'`)).getRowObjects().map((r) => String(r['table_name']));
    this.layout = tables.includes('readings_log') ? 'log' : tables.includes('readings') ? 'merge' : (this.limits.layout ?? 'log');
    const schema = this.layout === 'log' ? LOG_SCHEMA : SCHEMA;
    for (const s of schema) await conn.run(s);
  }

  insertReadings(rows: readonly StoredReading[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.run(async () => {
      const merge = this.layout === 'merge';
      if (merge) await this.conn.run(STAGE);
      const a = await this.conn.createAppender(merge ? 'readings_stage' : 'readings_log');
      try {
        for (const r of rows) {
          a.appendVarchar(r.meterId);
          a.appendVarchar(r.quantity);
          a.appendUTinyInt(r.tariff);
          a.appendBigInt(BigInt(r.dataTimeMs));
          if (Number.isFinite(r.value)) a.appendDouble(r.value);
          else a.appendNull();
          a.appendUTinyInt(r.unit);
          a.appendUInteger(r.quality);
          a.appendBigInt(BigInt(r.receivedAtMs));
          a.appendVarchar(r.terminalAddress);
          a.appendUSmallInt(r.measurementPoint);
          a.appendVarchar(r.frameId);
          a.appendVarchar(r.sourceTopic);
          a.appendInteger(r.sourcePartition);
          a.appendBigInt(BigInt(r.sourceOffset));
          a.appendBigInt(BigInt(r.storedAtMs));
          a.endRow();
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
      this.appended(rows.length);
      if (!merge) return;
      try {
        // A batch may repeat an identity (the newest write wins, as in ClickHouse).
        await this.conn.run(
          `INSERT OR REPLACE INTO readings SELECT ${COLUMNS} FROM readings_stage
           QUALIFY row_number() OVER (PARTITION BY meter_id, quantity, tariff, data_time_ms ORDER BY stored_at_ms DESC) = 1`,
        );
      } finally {
        await this.conn.run('DROP TABLE IF EXISTS readings_stage');
      }
    });
  }

  insertEvents(rows: readonly StoredEvent[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    if (this.layout === 'log') return this.appendEvents(rows);
    return this.run(async () => {
      const unique = new Map(rows.map((e) => [e.eventId, e]));
      for (const e of unique.values()) {
        await this.conn.run(`INSERT OR REPLACE INTO device_events VALUES (${placeholders(13)})`, [
          e.eventId,
          e.deviceId,
          BigInt(e.occurredAtMs),
          e.deviceKind,
          e.type,
          e.code,
          BigInt(e.endedAtMs),
          BigInt(e.receivedAtMs),
          e.terminalAddress,
          e.measurementPoint,
          JSON.stringify(e.attributes),
          e.frameId,
          BigInt(e.storedAtMs),
        ]);
      }
    });
  }

  /** Log layout: the events appended in one go (the view keeps the newest row per event id). */
  private appendEvents(rows: readonly StoredEvent[]): Promise<void> {
    return this.run(async () => {
      const a = await this.conn.createAppender('device_events_log');
      try {
        for (const e of rows) {
          a.appendVarchar(e.eventId);
          a.appendVarchar(e.deviceId);
          a.appendBigInt(BigInt(e.occurredAtMs));
          a.appendUTinyInt(e.deviceKind);
          a.appendUTinyInt(e.type);
          a.appendVarchar(e.code);
          a.appendBigInt(BigInt(e.endedAtMs));
          a.appendBigInt(BigInt(e.receivedAtMs));
          a.appendVarchar(e.terminalAddress);
          a.appendUSmallInt(e.measurementPoint);
          a.appendVarchar(JSON.stringify(e.attributes));
          a.appendVarchar(e.frameId);
          a.appendBigInt(BigInt(e.storedAtMs));
          a.endRow();
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
      this.appended(rows.length);
    });
  }

  latest(meterId: string, quantities: readonly string[]): Promise<StoredReading[]> {
    const q = quantities.length > 0 ? `AND quantity IN (${placeholders(quantities.length, 2)})` : '';
    return this.select(
      `SELECT ${COLUMNS} FROM readings WHERE meter_id = $1 ${q}
       QUALIFY row_number() OVER (PARTITION BY quantity, tariff ORDER BY data_time_ms DESC) = 1
       ORDER BY quantity, tariff`,
      [meterId, ...quantities],
    );
  }

  curve(c: CurveQuery): Promise<StoredReading[]> {
    const params: DuckDBValue[] = [c.meterId, BigInt(c.fromMs), BigInt(c.toMs)];
    let where = 'meter_id = $1 AND data_time_ms >= $2 AND data_time_ms < $3';
    if (c.quantities.length > 0) {
      where += ` AND quantity IN (${placeholders(c.quantities.length, params.length + 1)})`;
      params.push(...c.quantities);
    }
    if (c.after) {
      const n = params.length;
      where += ` AND (data_time_ms, quantity, tariff) > ($${n + 1}, $${n + 2}, $${n + 3})`;
      params.push(BigInt(c.after.dataTimeMs), c.after.quantity, c.after.tariff);
    }
    params.push(c.limit);
    return this.select(`SELECT ${COLUMNS} FROM readings WHERE ${where} ORDER BY data_time_ms, quantity, tariff LIMIT $${params.length}`, params);
  }

  async countReadings(meterIds?: readonly string[]): Promise<number> {
    if (meterIds && meterIds.length === 0) return 0;
    const rows = await this.rows(
      meterIds ? `SELECT count(*) AS n FROM readings WHERE meter_id IN (${placeholders(meterIds.length)})` : 'SELECT count(*) AS n FROM readings',
      meterIds ? [...meterIds] : [],
    );
    return Number(rows[0]?.['n'] ?? 0);
  }

  async dataTimes(meterIds: readonly string[], quantity: string, fromMs: number, toMs: number): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (meterIds.length === 0) return out;
    const rows = await this.rows(
      `SELECT meter_id, data_time_ms FROM readings WHERE meter_id IN (${placeholders(meterIds.length)}) AND quantity = ? AND tariff = 0 AND data_time_ms >= ? AND data_time_ms < ? AND value IS NOT NULL AND NOT isnan(value) ORDER BY meter_id, data_time_ms`,
      [...meterIds, quantity, fromMs, toMs],
    );
    for (const r of rows) {
      const id = String(r['meter_id']);
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push(Number(r['data_time_ms']));
    }
    return out;
  }

  readingsOf(meterIds: readonly string[]): Promise<StoredReading[]> {
    if (meterIds.length === 0) return Promise.resolve([]);
    return this.select(`SELECT ${COLUMNS} FROM readings WHERE meter_id IN (${placeholders(meterIds.length)}) ORDER BY meter_id, quantity, tariff, data_time_ms`, [
      ...meterIds,
    ]);
  }

  async countEvents(): Promise<number> {
    const rows = await this.rows('SELECT count(*) AS n FROM device_events', []);
    return Number(rows[0]?.['n'] ?? 0);
  }

  async healthCheck(): Promise<void> {
    await this.rows('SELECT 1 AS ok', []);
  }

  close(): Promise<void> {
    return this.serial.run(async () => {
      this.connection?.closeSync();
      this.instance?.closeSync();
      this.connection = undefined;
    });
  }

  private async select(sqlText: string, params: DuckDBValue[]): Promise<StoredReading[]> {
    return (await this.rows(sqlText, params)).map(fromRow);
  }

  private rows(sqlText: string, params: DuckDBValue[]): Promise<Array<Record<string, DuckDBValue>>> {
    return this.run(async () => (await this.conn.runAndReadAll(sqlText, params)).getRowObjects());
  }

  /** One statement group at a time; a fatal error reopens the database and surfaces as unavailable. */
  private run<T>(task: () => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      if (this.invalidated) await this.reopen();
      try {
        return await task();
      } catch (e) {
        if (!FATAL.test(errorMessage(e))) throw e;
        this.invalidated = errorMessage(e);
        this.fatalErrors++;
        throw new DependencyUnavailableError('duckdb', `the DuckDB database ${this.path} failed and is being reopened: ${errorMessage(e).split('\n')[0]}`, { cause: e });
      }
    });
  }

  private async reopen(): Promise<void> {
    try {
      this.connection?.closeSync();
      this.instance?.closeSync();
    } catch {
      /* an invalidated instance may refuse to close cleanly; it is replaced either way */
    }
    this.connection = undefined;
    this.instance = await DuckDBInstance.create(this.path, this.options());
    this.connection = await this.instance.connect();
    await this.createSchema(this.connection);
    this.invalidated = undefined;
  }
}
