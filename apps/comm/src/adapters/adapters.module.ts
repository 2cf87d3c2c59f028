import { Module, type DynamicModule } from '@nestjs/common';
import type { CommConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS } from '@gridstation/cache';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class CommAdaptersModule {
  static register(config: CommConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'comm', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
    ];
    return { module: CommAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
