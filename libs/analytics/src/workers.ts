import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import type { TopologyProvider } from '@gridstation/archive';
import { OK, recordValue, retry, deadLetter, TOPICS, type InboundBatch, type MessageBus, type OutboundMessage, type Outcome, type Subscription } from '@gridstation/bus';
import { Alert, AlertState, DeviceEventBatch, EvidenceBatch, ReadingBatch, type Evidence } from '@gridstation/contracts';
import { gsMeter, type Logger } from '@gridstation/telemetry';
import { newFeederState, OutageEngine, type FeederState } from './outage-engine';
import type { AlertStore, FeederStateStore } from './ports';
import { LimitChecker } from './limits';
import { evidenceFromEvent, evidenceFromVoltage, supplyLostIn, voltageSamples } from './signals';

// The analytics service's moving parts, each a consumer group of its own:
//  1. SignalWorker   gs.events.v1 + gs.readings.v1 -> evidence, re-keyed by feeder -> gs.analytics.evidence.v1
//  2. OutageWorker   gs.analytics.evidence.v1 (all evidence of one feeder on one partition) -> engine -> gs.alerts.v1
//  3. AlertRecorder  gs.alerts.v1 -> ClickHouse (queries)
//  4. AlertHub       gs.alerts.v1 from "now", one group per instance -> gRPC subscribers of this instance
// The signal worker reads decoded readings before storage (gs.readings.v1, not .validated): an outage
// alert must not wait for ClickHouse and HBase to acknowledge a batch, or stop when a store is down.
// What it takes from a reading is checked here the way storage would (see voltageSamples).
// Re-keying is what makes the outage decision correct with many instances: the evidence of a feeder
// comes from many terminals (many partitions of gs.events.v1) but is judged in one place.

const meter = gsMeter('analytics');
const metrics = {
  evidence: meter.createCounter('gs_analytics_evidence_total', { description: 'Evidence derived from events and readings, by kind' }),
  alerts: meter.createCounter('gs_analytics_alerts_total', { description: 'Alert revisions published, by kind and state' }),
  delay: meter.createHistogram('gs_analytics_detection_delay_ms', { description: 'From ingest of the decisive evidence to the decision', unit: 'ms' }),
};

export interface SignalWorkerOptions {
  groupId: string;
  producer: string;
}

export class SignalWorker {
  private subscription?: Subscription;
  /** Newest supply state seen per meter in voltage readings (this instance's partitions of readings). */
  private readonly lastSeen = new Map<string, { lost: boolean; at: number; interval: number }>();
  readonly stats = { events: 0, samples: 0, evidence: 0, limitAlerts: 0 };

