import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyMigrations, inList, loadMigrations, sql, SqlFragment } from '@gridstation/clickhouse';
import type { ClickHouseHaPool } from './ha-pool';
import type { CurveQuery, StoredEvent, StoredReading } from './model';
import type { ReadingStore } from './ports';

export const MIGRATIONS_DIR = join(__dirname, 'migrations');

const COLUMNS =
  'meter_id, quantity, tariff, data_time_ms, value, unit, quality, received_at_ms, terminal_address, measurement_point, frame_id, source_topic, source_partition, source_offset, stored_at_ms';

interface Row {
  meter_id: string;
  quantity: string;
  tariff: number;
  data_time_ms: string | number;
  value: number | null;
  unit: number;
  quality: number;
  received_at_ms: string | number;
  terminal_address: string;
  measurement_point: number;
  frame_id: string;
  source_topic: string;
  source_partition: number;
  source_offset: string | number;
  stored_at_ms: string | number;
}

const fromRow = (r: Row): StoredReading => ({
  meterId: r.meter_id,
  quantity: r.quantity,
  tariff: Number(r.tariff),
  dataTimeMs: Number(r.data_time_ms),
  value: r.value === null ? Number.NaN : Number(r.value),
  unit: Number(r.unit),
  quality: Number(r.quality),
  receivedAtMs: Number(r.received_at_ms),
  terminalAddress: r.terminal_address,
  measurementPoint: Number(r.measurement_point),
  frameId: r.frame_id,
  sourceTopic: r.source_topic,
  sourcePartition: Number(r.source_partition),
  sourceOffset: Number(r.source_offset),
  storedAtMs: Number(r.stored_at_ms),
});

const toRow = (s: StoredReading): Row => ({
  meter_id: s.meterId,
  quantity: s.quantity,
  tariff: s.tariff,
  data_time_ms: s.dataTimeMs,
  value: Number.isFinite(s.value) ? s.value : null,
  unit: s.unit,
  quality: s.quality,
  received_at_ms: s.receivedAtMs,
  terminal_address: s.terminalAddress,
  measurement_point: s.measurementPoint,
  frame_id: s.frameId,
  source_topic: s.sourceTopic,
  source_partition: s.sourcePartition,
  source_offset: s.sourceOffset,
  stored_at_ms: s.storedAtMs,
});

/** The columns a reading insert supplies, in the order readingsTsv writes them. */
export const READING_INSERT_COLUMNS = COLUMNS.split(', ');

