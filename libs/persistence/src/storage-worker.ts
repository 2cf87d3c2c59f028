import { context, trace } from '@opentelemetry/api';
import { DeviceEventBatch, ReadingBatch, type Reading } from '@gridstation/contracts';
import { deadLetter, OK, recordValue, retry, TOPICS, type InboundBatch, type InboundMessage, type MessageBus, type Outcome, type Subscription } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import type { PutRow, WideColumnStore } from '@gridstation/hbase';
import { gsMeter, SECONDS_BUCKETS, type Logger } from '@gridstation/telemetry';
import { DualTriggerBatcher } from './batcher';
import { LatencyWindow } from './latency';
import { framePut, METER_TABLE, meterTableSpec, readingPuts } from './meter-rows';
import { toStoredEvent, toStoredReading, type StoredEvent, type StoredReading } from './model';
import type { ReadingStore } from './ports';
import { DEFAULT_VALIDITY, ValidityChecker, type ValidityOptions } from './validity';

// The storage service's work: readings and events from the bus -> validity checks -> both stores through
// dual-trigger batchers -> validated readings published for analytics. A record's offset is committed
// only after both stores acknowledged its rows (the handler resolves only then); if either store fails
// the batch is retried from its first record, which the stores absorb because writes are idempotent.

export interface StorageWorkerOptions {
  groupId: string;
  batchRows: number;
  batchDelayMs: number;
  maxInFlight: number;
  validity: ValidityOptions;
  meterTable: string;
  producer: string;
}

export const DEFAULT_STORAGE_OPTIONS: StorageWorkerOptions = {
  groupId: 'gs-storage',
  batchRows: 5000,
  batchDelayMs: 50,
  maxInFlight: 2000,
  validity: DEFAULT_VALIDITY,
  meterTable: METER_TABLE,
  producer: 'storage',
};

