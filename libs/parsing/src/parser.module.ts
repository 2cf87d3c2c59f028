import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { LOGGER, provideWorkerLifecycle } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { DEFAULT_PARSER_OPTIONS, ParserWorker, type ParserOptions } from './parser-worker';

/** The parsing feature; needs BUS and ARCHIVE from the host's adapters module. */
@Module({})
export class ParserFeatureModule {
  static register(options: Partial<ParserOptions> = {}): DynamicModule {
    return {
      module: ParserFeatureModule,
      providers: [
        {
          provide: ParserWorker,
          inject: [BUS, ARCHIVE, LOGGER],
          useFactory: (bus: MessageBus, archive: DeviceArchive, log: Logger) =>
            new ParserWorker(bus, archive, log.child({ component: 'parser' }), { ...DEFAULT_PARSER_OPTIONS, ...options }),
        },
        provideWorkerLifecycle<ParserWorker>(ParserWorker, (w) => w.start(), (w) => w.stop()),
      ],
      exports: [ParserWorker],
    };
  }
}
