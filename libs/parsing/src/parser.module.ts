import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { normalizeFrame } from '@gridstation/protocols';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { DEFAULT_PARSER_OPTIONS, RawFramesConsumer, type ParserOptions } from './raw-frames.consumer';

/** The parsing feature; needs BUS and ARCHIVE from the host's adapters module. */
@Module({})
export class ParserFeatureModule {
  static register(options: Partial<ParserOptions> = {}): DynamicModule {
    return {
      module: ParserFeatureModule,
      providers: [
        {
          provide: RawFramesConsumer,
          inject: [BUS, ARCHIVE, LOGGER],
          useFactory: (bus: MessageBus, archive: DeviceArchive, log: Logger) => new RawFramesConsumer(bus, archive, { ...DEFAULT_PARSER_OPTIONS, ...options }, normalizeFrame, log.child({ component: 'parser' })),
        },
        provideWorkerLifecycle<RawFramesConsumer>(RawFramesConsumer, (w) => w.start(), (w) => w.stop(), STOP_ORDER.processing),
      ],
      exports: [RawFramesConsumer],
    };
  }
}
