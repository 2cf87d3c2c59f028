import { Module, type DynamicModule } from '@nestjs/common';
import type { ParserConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS, type ManagedRedis } from '@gridstation/cache';
import { ARCHIVE, CachedArchive, RedisArchive } from '@gridstation/archive';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class ParserAdaptersModule {
  static register(config: ParserConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'parser', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      { provide: ARCHIVE, inject: [REDIS], useFactory: (r: ManagedRedis) => new CachedArchive(new RedisArchive(r.client), 30_000) },
    ];
    return { module: ParserAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
