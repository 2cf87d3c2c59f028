import type { TopologyProvider } from '@gridstation/archive';
import { ConsumerPipeline, groupBy, protoDecoder, recordValue, TOPICS, type InboundBatch, type Item, type MessageBus, type Outcome, type Subscription } from '@gridstation/bus';
import { Alert, AlertState, EvidenceBatch, type Evidence } from '@gridstation/contracts';
import type { Logger } from '@gridstation/telemetry';
import { analyticsMetrics } from './metrics';
import { newFeederState, OutageEngine, type FeederState } from './outage-engine';
import type { FeederStateStore } from './ports';

export interface OutageOptions {
  groupId: string;
  producer: string;
  /** How often due decisions are looked for. */
  tickMs: number;
}

/**
 * Runs the outage engine per feeder, on gs.analytics.evidence.v1 (all evidence of one feeder on one
 * partition). State is read from and written to the FeederStateStore around every step, so the store
 * (Redis) is the state: after a restart or a rebalance, whichever instance gets the feeder's partition
 * continues where the last one stopped. Offsets of evidence are committed only after the state that
 * includes it is saved; decisions are saved only after their alerts are published, so a crash in between
 * republishes the same alert id and revision (harmless for consumers).
 */
export class OutageConsumer {
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private readonly due = new Map<string, number>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private ticking = false;
  readonly engine: OutageEngine;
  readonly stats = { batches: 0, decisions: 0, alerts: 0 };
  private readonly pipeline: ConsumerPipeline<EvidenceBatch>;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: FeederStateStore,
    private readonly topology: TopologyProvider,
    private readonly log: Logger,
    private readonly options: OutageOptions,
    engine?: OutageEngine,
  ) {
    this.engine = engine ?? new OutageEngine();
    this.pipeline = ConsumerPipeline.decode('analytics-outage', protoDecoder(EvidenceBatch, 'UNDECODABLE', 'gridstation.v1.EvidenceBatch')).effect('apply', (items) => this.apply(items));
  }

  async start(): Promise<void> {
    for (const [feeder, at] of await this.store.pending()) this.due.set(feeder, at);
    this.subscription = await this.bus.subscribe({ groupId: this.options.groupId, topics: [TOPICS.evidence], maxInFlight: 2000, handler: this.pipeline.handler() });
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.close();
    await Promise.all([...this.locks.values()].map((p) => p.catch(() => undefined)));
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }

  private async apply(items: readonly Item<EvidenceBatch>[]): Promise<void> {
    this.stats.batches++;
    const byFeeder = groupBy(
      items.flatMap((i) => i.value.evidence),
      (ev) => ev.feederId,
    );
    await Promise.all([...byFeeder].map(([feeder, evidence]) => this.withFeeder(feeder, (state) => this.applyTo(state, evidence))));
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
        analyticsMetrics.alerts.add(1, { kind: a.kind, state: a.state });
        if (a.decisiveEvidenceIngestedAtMs > 0 && a.state !== AlertState.ALERT_STATE_CLEARED) analyticsMetrics.delay.record(a.detectedAtMs - a.decisiveEvidenceIngestedAtMs);
      }
    }
    await this.store.save([state]);
    const next = this.engine.dueAt(state);
    if (next > 0) this.due.set(state.feeder, next);
    else this.due.delete(state.feeder);
    await this.store.markPending(state.feeder, next);
  }
}
