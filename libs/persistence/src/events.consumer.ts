import { DeviceEventBatch } from '@gridstation/contracts';
import { ConsumerPipeline, protoDecoder, TOPICS, type InboundBatch, type MessageBus, type Outcome, type Subscription } from '@gridstation/bus';
import type { Logger } from '@gridstation/telemetry';
import { DualTriggerBatcher } from './batcher';
import { toStoredEvent, type StoredEvent } from './model';
import type { ReadingStore } from './ports';
import { storageMetrics, type StorageOptions } from './storage-options';

// The storage service's events consumer: DeviceEventBatch -> the analytical store's device_events table
// (through a dual-trigger batcher; idempotent on the event id), then counted.

export class EventsConsumer {
  private readonly events: DualTriggerBatcher<StoredEvent>;
  private subscription?: Subscription;
  private stored = 0;
  private readonly pipeline: ConsumerPipeline<DeviceEventBatch>;

  constructor(
    private readonly bus: MessageBus,
    store: ReadingStore,
    log: Logger,
    private readonly options: StorageOptions,
  ) {
    this.events = new DualTriggerBatcher({ name: 'device_events', maxRows: options.batchRows, maxDelayMs: options.batchDelayMs, onFlush: storageMetrics.flushObserver(log), write: (rows) => store.insertEvents(rows) });
    this.pipeline = ConsumerPipeline.decode('storage-events', protoDecoder(DeviceEventBatch, 'EVENT_BATCH_UNDECODABLE', 'gridstation.v1.DeviceEventBatch')).effect('store', async (items) => {
      const now = Date.now();
      const rows = items.flatMap((i) => i.value.events.map((e) => toStoredEvent(e, now)));
      await this.events.add(rows);
      storageMetrics.events.add(rows.length);
      this.stored += rows.length;
    });
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ groupId: `${this.options.groupId}-events`, topics: [TOPICS.events], maxInFlight: this.options.maxInFlight, handler: this.pipeline.handler() });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.events.drain();
  }

  stats(): { eventsStored: number } {
    return { eventsStored: this.stored };
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }
}
