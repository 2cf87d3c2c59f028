import { Module, type DynamicModule } from '@nestjs/common';
import type { StationConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class StationAdaptersModule {
  static register(config: StationConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'station', log)),
    ];
    return { module: StationAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
