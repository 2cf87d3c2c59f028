import { gsMeter, SECONDS_BUCKETS, type Logger } from '@gridstation/telemetry';
import { METER_TABLE, type ReadingLayout } from './meter-rows';
import { DEFAULT_VALIDITY, type ValidityOptions } from './validity';

// What the storage consumers share: their options and their metrics.

export interface StorageOptions {
  /** The readings consumer's group; the events consumer uses `<groupId>-events`. */
  groupId: string;
  batchRows: number;
  batchDelayMs: number;
  maxInFlight: number;
  validity: ValidityOptions;
  meterTable: string;
  /** How readings are laid out in the meter table (see meter-rows.ts). */
  wideLayout: ReadingLayout;
  producer: string;
}

export const DEFAULT_STORAGE_OPTIONS: StorageOptions = {
  groupId: 'gs-storage',
  batchRows: 5000,
  batchDelayMs: 50,
  maxInFlight: 2000,
  validity: DEFAULT_VALIDITY,
  meterTable: METER_TABLE,
  wideLayout: 'packed',
  producer: 'storage',
};

const meter = gsMeter('storage');
const flushSeconds = meter.createHistogram('gs_storage_flush_duration_seconds', { description: 'One batch write, by table', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
const flushRows = meter.createHistogram('gs_storage_flush_rows', { description: 'Rows per batch write, by table', advice: { explicitBucketBoundaries: [1, 10, 100, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000] } });

export const storageMetrics = {
  validity: meter.createCounter('gs_storage_readings_checked_total', { description: 'Readings through validity checks, by outcome' }),
  stored: meter.createCounter('gs_storage_readings_stored_total', { description: 'Readings written to both stores' }),
  events: meter.createCounter('gs_storage_events_stored_total', { description: 'Device events written' }),
  latency: meter.createHistogram('gs_storage_end_to_end_seconds', { description: 'Frame received -> its readings stored in both stores (one observation per frame of a batch)', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
  /** The batchers' flush callback: duration and size per table, and failures logged. */
  flushObserver(log: Logger) {
    return (i: { name: string; rows: number; ms: number; error?: unknown }): void => {
      flushSeconds.record(i.ms / 1000, { table: i.name, ok: i.error === undefined });
      flushRows.record(i.rows, { table: i.name });
      if (i.error) log.warn({ table: i.name, rows: i.rows, err: i.error }, 'batch write failed');
    };
  },
};
