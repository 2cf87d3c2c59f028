import { context, trace } from '@opentelemetry/api';
import { ReadingBatch, type Reading } from '@gridstation/contracts';
import { ConsumerPipeline, groupBy, protoDecoder, recordValue, step, TOPICS, type InboundBatch, type InboundMessage, type Item, type MessageBus, type Outcome, type StepResult, type Subscription } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import type { PutRow, WideColumnStore } from '@gridstation/hbase';
import type { Logger } from '@gridstation/telemetry';
import { DualTriggerBatcher } from './batcher';
import { IntervalLatency, LatencyWindow } from './latency';
import { framePut, readingPuts } from './meter-rows';
import { toStoredReading, type StoredReading } from './model';
import { METER_ID } from './query-service';
import type { ReadingStore } from './ports';
import { storageMetrics, type StorageOptions } from './storage-options';
import { ValidityChecker, type Checked } from './validity';

// The storage service's readings consumer. Steps: decode the ReadingBatch -> check every reading
// (archive, ranges, times, duplicates) -> write both stores through the dual-trigger batchers -> publish
// the good ones to gs.readings.validated.v1 -> remember and count. The offset is committed only after
// all of that succeeded: if a store or the publish fails, the batch comes again, the stores absorb the
// rewrite (idempotent keys), and the duplicate checker has not yet remembered it, so the validated
// readings are published on the second pass too.

/** One record after the checks: what will be written, and the contract form of the good readings. */
interface CheckedRecord {
  checked: Checked[];
  toWrite: StoredReading[];
  /** Readings that passed every check, as they came in (for gs.readings.validated.v1). */
  good: Reading[];
  frames: PutRow[];
}

export interface ReadingsStats {
  readingsStored: number;
  framesStored: number;
  byOutcome: Record<string, number>;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

export class ReadingsConsumer {
  private readonly checker: ValidityChecker;
  private readonly readings: DualTriggerBatcher<StoredReading>;
  private readonly wide: DualTriggerBatcher<PutRow>;
  private subscription?: Subscription;
  private readonly latency = new LatencyWindow();
  private readonly interval = new IntervalLatency();
  private readonly counts: ReadingsStats = { readingsStored: 0, framesStored: 0, byOutcome: {} };
  private readonly pipeline: ConsumerPipeline<CheckedRecord>;

  constructor(
    private readonly bus: MessageBus,
    store: ReadingStore,
    wideStore: WideColumnStore,
    private readonly archive: DeviceArchive,
    log: Logger,
    private readonly options: StorageOptions,
  ) {
    this.checker = new ValidityChecker(options.validity);
    const onFlush = storageMetrics.flushObserver(log);
    const { batchRows: maxRows, batchDelayMs: maxDelayMs } = options;
    this.readings = new DualTriggerBatcher({ name: 'readings', maxRows, maxDelayMs, onFlush, write: (rows) => store.insertReadings(rows) });
    this.wide = new DualTriggerBatcher({ name: options.meterTable, maxRows, maxDelayMs, onFlush, write: (rows) => wideStore.multiPut(options.meterTable, rows) });
    this.pipeline = ConsumerPipeline.decode('storage-readings', protoDecoder(ReadingBatch, 'READING_BATCH_UNDECODABLE', 'gridstation.v1.ReadingBatch'))
      .batch('check', (items) => this.check(items))
      .effect('store', (items) => this.store(items))
      .effect('publish-validated', (items) => this.publishValidated(items))
      .effect('remember', async (items) => this.remember(items));
  }

