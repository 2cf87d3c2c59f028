import type { TopologyProvider } from '@gridstation/archive';
import { ConsumerPipeline, groupBy, protoDecoder, recordValue, step, TOPICS, type InboundBatch, type InboundMessage, type Item, type MessageBus, type Outcome, type OutboundMessage, type StepResult, type Subscription } from '@gridstation/bus';
import { Alert, DeviceEventBatch, EvidenceBatch, ReadingBatch, type Evidence } from '@gridstation/contracts';
import { LimitChecker } from './limits';
import { analyticsMetrics } from './metrics';
import { evidenceFromEvent, evidenceFromVoltage, supplyLostIn, voltageSamples } from './signals';
import { StagedMap } from './staged-map';

// Signals: gs.events.v1 + gs.readings.v1 -> outage evidence, re-keyed by feeder -> gs.analytics.evidence.v1,
// and measurement-limit alerts -> gs.alerts.v1. It reads decoded readings before storage (not
// .validated): an outage alert must not wait for ClickHouse and HBase to acknowledge a batch, or stop
// when a store is down; what it takes from a reading is checked here the way storage would (see
// voltageSamples). Re-keying is what makes the outage decision correct with many instances: the
// evidence of a feeder comes from many terminals (many partitions) but is judged in one place.
// The per-meter memory (last voltage seen, limit debounce) changes only after the outputs were
// published, so a batch delivered again derives the same evidence as the first time.

export interface SignalOptions {
  groupId: string;
  producer: string;
}

interface MeterMemory {
  lost: boolean;
  at: number;
  interval: number;
}

type Decoded = { topic: 'events'; batch: DeviceEventBatch } | { topic: 'readings'; batch: ReadingBatch };

interface Derived {
  evidence: Evidence[];
  alerts: Alert[];
  /** The memory changes of the whole delivered batch (shared by its items): committed once, after publishing. */
  commit: () => void;
}

const decodeEvents = protoDecoder(DeviceEventBatch, 'UNDECODABLE', 'gridstation.v1.DeviceEventBatch');
const decodeReadings = protoDecoder(ReadingBatch, 'UNDECODABLE', 'gridstation.v1.ReadingBatch');

function decode(m: InboundMessage): StepResult<Decoded> {
  const r = m.topic === TOPICS.events ? decodeEvents(m) : decodeReadings(m);
  if (r.kind !== 'ok') return r;
  return step.ok(m.topic === TOPICS.events ? { topic: 'events', batch: r.value as DeviceEventBatch } : { topic: 'readings', batch: r.value as ReadingBatch });
}

export class SignalConsumer {
  private subscription?: Subscription;
  /** Newest supply state seen per meter in voltage readings (this instance's partitions of readings). */
  private readonly lastSeen = new Map<string, MeterMemory>();
  readonly stats = { events: 0, samples: 0, evidence: 0, limitAlerts: 0 };
  private readonly pipeline: ConsumerPipeline<Derived>;

  constructor(
    private readonly bus: MessageBus,
    private readonly topology: TopologyProvider,
    private readonly options: SignalOptions,
    private readonly limits: LimitChecker = new LimitChecker(),
  ) {
    this.pipeline = ConsumerPipeline.decode('analytics-signals', decode)
      .batch('derive', (items) => this.derive(items))
      .effect('publish-alerts', (items) => this.publishAlerts(items))
      .effect('publish-evidence', (items) => this.publishEvidence(items))
      .effect('commit', async (items) => items[0]?.value.commit());
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.events, TOPICS.readings],
      // Real time: a new deployment starts at the head of the topics, not with days of old readings
      // (which would raise outages long over). Committed offsets still carry it across restarts.
      fromBeginning: false,
      maxInFlight: 5000,
      handler: this.pipeline.handler(),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }

  private derive(items: readonly Item<Decoded>[]): StepResult<Derived>[] {
    const topology = this.topology.current();
    const now = Date.now();
    const seen = new StagedMap(this.lastSeen, (v) => ({ ...v }));
    const limitState = this.limits.staged();
    const counts = { events: 0, samples: 0 };
    const commit = () => {
      seen.commit();
      limitState.commit();
      this.stats.events += counts.events;
      this.stats.samples += counts.samples;
    };
    return items.map(({ value }) => {
      const out: Derived = { evidence: [], alerts: [], commit };
      if (value.topic === 'events') {
        for (const e of value.batch.events) {
          counts.events++;
          out.evidence.push(...evidenceFromEvent(e, topology));
        }
        return step.ok(out);
      }
      for (const s of voltageSamples(value.batch.readings)) {
        counts.samples++;
        const last = seen.get(s.meterId);
        if (last && s.dataTimeMs <= last.at) continue; // an older value (a curve, a late frame) says nothing about now
        // A reading after a silence (more than twice the meter's usual interval) is news too: the
        // meter may have been out meanwhile with no reading to say so.
        const interval = last ? s.dataTimeMs - last.at : 0;
        const afterSilence = last !== undefined && last.interval > 0 && interval > 2 * last.interval;
        const ev = evidenceFromVoltage(s, afterSilence ? true : last?.lost, topology);
        seen.set(s.meterId, { lost: supplyLostIn(s), at: s.dataTimeMs, interval: afterSilence ? last.interval : interval });
        if (ev) out.evidence.push(ev);
        if (topology.meter(s.meterId)) out.alerts.push(...this.limits.check(s, topology, now, limitState));
      }
      return step.ok(out);
    });
  }

  private async publishAlerts(items: readonly Item<Derived>[]): Promise<void> {
    const alerts = items.flatMap((i) => i.value.alerts);
    if (alerts.length === 0) return;
    await this.bus.publish(
      TOPICS.alerts,
      alerts.map((a) => ({ key: a.alertId, value: recordValue(Alert.encode({ ...a, producer: this.options.producer })) })),
    );
    this.stats.limitAlerts += alerts.length;
    for (const a of alerts) analyticsMetrics.alerts.add(1, { kind: a.kind, state: a.state });
  }

  private async publishEvidence(items: readonly Item<Derived>[]): Promise<void> {
    const byFeeder = groupBy(
      items.flatMap((i) => i.value.evidence),
      (ev) => ev.feederId,
    );
    if (byFeeder.size === 0) return;
    const records: OutboundMessage[] = [...byFeeder].map(([feeder, evidence]) => ({
      key: feeder,
      value: recordValue(EvidenceBatch.encode({ evidence, producer: this.options.producer, createdAtMs: Date.now() })),
    }));
    await this.bus.publish(TOPICS.evidence, records);
    for (const list of byFeeder.values()) {
      this.stats.evidence += list.length;
      for (const ev of list) analyticsMetrics.evidence.add(1, { kind: ev.kind });
    }
  }
}
