import type { MessageBus } from '@gridstation/bus';
import type { Logger } from '@gridstation/telemetry';
import { CapacityController, DEFAULT_CAPACITY, type CapacityOptions } from './capacity';
import type { ContainerPool } from './containers/container-pool';
import { InProcessPool } from './containers/in-process-pool';
import { TaskHistoryConsumer } from './history/task-history.consumer';
import type { TaskHistory } from './history/task-history';
import { OutboxRelay } from './outbox-relay';
import { ProgramRegistry } from './programs/registry';
import { DEFAULT_SCHEDULER, Scheduler, type SchedulerOptions } from './scheduler';
import type { TaskStore } from './store/task-store';
import { InProcessLink } from './worker/in-process-link';

export interface SchedulerFeatureOptions {
  scheduler: Partial<SchedulerOptions>;
  capacity: CapacityOptions;
  /** Workers in this process (the embedded station); otherwise the container pool given, or none. */
  inProcessWorkers: boolean;
  /** Consumer group of the task history (when a history store is given). */
  historyGroup: string;
  /** Successful attempts the duration forecast is fitted on at start (from the history). */
  warmStart: number;
}

export const DEFAULT_SCHEDULER_FEATURE: SchedulerFeatureOptions = { scheduler: {}, capacity: DEFAULT_CAPACITY, inProcessWorkers: false, historyGroup: 'gs-scheduler-history', warmStart: 20_000 };

/** The scheduler feature's parts and their order: programs, then decisions, then events, then workers. */
export class SchedulerService {
  readonly programs: ProgramRegistry;
  readonly scheduler: Scheduler;
  readonly relay: OutboxRelay;
  readonly pool: ContainerPool | undefined;
  readonly capacity: CapacityController | undefined;
  private readonly history: TaskHistoryConsumer | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly store: TaskStore,
    bus: MessageBus,
    private readonly log: Logger,
    private readonly o: SchedulerFeatureOptions,
    externalPool?: ContainerPool,
    private readonly historyStore?: TaskHistory,
  ) {
    this.programs = new ProgramRegistry(store, log.child({ component: 'programs' }));
    const relay = new OutboxRelay(store, bus, log.child({ component: 'task-events' }));
    this.relay = relay;
    let capacity: CapacityController | undefined;
    this.scheduler = new Scheduler(store, this.programs, log.child({ component: 'scheduler' }), { ...DEFAULT_SCHEDULER, ...o.scheduler }, undefined, {
      demand: (d) => capacity?.demand(d),
      committed: () => relay.kick(),
    });
    this.pool = o.inProcessWorkers ? new InProcessPool(new InProcessLink(this.scheduler, this.programs), log.child({ component: 'workers' })) : externalPool;
    if (this.pool) capacity = this.capacity = new CapacityController(this.pool, o.capacity, log.child({ component: 'containers' }));
    if (historyStore) this.history = new TaskHistoryConsumer(bus, historyStore, o.historyGroup);
  }

  async start(): Promise<void> {
    await this.programs.start();
    if (this.historyStore && this.o.warmStart > 0) {
      const seen = await this.historyStore.recentDurations(this.o.warmStart).catch((e: unknown) => {
        this.log.warn({ err: e }, 'task history unavailable: the duration forecast starts empty');
        return [];
      });
      for (const x of seen.reverse()) this.scheduler.forecast.observe(x);
    }
    await this.scheduler.start();
    // A program withdrawn or released is unloaded from / offered to every connected worker at once.
    this.unsubscribe = this.programs.onChange((c) => this.scheduler.broadcast({ command: { $case: 'program', program: { program: c.ref, unload: c.unload } } }));
    this.relay.start();
    await this.capacity?.start();
    await this.history?.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.history?.stop();
    await this.pool?.close();
    await this.scheduler.stop();
    await this.relay.stop();
  }
}
