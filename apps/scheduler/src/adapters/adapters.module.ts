import { Module, type DynamicModule } from '@nestjs/common';
import type { SchedulerConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS } from '@gridstation/cache';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class SchedulerAdaptersModule {
  static register(config: SchedulerConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'scheduler', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
    ];
    return adaptersModule(SchedulerAdaptersModule, providers);
  }
}
