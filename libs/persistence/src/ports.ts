import type { CurveQuery, StoredEvent, StoredReading } from './model';

/**
 * The analytical store (ClickHouse in the distributed mode, DuckDB embedded). Writes are idempotent on
 * the reading identity (meter, quantity, tariff, data time): a batch written twice, or half-written and
 * retried, reads back exactly once. Queries return each identity once, the newest write winning.
 */
export interface ReadingStore {
  readonly kind: string;
  migrate(): Promise<void>;
  insertReadings(rows: readonly StoredReading[]): Promise<void>;
  insertEvents(rows: readonly StoredEvent[]): Promise<void>;
  /** Newest data time per quantity and tariff of one meter. */
  latest(meterId: string, quantities: readonly string[]): Promise<StoredReading[]>;
  /** Ordered by data time, quantity, tariff; at most `limit` rows after the cursor. */
  curve(q: CurveQuery): Promise<StoredReading[]>;
  /** Distinct readings (identities) of these meters, or of all meters. */
  countReadings(meterIds?: readonly string[]): Promise<number>;
  /** Every identity of these meters with its value: what a consumer comparing with ground truth reads. */
  readingsOf(meterIds: readonly string[]): Promise<StoredReading[]>;
  /**
   * The data times in [fromMs, toMs) at which each meter has a usable value of `quantity` (tariff 0,
   * not marked missing): what completeness is checked against. Meters with none are absent.
   */
  dataTimes(meterIds: readonly string[], quantity: string, fromMs: number, toMs: number): Promise<Map<string, number[]>>;
  countEvents(): Promise<number>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export const READING_STORE = Symbol('gridstation.readingStore');
