import { Module, type DynamicModule } from '@nestjs/common';
import type { AnalyticsConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS } from '@gridstation/cache';
import { CLICKHOUSE, managedClickHouse } from '@gridstation/clickhouse';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class AnalyticsAdaptersModule {
  static register(config: AnalyticsConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'analytics', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      ...provideResource(CLICKHOUSE, 'clickhouse', () => managedClickHouse(config.clickhouse)),
    ];
    return { module: AnalyticsAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
