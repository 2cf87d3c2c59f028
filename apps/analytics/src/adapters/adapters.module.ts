import { Module, type DynamicModule } from '@nestjs/common';
import type { AnalyticsConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { createRedis, managedRedis, REDIS, type ManagedRedis } from '@gridstation/cache';
import { CLICKHOUSE, managedClickHouse, type ManagedClickHouse } from '@gridstation/clickhouse';
import { managedTopology, TOPOLOGY } from '@gridstation/archive';
import { ALERT_STORE, ClickHouseAlertStore, FEEDER_STATE_STORE, RedisFeederStateStore } from '@gridstation/analytics';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class AnalyticsAdaptersModule {
  static register(config: AnalyticsConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'analytics', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      ...provideResource(CLICKHOUSE, 'clickhouse', () => managedClickHouse(config.clickhouse)),
      ...provideResource(TOPOLOGY, 'topology', (log) =>
        managedTopology({ redis: () => createRedis(config.redis), subscriber: () => createRedis(config.redis), clickhouse: managedClickHouse(config.clickhouse) }, log),
      ),
      { provide: FEEDER_STATE_STORE, inject: [REDIS], useFactory: (r: ManagedRedis) => new RedisFeederStateStore(r.client, `gs:outage:${config.groupPrefix}`) },
      { provide: ALERT_STORE, inject: [CLICKHOUSE], useFactory: (ch: ManagedClickHouse) => new ClickHouseAlertStore(ch) },
    ];
    return adaptersModule(AnalyticsAdaptersModule, providers);
  }
}
