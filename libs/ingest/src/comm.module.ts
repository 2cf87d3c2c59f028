import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { Downlink } from './downlink';
import { DownlinkController } from './downlink.controller';
import { CONNECTION_REGISTRY, type ConnectionRegistry } from './registry';
import { DEFAULT_TERMINAL_SERVER, TerminalServer, type TerminalServerOptions } from './terminal-server';

export type CommFeatureOptions = Pick<TerminalServerOptions, 'host' | 'port' | 'instanceId' | 'grpcAddress'> & Partial<TerminalServerOptions>;

/** The communication feature: terminal TCP server and downlink gRPC; needs BUS, ARCHIVE and CONNECTION_REGISTRY. */
@Module({})
export class CommFeatureModule {
  static register(options: CommFeatureOptions): DynamicModule {
    return {
      module: CommFeatureModule,
      controllers: [DownlinkController],
      providers: [
        {
          provide: TerminalServer,
          inject: [BUS, ARCHIVE, CONNECTION_REGISTRY, LOGGER],
          useFactory: (bus: MessageBus, archive: DeviceArchive, registry: ConnectionRegistry, log: Logger) =>
            new TerminalServer({ ...DEFAULT_TERMINAL_SERVER, ...options }, bus, archive, registry, log.child({ component: 'comm' })),
        },
        {
          provide: Downlink,
          inject: [TerminalServer, CONNECTION_REGISTRY, ARCHIVE],
          useFactory: (server: TerminalServer, registry: ConnectionRegistry, archive: DeviceArchive) => new Downlink(server, registry, archive, options.instanceId),
        },
        provideWorkerLifecycle<TerminalServer>(TerminalServer, (s) => s.start(), (s) => s.stop(), STOP_ORDER.intake),
        provideWorkerLifecycle<Downlink>(Downlink, async () => undefined, async (d) => d.close(), STOP_ORDER.intake),
      ],
      exports: [TerminalServer, Downlink],
    };
  }
}
