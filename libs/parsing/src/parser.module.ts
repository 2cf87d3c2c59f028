import { Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { LOGGER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { DEFAULT_PARSER_OPTIONS, ParserWorker, type ParserOptions } from './parser-worker';

class ParserLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly worker: ParserWorker) {}
  onApplicationBootstrap(): Promise<void> {
    return this.worker.start();
  }
  beforeApplicationShutdown(): Promise<void> {
    return this.worker.stop();
  }
}

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
        { provide: ParserLifecycle, inject: [ParserWorker], useFactory: (w: ParserWorker) => new ParserLifecycle(w) },
      ],
      exports: [ParserWorker],
    };
  }
}
