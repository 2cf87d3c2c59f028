import { Module, type DynamicModule } from '@nestjs/common';
import type { StorageConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { CLICKHOUSE, managedClickHouse } from '@gridstation/clickhouse';
import { HBASE, managedHBase } from '@gridstation/hbase';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class StorageAdaptersModule {
  static register(config: StorageConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'storage', log)),
      ...provideResource(CLICKHOUSE, 'clickhouse', () => managedClickHouse(config.clickhouse)),
      ...provideResource(HBASE, 'hbase', () => managedHBase(config.hbase)),
    ];
    return { module: StorageAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
