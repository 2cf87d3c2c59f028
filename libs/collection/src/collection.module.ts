import { Module, type DynamicModule } from '@nestjs/common';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { CollectionController } from './collection.controller';
import { CollectionEngine } from './engine';
import type { CollectedData, MeterPlaces, TaskSets, TerminalMeters, TerminalPresence } from './ports';
import { COLLECTED_DATA, METER_PLACES, PLAN_STORE, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, type PlanStore } from './tokens';

export interface CollectionFeatureOptions {
  /** How often plans are checked for a due round and finished rounds settled. */
  tickMs: number;
}

/** Runs the engine's clock: rounds on the plans' schedules, settling of finished rounds. */
export class CollectionClock {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly engine: CollectionEngine,
    private readonly plans: PlanStore,
    private readonly log: Logger,
    private readonly tickMs: number,
  ) {}

  async start(): Promise<void> {
    for (const p of await this.plans.load()) this.engine.upsertPlan(p);
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.engine
        .tick()
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
 * and PLAN_STORE, and a collection-pool worker that provides the read program.
 */
@Module({})
export class CollectionFeatureModule {
  static register(o: CollectionFeatureOptions = { tickMs: 5_000 }): DynamicModule {
    return {
      module: CollectionFeatureModule,
      controllers: [CollectionController],
      providers: [
        {
          provide: CollectionEngine,
          inject: [COLLECTED_DATA, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, METER_PLACES, LOGGER],
          useFactory: (data: CollectedData, sets: TaskSets, meters: TerminalMeters, presence: TerminalPresence, places: MeterPlaces, log: Logger) => new CollectionEngine(data, sets, meters, presence, places, log),
        },
        { provide: CollectionClock, inject: [CollectionEngine, PLAN_STORE, LOGGER], useFactory: (e: CollectionEngine, p: PlanStore, log: Logger) => new CollectionClock(e, p, log, o.tickMs) },
        provideWorkerLifecycle<CollectionClock>(CollectionClock, (c) => c.start(), (c) => c.stop(), STOP_ORDER.derived),
      ],
      exports: [CollectionEngine],
    };
  }
}
