import { TOPICS, type MessageBus } from '@gridstation/bus';
import { isDependencyUnavailable } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import type { TaskStore } from './store/task-store';

// Moves committed task events from the store's outbox to gs.task-events.v1, in commit order, and
// deletes them only once the bus has acknowledged them. A crash in between publishes them again (the
// history folds repeats by set and sequence number); an event is never published before the state
// change it describes is stored.

export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  published = 0;

  constructor(
    private readonly store: TaskStore,
    private readonly bus: MessageBus,
    private readonly log: Logger,
    private readonly idleMs = 200,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** New events were committed: publish them now rather than at the next idle wake-up. */
  kick(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = 100;
    while (this.running) {
      try {
        const entries = await this.store.outbox(500);
        if (entries.length === 0) {
          await new Promise<void>((r) => {
            this.wake = r;
            setTimeout(r, this.idleMs).unref();
          });
          this.wake = undefined;
          continue;
        }
        await this.bus.publish(TOPICS.taskEvents, entries.map((e) => ({ key: e.key, value: e.value })));
        await this.store.ackOutbox(entries.map((e) => e.id));
        this.published += entries.length;
        delay = 100;
      } catch (e) {
        if (isDependencyUnavailable(e)) this.log.warn({ err: e, retryInMs: delay }, 'task events not published yet; retrying');
        else this.log.error({ err: e, retryInMs: delay }, 'task events could not be published; retrying');
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
}
