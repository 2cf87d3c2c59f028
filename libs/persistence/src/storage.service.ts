import type { WideColumnStore } from '@gridstation/hbase';
import type { EventsConsumer } from './events.consumer';
import { meterTableSpec } from './meter-rows';
import type { ReadingStore } from './ports';
import type { ReadingsConsumer, ReadingsStats } from './readings.consumer';

export type StorageStats = ReadingsStats & { eventsStored: number };

/** The storage feature's start and stop: schema of both stores first (idempotent), then its consumers. */
export class StorageService {
  constructor(
    private readonly store: ReadingStore,
    private readonly wideStore: WideColumnStore,
    private readonly meterTable: string,
    readonly readings: ReadingsConsumer,
    readonly events: EventsConsumer,
  ) {}

  async start(): Promise<void> {
    await this.store.migrate();
    if (!(await this.wideStore.tableExists(this.meterTable))) {
      try {
        await this.wideStore.createTable(meterTableSpec(this.meterTable));
      } catch (e) {
        // Another instance may have created it in between.
        if (!(await this.wideStore.tableExists(this.meterTable))) throw e;
      }
    }
    await Promise.all([this.readings.start(), this.events.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.readings.stop(), this.events.stop()]);
  }

  stats(): StorageStats {
    return { ...this.readings.stats(), ...this.events.stats() };
  }
}
