import { ConsumerPipeline, protoDecoder, TOPICS, type MessageBus, type Subscription } from '@gridstation/bus';
import { TaskEventBatch } from '@gridstation/contracts';
import type { TaskHistory } from './task-history';

/** gs.task-events.v1 -> task history (its own consumer group; at least once, folded by (set, seq)). */
export class TaskHistoryConsumer {
  private subscription?: Subscription;
  private readonly pipeline = ConsumerPipeline.decode('scheduler-task-history', protoDecoder(TaskEventBatch, 'UNDECODABLE', 'gridstation.v1.TaskEventBatch')).effect('store', (items) =>
    this.history.record(items.flatMap((i) => i.value.events)),
  );

  constructor(
    private readonly bus: MessageBus,
    private readonly history: TaskHistory,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    await this.history.migrate();
    this.subscription = await this.bus.subscribe({ groupId: this.groupId, topics: [TOPICS.taskEvents], handler: this.pipeline.handler() });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }
}