  /** Frame receipt -> both stores, p50 and p99 over every reading stored since the last call. */
  takeIntervalLatency(): { p50?: number; p99?: number; count: number } {
    return this.interval.take();
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ groupId: this.options.groupId, topics: [TOPICS.readings], maxInFlight: this.options.maxInFlight, handler: this.pipeline.handler() });
  }

  /** Stops taking records, lets the current ones finish and commits them. */
  async stop(): Promise<void> {
    await this.subscription?.close();
    await Promise.all([this.readings.drain(), this.wide.drain()]);
  }

  stats(): ReadingsStats {
    return { ...this.counts, byOutcome: { ...this.counts.byOutcome }, latencyP50Ms: this.latency.percentile(50), latencyP99Ms: this.latency.percentile(99) };
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }

  private async check(items: readonly Item<ReadingBatch>[]): Promise<StepResult<CheckedRecord>[]> {
    const now = Date.now();
    const meters = new Set<string>();
    for (const { value } of items) for (const r of value.readings) meters.add(r.meterId);
    const known = new Set<string>();
    for (const id of meters) if (await this.archive.meter(id)) known.add(id);
    trace.getSpan(context.active())?.setAttribute('gs.readings', items.reduce((n, i) => n + i.value.readings.length, 0));
    return items.map(({ message, value: rb }) => {
      const badId = rb.readings.find((r) => !METER_ID.test(r.meterId));
      if (badId) return step.deadLetter('METER_ID_INVALID', `meter id of ${badId.meterId.length} characters is not 1 to 32 letters, digits or _.:- ("${badId.meterId.slice(0, 40)}")`);
      const originals = rb.readings.map((r) => withSource(r, message));
      const checked = this.checker.check(
        originals.map((r) => toStoredReading(r, r.quality, now)),
        now,
        (id) => known.has(id),
      );
      const frameMeters = new Map<string, Set<string>>();
      for (const r of rb.readings) {
        const id = r.source?.frameId;
        if (id) (frameMeters.get(id) ?? frameMeters.set(id, new Set()).get(id)!).add(r.meterId);
      }
      const frames: PutRow[] = [];
      for (const f of rb.frames) {
        for (const meterId of frameMeters.get(f.frameId) ?? []) {
          frames.push(framePut(meterId, f, { topic: message.topic, partition: message.partition, offset: Number(message.offset) }));
        }
      }
      return step.ok({
        checked,
        toWrite: checked.filter((c) => c.write).map((c) => c.reading),
        good: originals.filter((_, i) => checked[i]!.write && checked[i]!.reading.quality === 0),
        frames,
      });
    });
  }

  private async store(items: readonly Item<CheckedRecord>[]): Promise<void> {
    const rows = items.flatMap((i) => i.value.toWrite);
    const puts = [...readingPuts(rows, this.options.wideLayout), ...items.flatMap((i) => i.value.frames)];
    await Promise.all([this.readings.add(rows), this.wide.add(puts)]);
  }

  private async publishValidated(items: readonly Item<CheckedRecord>[]): Promise<void> {
    const byMeter = groupBy(
      items.flatMap((i) => i.value.good),
      (r) => r.meterId,
    );
    if (byMeter.size === 0) return;
    const createdAtMs = Date.now();
    await this.bus.publish(
      TOPICS.readingsValidated,
      [...byMeter].map(([meterId, readings]) => ({
        key: meterId,
        value: recordValue(ReadingBatch.encode({ readings, producer: this.options.producer, createdAtMs, frames: [] })),
      })),
    );
  }

  /** Only now, with both stores and the validated topic done, do these readings count as stored. */
  private remember(items: readonly Item<CheckedRecord>[]): void {
    const done = Date.now();
    // Metrics once per batch (outcomes) and once per frame (latency), not per reading: recording an
    // instrument hashes its attributes, which was a measurable share of the storage profile.
    const outcomes = new Map<string, number>();
    let stored = 0;
    for (const { value } of items) {
      this.checker.remember(value.toWrite);
      for (const c of value.checked) for (const o of c.outcomes) outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      stored += value.toWrite.length;
      this.counts.framesStored += value.frames.length;
      let lastReceived = -1;
      for (const r of value.toWrite) {
        if (r.receivedAtMs > 0) {
          this.latency.add(done - r.receivedAtMs);
          this.interval.add(done - r.receivedAtMs);
          // Readings of one frame share its receipt time and come together: one observation per frame.
          if (r.receivedAtMs !== lastReceived) storageMetrics.latency.record((done - r.receivedAtMs) / 1000);
          lastReceived = r.receivedAtMs;
        }
      }
    }
    for (const [o, n] of outcomes) {
      storageMetrics.validity.add(n, { outcome: o });
      this.counts.byOutcome[o] = (this.counts.byOutcome[o] ?? 0) + n;
    }
    storageMetrics.stored.add(stored);
    this.counts.readingsStored += stored;
  }
}

/** Readings published by external producers may lack provenance: point them at their Kafka record. */
function withSource(r: Reading, m: InboundMessage): Reading {
  if (r.source && r.source.frameId) return r;
  return { ...r, source: { frameId: `${m.topic}/${m.partition}/${m.offset}`, topic: m.topic, partition: m.partition, offset: Number(m.offset), indexInBatch: 0 } };
}
