import { Module, type DynamicModule } from '@nestjs/common';
import type { ParserConfig } from '@gridstation/config';
import { provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class ParserAdaptersModule {
  static register(config: ParserConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'parser', log)),
    ];
    return { module: ParserAdaptersModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}
