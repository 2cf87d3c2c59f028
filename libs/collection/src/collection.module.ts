import { Module, type DynamicModule } from '@nestjs/common';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { CollectionController } from './collection.controller';
import { CollectionEngine } from './engine';
import { MeterValues } from './meter-values';
import type { RevisionStore } from './revisions';
import { IndicatorRuns } from './indicator-runs';
import type { AlertSink, CollectedData, MeterPlaces, TaskSets, TerminalMeters, TerminalPresence } from './ports';
import { ALERT_SINK, COLLECTED_DATA, METER_PLACES, PLAN_STORE, REVISION_STORE, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, type PlanStore } from './tokens';

export interface CollectionFeatureOptions {
  /** How often plans are checked for a due round and finished rounds settled. */
  tickMs: number;
  /** Whether the host runs a worker of the indicators pool (next to ClickHouse). */
  indicators?: boolean;
}

/** Runs the engine's clock: rounds on the plans' schedules, settling of finished rounds. */
export class CollectionClock {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly engine: CollectionEngine,
    private readonly indicators: IndicatorRuns,
    private readonly plans: PlanStore,
    private readonly log: Logger,
    private readonly tickMs: number,
  ) {}

  async start(): Promise<void> {
    for (const p of await this.plans.load()) this.engine.upsertPlan(p);
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = Promise.all([this.engine.tick(), this.indicators.settle()])
        .then(() => undefined)
        .catch((e: unknown) => this.log.warn({ err: e }, 'collection tick failed; tried again at the next tick'))
        .finally(() => (this.running = undefined));
    }, this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.engine.close();
  }
}

/**
 * Collection operations (CollectionService): plans, rounds on the scheduler, re-collection, KPI, gaps,
 * VEE. The host provides COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES
 * PLAN_STORE and REVISION_STORE (ALERT_SINK optional: where the area alerts of the indicators go), and a collection-pool worker that provides the read program.
 */
@Module({})
export class CollectionFeatureModule {
  static register(o: CollectionFeatureOptions = { tickMs: 5_000 }): DynamicModule {
    return {
      module: CollectionFeatureModule,
      controllers: [CollectionController],
      providers: [
        { provide: MeterValues, inject: [COLLECTED_DATA, REVISION_STORE], useFactory: (data: CollectedData, revisions: RevisionStore) => new MeterValues(data, revisions) },
        {
          provide: CollectionEngine,
          inject: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, MeterValues, LOGGER],
          useFactory: (data: CollectedData, sets: TaskSets, meters: TerminalMeters, presence: TerminalPresence, places: MeterPlaces, values: MeterValues, log: Logger) =>
            new CollectionEngine(data, sets, meters, presence, places, log, { estimate: (r) => values.estimate(r.meterId, r.quantity, r.gap.fromMs, r.gap.toMs, 'collection', `re-collection gave up: ${r.reason ?? ''}`).then((w) => w.length) }),
        },
        {
          provide: IndicatorRuns,
          inject: [TASK_SETS, { token: ALERT_SINK, optional: true }, LOGGER],
          useFactory: (sets: TaskSets, sink: AlertSink | undefined, log: Logger) => new IndicatorRuns(sets, sink, log, o.indicators === true),
        },
        { provide: CollectionClock, inject: [CollectionEngine, IndicatorRuns, PLAN_STORE, LOGGER], useFactory: (e: CollectionEngine, i: IndicatorRuns, p: PlanStore, log: Logger) => new CollectionClock(e, i, p, log, o.tickMs) },
        provideWorkerLifecycle<CollectionClock>(CollectionClock, (c) => c.start(), (c) => c.stop(), STOP_ORDER.derived),
      ],
      exports: [CollectionEngine, MeterValues, IndicatorRuns],
    };
  }
}
