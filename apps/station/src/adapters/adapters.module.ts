import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import type { StationConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { HBASE, managedLevelStore } from '@gridstation/hbase';
import { ARCHIVE, MemoryArchive } from '@gridstation/archive';
import { CONNECTION_REGISTRY, MemoryRegistry } from '@gridstation/ingest';
import { managedDuckDbStore, READING_STORE } from '@gridstation/persistence';
import { LevelTaskStore, TASK_STORE } from '@gridstation/scheduler';

/**
 * The embedded mode's adapters: the in-process bus, DuckDB for the analytical store and LevelDB for the
 * wide-column store (both on local disk under GS_DATA_DIR), the task store in LevelDB (GS_DATA_DIR/tasks,
 * every commit synced), the archive and connection registry in
 * memory. The features are the same ones the distributed services run.
 */
@Module({})
export class StationAdaptersModule {
  static register(config: StationConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'station', log)),
      ...provideResource(READING_STORE, 'readings', () => managedDuckDbStore(join(config.dataDir, 'readings.duckdb'), config.duckdb)),
      ...provideResource(HBASE, 'meter-data', () => managedLevelStore(join(config.dataDir, 'meter-data'), config.leveldb)),
      ...provideResource(TASK_STORE, 'task-store', () => LevelTaskStore.managed(join(config.dataDir, 'tasks'))),
      { provide: ARCHIVE, useValue: new MemoryArchive() },
      { provide: CONNECTION_REGISTRY, useValue: new MemoryRegistry() },
    ];
    return adaptersModule(StationAdaptersModule, providers);
  }
}