  constructor(
    private readonly bus: MessageBus,
    private readonly topology: TopologyProvider,
    private readonly log: Logger,
    private readonly options: SignalWorkerOptions,
    private readonly limits: LimitChecker = new LimitChecker(),
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.events, TOPICS.readings],
      // Real time: a new deployment starts at the head of the topics, not with days of old readings
      // (which would raise outages long over). Committed offsets still carry it across restarts.
      fromBeginning: false,
      maxInFlight: 5000,
      handler: (batch) => this.handle(batch),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  async handle(batch: InboundBatch): Promise<Outcome[]> {
    const topology = this.topology.current();
    const outcomes: Outcome[] = [];
    const out: Evidence[] = [];
    const alerts: Alert[] = [];
    const now = Date.now();
    for (const m of batch.messages) {
      try {
        if (m.topic === TOPICS.events) {
          for (const e of DeviceEventBatch.decode(m.value).events) {
            this.stats.events++;
            out.push(...evidenceFromEvent(e, topology));
          }
        } else {
          for (const s of voltageSamples(ReadingBatch.decode(m.value).readings)) {
            this.stats.samples++;
            const last = this.lastSeen.get(s.meterId);
            if (last && s.dataTimeMs <= last.at) continue; // an older value (a curve, a late frame) says nothing about now
            // A reading after a silence (more than twice the meter's usual interval) is news too: the
            // meter may have been out meanwhile with no reading to say so.
            const interval = last ? s.dataTimeMs - last.at : 0;
            const afterSilence = last !== undefined && last.interval > 0 && interval > 2 * last.interval;
            const ev = evidenceFromVoltage(s, afterSilence ? true : last?.lost, topology);
            this.lastSeen.set(s.meterId, { lost: supplyLostIn(s), at: s.dataTimeMs, interval: afterSilence ? last.interval : interval });
            if (ev) out.push(ev);
            if (topology.meter(s.meterId)) alerts.push(...this.limits.check(s, topology, now));
          }
        }
        outcomes.push(OK);
      } catch (e) {
        outcomes.push(deadLetter('UNDECODABLE', `${m.topic} record is not a valid payload: ${String(e)}`));
      }
    }
    if (alerts.length > 0) {
      try {
        await this.bus.publish(
          TOPICS.alerts,
          alerts.map((a) => ({ key: a.alertId, value: recordValue(Alert.encode({ ...a, producer: this.options.producer })) })),
        );
      } catch (e) {
        return batch.messages.map(() => retry(`alert publish failed: ${String(e)}`));
      }
      this.stats.limitAlerts += alerts.length;
      for (const a of alerts) metrics.alerts.add(1, { kind: a.kind, state: a.state });
    }
    if (out.length > 0) {
      const byFeeder = new Map<string, Evidence[]>();
      for (const ev of out) {
        metrics.evidence.add(1, { kind: ev.kind });
        const list = byFeeder.get(ev.feederId);
        if (list) list.push(ev);
        else byFeeder.set(ev.feederId, [ev]);
      }
      const records: OutboundMessage[] = [...byFeeder].map(([feeder, evidence]) => ({
        key: feeder,
        value: recordValue(EvidenceBatch.encode({ evidence, producer: this.options.producer, createdAtMs: Date.now() })),
      }));
      try {
        await this.bus.publish(TOPICS.evidence, records);
      } catch (e) {
        return batch.messages.map(() => retry(`evidence publish failed: ${String(e)}`));
      }
      this.stats.evidence += out.length;
    }
    return outcomes;
  }
}

export interface OutageWorkerOptions {
  groupId: string;
  producer: string;
  /** How often due decisions are looked for. */
  tickMs: number;
}

/**
 * Runs the outage engine per feeder. State is read from and written to the FeederStateStore around
 * every step, so the store (Redis) is the state: after a restart or a rebalance, whichever instance
 * gets the feeder's partition continues where the last one stopped. Offsets of evidence are committed
 * only after the state that includes it is saved; decisions are saved only after their alerts are
 * published, so a crash in between republishes the same alert id and revision (harmless for consumers).
 */
export class OutageWorker {
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private readonly due = new Map<string, number>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private ticking = false;
  readonly engine: OutageEngine;
  readonly stats = { batches: 0, decisions: 0, alerts: 0 };

  constructor(
    private readonly bus: MessageBus,
    private readonly store: FeederStateStore,
    private readonly topology: TopologyProvider,
    private readonly log: Logger,
    private readonly options: OutageWorkerOptions,
    engine?: OutageEngine,
  ) {
    this.engine = engine ?? new OutageEngine();
  }

