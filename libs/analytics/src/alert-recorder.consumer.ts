import { ConsumerPipeline, protoDecoder, TOPICS, type InboundBatch, type MessageBus, type Outcome, type Subscription } from '@gridstation/bus';
import { Alert } from '@gridstation/contracts';
import type { AlertStore } from './ports';

/** Writes every published alert revision to the alert store (its own consumer group: at least once). */
export class AlertRecorder {
  private subscription?: Subscription;
  private readonly pipeline = ConsumerPipeline.decode('analytics-alert-recorder', protoDecoder(Alert, 'UNDECODABLE', 'gridstation.v1.Alert')).effect('store', (items) =>
    this.store.insert(items.map((i) => i.value)),
  );

  constructor(
    private readonly bus: MessageBus,
    private readonly store: AlertStore,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    await this.store.migrate();
    this.subscription = await this.bus.subscribe({ groupId: this.groupId, topics: [TOPICS.alerts], handler: this.pipeline.handler() });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }
}