/** TabSeparated text escaping: backslash, tab, newline (and CR, kept literal by some readers). */
const tsv = (s: string): string => (/[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s);

/** Readings as TabSeparated lines in READING_INSERT_COLUMNS order (\N for a missing value). */
export function readingsTsv(rows: readonly StoredReading[]): string {
  let out = '';
  for (const s of rows) {
    const value = Number.isFinite(s.value) ? String(s.value) : '\\N';
    out += `${tsv(s.meterId)}\t${tsv(s.quantity)}\t${s.tariff}\t${s.dataTimeMs}\t${value}\t${s.unit}\t${s.quality}\t${s.receivedAtMs}\t${tsv(s.terminalAddress)}\t${s.measurementPoint}\t${tsv(s.frameId)}\t${tsv(s.sourceTopic)}\t${s.sourcePartition}\t${s.sourceOffset}\t${s.storedAtMs}\n`;
  }
  return out;
}

const quantityFilter = (quantities: readonly string[]) =>
  new SqlFragment(quantities.length === 0 ? '' : `AND quantity IN ${inList(quantities).text}`);

/** ReadingStore on ClickHouse through the HA pool (schema: src/migrations). */
export class ClickHouseReadingStore implements ReadingStore {
  readonly kind = 'clickhouse';

  constructor(
    private readonly pool: ClickHouseHaPool,
    private readonly insertFormat: 'TabSeparated' | 'JSONEachRow' = 'TabSeparated',
  ) {}

  async migrate(): Promise<void> {
    if (this.pool.replicated) await this.pool.prepareEach((h) => applyMigrations(h.client, loadMigrations(MIGRATIONS_DIR), h.caps, undefined, { replicatedDatabase: h.database }));
    else await this.pool.run((h) => applyMigrations(h.client, loadMigrations(MIGRATIONS_DIR), h.caps));
  }

  async insertReadings(rows: readonly StoredReading[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.insertFormat === 'JSONEachRow') {
      const values = rows.map(toRow);
      await this.pool.run((h) => h.client.insert({ table: 'readings', values, format: 'JSONEachRow' }).then(() => undefined));
      return;
    }
    // One string per batch, no row objects: a retry (another replica) builds a fresh stream from it.
    const text = readingsTsv(rows);
    await this.pool.run((h) => h.client.insert({ table: 'readings', values: Readable.from([text], { objectMode: false }), format: 'TabSeparated', columns: READING_INSERT_COLUMNS as [string, ...string[]] }).then(() => undefined));
  }

  async insertEvents(rows: readonly StoredEvent[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((e) => ({
      device_id: e.deviceId,
      occurred_at_ms: e.occurredAtMs,
      event_id: e.eventId,
      device_kind: e.deviceKind,
      type: e.type,
      code: e.code,
      ended_at_ms: e.endedAtMs,
      received_at_ms: e.receivedAtMs,
      terminal_address: e.terminalAddress,
      measurement_point: e.measurementPoint,
      attributes_json: JSON.stringify(e.attributes),
      frame_id: e.frameId,
      stored_at_ms: e.storedAtMs,
    }));
    await this.pool.run((h) => h.client.insert({ table: 'device_events', values, format: 'JSONEachRow' }).then(() => undefined));
  }

  async latest(meterId: string, quantities: readonly string[]): Promise<StoredReading[]> {
    return this.select(sql`
      SELECT ${new SqlFragment(COLUMNS)} FROM readings FINAL
      WHERE meter_id = ${meterId} ${quantityFilter(quantities)}
      ORDER BY quantity, tariff, data_time_ms DESC
      LIMIT 1 BY quantity, tariff`);
  }

  async curve(q: CurveQuery): Promise<StoredReading[]> {
    const a = q.after;
    const after = a
      ? new SqlFragment(
          sql`AND (data_time_ms > ${a.dataTimeMs} OR (data_time_ms = ${a.dataTimeMs} AND (quantity > ${a.quantity} OR (quantity = ${a.quantity} AND tariff > ${a.tariff}))))`,
        )
      : new SqlFragment('');
    return this.select(sql`
      SELECT ${new SqlFragment(COLUMNS)} FROM readings FINAL
      WHERE meter_id = ${q.meterId} AND data_time_ms >= ${q.fromMs} AND data_time_ms < ${q.toMs} ${quantityFilter(q.quantities)} ${after}
      ORDER BY data_time_ms, quantity, tariff
      LIMIT ${q.limit}`);
  }

  async countReadings(meterIds?: readonly string[]): Promise<number> {
    const where = meterIds ? (meterIds.length === 0 ? new SqlFragment('WHERE 0') : new SqlFragment(`WHERE meter_id IN ${inList(meterIds).text}`)) : new SqlFragment('');
    const rows = await this.query<{ n: string }>(sql`SELECT count() AS n FROM readings FINAL ${where}`);
    return Number(rows[0]?.n ?? 0);
  }

  async readingsOf(meterIds: readonly string[]): Promise<StoredReading[]> {
    if (meterIds.length === 0) return [];
    return this.select(sql`SELECT ${new SqlFragment(COLUMNS)} FROM readings FINAL WHERE meter_id IN ${inList(meterIds)} ORDER BY meter_id, quantity, tariff, data_time_ms`);
  }

  async dataTimes(meterIds: readonly string[], quantity: string, fromMs: number, toMs: number): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (meterIds.length === 0) return out;
    const rows = await this.query<{ meter_id: string; times: Array<string | number> }>(
      sql`SELECT meter_id, groupArray(data_time_ms) AS times FROM (SELECT meter_id, data_time_ms FROM readings FINAL WHERE meter_id IN ${inList(meterIds)} AND quantity = ${quantity} AND tariff = 0 AND data_time_ms >= ${fromMs} AND data_time_ms < ${toMs} AND value IS NOT NULL AND isNaN(assumeNotNull(value)) = 0) GROUP BY meter_id`,
    );
    for (const r of rows) out.set(r.meter_id, r.times.map(Number).sort((a, b) => a - b));
    return out;
  }

  async countEvents(): Promise<number> {
    const rows = await this.query<{ n: string }>('SELECT count() AS n FROM device_events FINAL');
    return Number(rows[0]?.n ?? 0);
  }

  healthCheck(): Promise<void> {
    return this.pool.healthCheck();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async select(query: string): Promise<StoredReading[]> {
    return (await this.query<Row>(query)).map(fromRow);
  }

  private query<T>(query: string): Promise<T[]> {
    return this.pool.run(async (h) => {
      const rs = await h.client.query({ query, format: 'JSONEachRow' });
      return rs.json<T>();
    });
  }
}
