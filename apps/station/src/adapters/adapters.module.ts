import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import type { StationConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { HBASE, managedLevelStore } from '@gridstation/hbase';
import { ARCHIVE, MemoryArchive, StaticTopology, TOPOLOGY, type TerminalRecord } from '@gridstation/archive';
import { ALERT_STORE, FEEDER_STATE_STORE, MemoryAlertStore, MemoryFeederStateStore } from '@gridstation/analytics';
import { CONNECTION_REGISTRY, MemoryRegistry } from '@gridstation/ingest';
import { managedDuckDbStore, READING_STORE } from '@gridstation/persistence';
import { LevelTaskStore, TASK_STORE } from '@gridstation/scheduler';

/**
 * The embedded mode's adapters: the in-process bus, DuckDB for the analytical store and LevelDB for the
 * wide-column store (both on local disk under GS_DATA_DIR), the task store in LevelDB (GS_DATA_DIR/tasks,
 * every commit synced), the archive, connection registry, supply topology (the simulator's, when it
 * runs), outage state and alerts in memory. The features are the same ones the distributed services run.
 */
@Module({})
export class StationAdaptersModule {
  static register(config: StationConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'station', log)),
      ...provideResource(READING_STORE, 'readings', () => managedDuckDbStore(join(config.dataDir, 'readings.duckdb'), config.duckdb)),
      ...provideResource(HBASE, 'meter-data', () => managedLevelStore(join(config.dataDir, 'meter-data'), config.leveldb)),
      ...provideResource(TASK_STORE, 'task-store', () => LevelTaskStore.managed(join(config.dataDir, 'tasks'))),
      // The archive file is loaded before any consumer starts: frames the bus log replays at start are
      // parsed against it (loaded afterwards, the first replayed frames found no meters).
      { provide: ARCHIVE, useFactory: () => archiveFrom(config.archiveFile) },
      { provide: CONNECTION_REGISTRY, useValue: new MemoryRegistry() },
      { provide: TOPOLOGY, useValue: new StaticTopology() },
      { provide: FEEDER_STATE_STORE, useValue: new MemoryFeederStateStore() },
      { provide: ALERT_STORE, useValue: new MemoryAlertStore() },
    ];
    return adaptersModule(StationAdaptersModule, providers);
  }
}

async function archiveFrom(file: string | undefined): Promise<MemoryArchive> {
  const archive = new MemoryArchive();
  if (!file) return archive;
  let terminals: TerminalRecord[];
  try {
    terminals = JSON.parse(readFileSync(file, 'utf8')) as TerminalRecord[];
  } catch (e) {
    throw new Error(`the archive file ${file} (GS_ARCHIVE_FILE) cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  await archive.put(terminals);
  return archive;
}