  async start(): Promise<void> {
    for (const [feeder, at] of await this.store.pending()) this.due.set(feeder, at);
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.evidence],
      maxInFlight: 2000,
      handler: (batch) => this.handle(batch),
    });
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.close();
    await Promise.all([...this.locks.values()].map((p) => p.catch(() => undefined)));
  }

  async handle(batch: InboundBatch): Promise<Outcome | Outcome[]> {
    this.stats.batches++;
    const byFeeder = new Map<string, Evidence[]>();
    const outcomes: Outcome[] = [];
    for (const m of batch.messages) {
      try {
        for (const ev of EvidenceBatch.decode(m.value).evidence) {
          const list = byFeeder.get(ev.feederId);
          if (list) list.push(ev);
          else byFeeder.set(ev.feederId, [ev]);
        }
        outcomes.push(OK);
      } catch (e) {
        outcomes.push(deadLetter('UNDECODABLE', `not a gridstation.v1.EvidenceBatch: ${String(e)}`));
      }
    }
    try {
      await Promise.all([...byFeeder].map(([feeder, evidence]) => this.withFeeder(feeder, (state) => this.applyTo(state, evidence))));
    } catch (e) {
      return retry(`outage state unavailable: ${String(e)}`);
    }
    return outcomes;
  }

  private async applyTo(state: FeederState, evidence: Evidence[]): Promise<void> {
    const now = Date.now();
    this.engine.apply(state, evidence, this.topology.current(), now);
    const dueAt = this.engine.dueAt(state);
    await this.store.save([state]);
    if (dueAt > 0) {
      this.due.set(state.feeder, dueAt);
      await this.store.markPending(state.feeder, dueAt);
    }
  }

  /** Serialises work on one feeder within this instance (batch handling and timed decisions). */
  private withFeeder(feeder: string, fn: (state: FeederState) => Promise<void>): Promise<void> {
    const prev = this.locks.get(feeder) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      const state = (await this.store.load([feeder])).get(feeder) ?? newFeederState(feeder);
      await fn(state);
    });
    this.locks.set(feeder, next);
    void next.finally(() => this.locks.get(feeder) === next && this.locks.delete(feeder)).catch(() => undefined);
    return next;
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const ready = [...this.due].filter(([, at]) => at <= now).map(([f]) => f);
      await Promise.all(
        ready.map((feeder) =>
          this.withFeeder(feeder, (state) => this.decide(state)).catch((e: unknown) => this.log.warn({ err: e, feeder }, 'outage decision failed; will retry')),
        ),
      );
    } finally {
      this.ticking = false;
    }
  }

  private async decide(state: FeederState): Promise<void> {
    const now = Date.now();
    const due = this.engine.dueAt(state);
    if (due === 0 || due > now) {
      if (due === 0) this.due.delete(state.feeder);
      else this.due.set(state.feeder, due);
      return;
    }
    const alerts = this.engine.evaluate(state, this.topology.current(), now).map((a) => ({ ...a, producer: this.options.producer }));
    this.stats.decisions++;
    if (alerts.length > 0) {
      await this.bus.publish(
        TOPICS.alerts,
        alerts.map((a) => ({ key: a.alertId, value: recordValue(Alert.encode(a)) })),
      );
      this.stats.alerts += alerts.length;
      for (const a of alerts) {
        metrics.alerts.add(1, { kind: a.kind, state: a.state });
        if (a.decisiveEvidenceIngestedAtMs > 0 && a.state !== AlertState.ALERT_STATE_CLEARED) metrics.delay.record(a.detectedAtMs - a.decisiveEvidenceIngestedAtMs);
      }
    }
    await this.store.save([state]);
    const next = this.engine.dueAt(state);
    if (next > 0) this.due.set(state.feeder, next);
    else this.due.delete(state.feeder);
    await this.store.markPending(state.feeder, next);
  }
}

/** Writes every published alert revision to the alert store (its own consumer group: at least once). */
export class AlertRecorder {
  private subscription?: Subscription;
  constructor(
    private readonly bus: MessageBus,
    private readonly store: AlertStore,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    await this.store.migrate();
    this.subscription = await this.bus.subscribe({ groupId: this.groupId, topics: [TOPICS.alerts], handler: (b) => this.handle(b) });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  async handle(batch: InboundBatch): Promise<Outcome | Outcome[]> {
    const alerts: Alert[] = [];
    const outcomes: Outcome[] = [];
    for (const m of batch.messages) {
      try {
        alerts.push(Alert.decode(m.value));
        outcomes.push(OK);
      } catch (e) {
        outcomes.push(deadLetter('UNDECODABLE', `not a gridstation.v1.Alert: ${String(e)}`));
      }
    }
    try {
      await this.store.insert(alerts);
    } catch (e) {
      return retry(`alert store unavailable: ${String(e)}`);
    }
    return outcomes;
  }
}

/** Fans alerts out to this instance's gRPC subscribers: reads gs.alerts.v1 from "now" in a group of its own. */
export class AlertHub {
  readonly alerts$ = new Subject<Alert>();
  private subscription?: Subscription;
  constructor(
    private readonly bus: MessageBus,
    private readonly groupPrefix: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: `${this.groupPrefix}-${randomUUID()}`,
      topics: [TOPICS.alerts],
      fromBeginning: false,
      handler: async (batch) => {
        for (const m of batch.messages) {
          try {
            this.alerts$.next(Alert.decode(m.value));
          } catch {
            /* the recorder dead-letters bad records; subscribers just do not see them */
          }
        }
        return OK;
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.alerts$.complete();
  }
}
