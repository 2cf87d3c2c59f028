import { Module, type DynamicModule } from '@nestjs/common';
import type { CommConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS, type ManagedRedis } from '@gridstation/cache';
import { redisArchiveProvider } from '@gridstation/archive';
import { CONNECTION_REGISTRY, RedisRegistry } from '@gridstation/ingest';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class CommAdaptersModule {
  static register(config: CommConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'comm', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      redisArchiveProvider,
      { provide: CONNECTION_REGISTRY, inject: [REDIS], useFactory: (r: ManagedRedis) => new RedisRegistry(r.client) },
    ];
    return adaptersModule(CommAdaptersModule, providers);
  }
}
