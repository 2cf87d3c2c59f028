import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { HBASE, type WideColumnStore } from '@gridstation/hbase';
import { LOGGER, provideWorkerLifecycle } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { READING_STORE, type ReadingStore } from './ports';
import { ReadingQueryController } from './query.controller';
import { ReadingQueries } from './query-service';
import { DEFAULT_STORAGE_OPTIONS, StorageWorker, type StorageWorkerOptions } from './storage-worker';

/**
 * The storage feature: the worker (bus -> checks -> stores) and the gRPC reading queries. Needs BUS,
 * READING_STORE, HBASE (any WideColumnStore) and ARCHIVE from the host's adapters module, so the same
 * feature runs in the storage service and in the all-in-one station.
 */
@Module({})
export class StorageFeatureModule {
  static register(options: Partial<StorageWorkerOptions> = {}): DynamicModule {
    return {
      module: StorageFeatureModule,
      controllers: [ReadingQueryController],
      providers: [
        {
          provide: StorageWorker,
          inject: [BUS, READING_STORE, HBASE, ARCHIVE, LOGGER],
          useFactory: (bus: MessageBus, store: ReadingStore, wide: WideColumnStore, archive: DeviceArchive, log: Logger) =>
            new StorageWorker(bus, store, wide, archive, log.child({ component: 'storage' }), { ...DEFAULT_STORAGE_OPTIONS, ...options }),
        },
        provideWorkerLifecycle<StorageWorker>(StorageWorker, (w) => w.start(), (w) => w.stop()),
        { provide: ReadingQueries, inject: [READING_STORE], useFactory: (s: ReadingStore) => new ReadingQueries(s) },
      ],
      exports: [StorageWorker, ReadingQueries],
    };
  }
}

