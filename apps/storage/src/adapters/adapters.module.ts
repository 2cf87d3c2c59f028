import { Module, type DynamicModule } from '@nestjs/common';
import type { StorageConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { HBASE, managedHBase } from '@gridstation/hbase';
import { managedRedis, REDIS } from '@gridstation/cache';
import { redisArchiveProvider } from '@gridstation/archive';
import { managedClickHouseStore, READING_STORE } from '@gridstation/persistence';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class StorageAdaptersModule {
  static register(config: StorageConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'storage', log)),
      ...provideResource(READING_STORE, 'clickhouse', (log) => managedClickHouseStore(config.clickhouse, log)),
      ...provideResource(HBASE, 'hbase', () => managedHBase(config.hbase)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      redisArchiveProvider,
    ];
    return adaptersModule(StorageAdaptersModule, providers);
  }
}