const meter = gsMeter('storage');
const metrics = {
  validity: meter.createCounter('gs_storage_readings_checked_total', { description: 'Readings through validity checks, by outcome' }),
  stored: meter.createCounter('gs_storage_readings_stored_total', { description: 'Readings written to both stores' }),
  events: meter.createCounter('gs_storage_events_stored_total', { description: 'Device events written' }),
  flushSeconds: meter.createHistogram('gs_storage_flush_duration_seconds', { description: 'One batch write, by table', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
  flushRows: meter.createHistogram('gs_storage_flush_rows', { description: 'Rows per batch write, by table', advice: { explicitBucketBoundaries: [1, 10, 100, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000] } }),
  latency: meter.createHistogram('gs_storage_end_to_end_seconds', { description: 'Frame received -> rows stored', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
};

export interface StorageStats {
  readingsStored: number;
  eventsStored: number;
  framesStored: number;
  rejectedRecords: number;
  byOutcome: Record<string, number>;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

export class StorageWorker {
  private readonly checker: ValidityChecker;
  private readonly readings: DualTriggerBatcher<StoredReading>;
  private readonly events: DualTriggerBatcher<StoredEvent>;
  private readonly wide: DualTriggerBatcher<PutRow>;
  private subscription?: Subscription;
  private readonly latency = new LatencyWindow();
  private readonly counts: StorageStats = { readingsStored: 0, eventsStored: 0, framesStored: 0, rejectedRecords: 0, byOutcome: {} };

  constructor(
    private readonly bus: MessageBus,
    private readonly store: ReadingStore,
    private readonly wideStore: WideColumnStore,
    private readonly archive: DeviceArchive,
    private readonly log: Logger,
    private readonly options: StorageWorkerOptions = DEFAULT_STORAGE_OPTIONS,
  ) {
    this.checker = new ValidityChecker(options.validity);
    const onFlush = (i: { name: string; rows: number; ms: number; error?: unknown }) => {
      metrics.flushSeconds.record(i.ms / 1000, { table: i.name, ok: i.error === undefined });
      metrics.flushRows.record(i.rows, { table: i.name });
      if (i.error) this.log.warn({ table: i.name, rows: i.rows, err: i.error }, 'batch write failed');
    };
    const { batchRows: maxRows, batchDelayMs: maxDelayMs } = options;
    this.readings = new DualTriggerBatcher({ name: 'readings', maxRows, maxDelayMs, onFlush, write: (rows) => store.insertReadings(rows) });
    this.events = new DualTriggerBatcher({ name: 'device_events', maxRows, maxDelayMs, onFlush, write: (rows) => store.insertEvents(rows) });
    this.wide = new DualTriggerBatcher({ name: options.meterTable, maxRows, maxDelayMs, onFlush, write: (rows) => wideStore.multiPut(options.meterTable, rows) });
  }

  /** Schema of both stores (idempotent), then the subscription. */
  async start(): Promise<void> {
    await this.store.migrate();
    if (!(await this.wideStore.tableExists(this.options.meterTable))) {
      try {
        await this.wideStore.createTable(meterTableSpec(this.options.meterTable));
      } catch (e) {
        // Another instance may have created it in between.
        if (!(await this.wideStore.tableExists(this.options.meterTable))) throw e;
      }
    }
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.readings, TOPICS.events],
      maxInFlight: this.options.maxInFlight,
      handler: (batch) => (batch.topic === TOPICS.events ? this.handleEvents(batch) : this.handleReadings(batch)),
    });
  }

  /** Stops taking records, lets the current ones finish and commits them. */
  async stop(): Promise<void> {
    await this.subscription?.close();
    await Promise.all([this.readings.drain(), this.events.drain(), this.wide.drain()]);
  }

  stats(): StorageStats {
    return { ...this.counts, byOutcome: { ...this.counts.byOutcome }, latencyP50Ms: this.latency.percentile(50), latencyP99Ms: this.latency.percentile(99) };
  }

  async handleReadings(batch: InboundBatch): Promise<Outcome | Outcome[]> {
    const outcomes: Outcome[] = [];
    const decoded: Array<{ message: InboundMessage; batch: ReadingBatch }> = [];
    for (const message of batch.messages) {
      try {
        decoded.push({ message, batch: ReadingBatch.decode(message.value) });
        outcomes.push(OK);
      } catch (e) {
        this.counts.rejectedRecords++;
        outcomes.push(deadLetter('READING_BATCH_UNDECODABLE', `not a gridstation.v1.ReadingBatch: ${String(e)}`));
      }
    }
    const now = Date.now();
    const all: StoredReading[] = [];
    /** The contract form of each entry of `all` (same index), for republishing. */
    const originals: Reading[] = [];
    const frames: PutRow[] = [];
    for (const { message, batch: rb } of decoded) {
      const frameMeters = new Map<string, Set<string>>();
      for (const r of rb.readings) {
        const sourced = withSource(r, message);
        originals.push(sourced);
        all.push(toStoredReading(sourced, r.quality, now));
        const id = r.source?.frameId;
        if (id) (frameMeters.get(id) ?? frameMeters.set(id, new Set()).get(id)!).add(r.meterId);
      }
      for (const f of rb.frames) {
        for (const meterId of frameMeters.get(f.frameId) ?? []) {
          frames.push(framePut(meterId, f, { topic: message.topic, partition: message.partition, offset: Number(message.offset) }));
        }
      }
    }
    const known = new Set<string>();
    for (const id of new Set(all.map((r) => r.meterId))) if (await this.archive.meter(id)) known.add(id);
    const checked = this.checker.check(all, now, (id) => known.has(id));
    const toWrite = checked.filter((c) => c.write).map((c) => c.reading);
    const span = trace.getSpan(context.active());
    span?.setAttribute('gs.readings', all.length);
    try {
      await Promise.all([this.readings.add(toWrite), this.wide.add([...readingPuts(toWrite), ...frames])]);
    } catch (e) {
      return retry(`store write failed: ${String(e)}`);
    }
    this.checker.remember(toWrite);
    for (const c of checked) for (const o of c.outcomes) {
      metrics.validity.add(1, { outcome: o });
      this.counts.byOutcome[o] = (this.counts.byOutcome[o] ?? 0) + 1;
    }
    metrics.stored.add(toWrite.length);
    this.counts.readingsStored += toWrite.length;
    this.counts.framesStored += frames.length;
    const done = Date.now();
    for (const r of toWrite) {
      if (r.receivedAtMs > 0) {
        this.latency.add(done - r.receivedAtMs);
        metrics.latency.record((done - r.receivedAtMs) / 1000);
      }
    }
    const good = originals.filter((_, i) => checked[i]!.write && checked[i]!.reading.quality === 0);
    if (good.length > 0) {
      try {
        await this.publishValidated(good);
      } catch (e) {
        return retry(`publishing validated readings failed: ${String(e)}`);
      }
    }
    return outcomes;
  }

  private async publishValidated(good: readonly Reading[]): Promise<void> {
    const byMeter = new Map<string, Reading[]>();
    for (const r of good) (byMeter.get(r.meterId) ?? byMeter.set(r.meterId, []).get(r.meterId)!).push(r);
    const createdAtMs = Date.now();
    await this.bus.publish(
      TOPICS.readingsValidated,
      [...byMeter].map(([meterId, readings]) => ({
        key: meterId,
        value: recordValue(ReadingBatch.encode({ readings, producer: this.options.producer, createdAtMs, frames: [] })),
      })),
    );
  }

  async handleEvents(batch: InboundBatch): Promise<Outcome | Outcome[]> {
    const outcomes: Outcome[] = [];
    const rows: StoredEvent[] = [];
    const now = Date.now();
    for (const message of batch.messages) {
      try {
        const eb = DeviceEventBatch.decode(message.value);
        for (const e of eb.events) rows.push(toStoredEvent(e, now));
        outcomes.push(OK);
      } catch (e) {
        this.counts.rejectedRecords++;
        outcomes.push(deadLetter('EVENT_BATCH_UNDECODABLE', `not a gridstation.v1.DeviceEventBatch: ${String(e)}`));
      }
    }
    try {
      await this.events.add(rows);
    } catch (e) {
      return retry(`event write failed: ${String(e)}`);
    }
    metrics.events.add(rows.length);
    this.counts.eventsStored += rows.length;
    return outcomes;
  }
}

/** Readings published by external producers may lack provenance: point them at their Kafka record. */
function withSource(r: Reading, m: InboundMessage): Reading {
  if (r.source && r.source.frameId) return r;
  return { ...r, source: { frameId: `${m.topic}/${m.partition}/${m.offset}`, topic: m.topic, partition: m.partition, offset: Number(m.offset), indexInBatch: 0 } };
}

