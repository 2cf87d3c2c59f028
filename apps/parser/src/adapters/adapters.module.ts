import { Module, type DynamicModule } from '@nestjs/common';
import type { ParserConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS } from '@gridstation/cache';
import { redisArchiveProvider } from '@gridstation/archive';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class ParserAdaptersModule {
  static register(config: ParserConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'parser', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      redisArchiveProvider,
    ];
    return adaptersModule(ParserAdaptersModule, providers);
  }
}
