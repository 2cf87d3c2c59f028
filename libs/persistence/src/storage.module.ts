import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { HBASE, type WideColumnStore } from '@gridstation/hbase';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { EventsConsumer } from './events.consumer';
import { READING_STORE, type ReadingStore } from './ports';
import { ReadingQueryController } from './query.controller';
import { ReadingQueries } from './query-service';
import { ReadingsConsumer } from './readings.consumer';
import { DEFAULT_STORAGE_OPTIONS, type StorageOptions } from './storage-options';
import { StorageService } from './storage.service';

/**
 * The storage feature: its consumers (bus -> checks -> stores) and the gRPC reading queries. Needs BUS,
 * READING_STORE, HBASE (any WideColumnStore) and ARCHIVE from the host's adapters module, so the same
 * feature runs in the storage service and in the all-in-one station.
 */
@Module({})
export class StorageFeatureModule {
  static register(overrides: Partial<StorageOptions> = {}): DynamicModule {
    const options = { ...DEFAULT_STORAGE_OPTIONS, ...overrides };
    return {
      module: StorageFeatureModule,
      controllers: [ReadingQueryController],
      providers: [
        {
          provide: StorageService,
          inject: [BUS, READING_STORE, HBASE, ARCHIVE, LOGGER],
          useFactory: (bus: MessageBus, store: ReadingStore, wide: WideColumnStore, archive: DeviceArchive, logger: Logger) => {
            const log = logger.child({ component: 'storage' });
            return new StorageService(store, wide, options.meterTable, new ReadingsConsumer(bus, store, wide, archive, log, options), new EventsConsumer(bus, store, log, options));
          },
        },
        provideWorkerLifecycle<StorageService>(StorageService, (s) => s.start(), (s) => s.stop(), STOP_ORDER.storage),
        { provide: ReadingQueries, inject: [READING_STORE], useFactory: (s: ReadingStore) => new ReadingQueries(s) },
      ],
      exports: [StorageService, ReadingQueries],
    };
  }
}
