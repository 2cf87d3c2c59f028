import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dictionaryIdOf, ZstdCodec, type Dictionary } from '@gridstation/edge';
import { Downlink } from './downlink';
import { EdgeIngest, type EdgeIngestOptions } from './edge-ingest';
import { DownlinkController } from './downlink.controller';
import { TerminalController } from './terminal.controller';
import { CONNECTION_REGISTRY, type ConnectionRegistry } from './registry';
import { DEFAULT_TERMINAL_SERVER, TerminalServer, type TerminalServerOptions } from './terminal-server';

export type CommFeatureOptions = Pick<TerminalServerOptions, 'host' | 'port' | 'instanceId' | 'grpcAddress'> &
  Partial<TerminalServerOptions> & {
    /** Edge agents' streams: ring and batch limits, and the directory of zstd dictionaries (*.dict). */
    edge?: Partial<Omit<EdgeIngestOptions, 'pod' | 'address'>> & { dictionariesDir?: string };
  };

/** Every *.dict file of the directory, by the id its header declares. */
async function loadDictionaries(dir: string | undefined): Promise<Dictionary[]> {
  if (!dir) return [];
  const out: Dictionary[] = [];
  for (const f of (await readdir(dir)).filter((x) => x.endsWith('.dict')).sort()) {
    const bytes = new Uint8Array(await readFile(join(dir, f)));
    const id = dictionaryIdOf(bytes);
    if (!id) throw new Error(`${join(dir, f)} is not a zstd dictionary with an id`);
    out.push({ id, bytes });
  }
  return out;
}

/** The communication feature: terminal TCP server, downlink and terminal gRPC and the edge agents' streams; needs BUS, ARCHIVE and CONNECTION_REGISTRY. */
@Module({})
export class CommFeatureModule {
  static register(options: CommFeatureOptions): DynamicModule {
    return {
      module: CommFeatureModule,
      controllers: [DownlinkController, TerminalController],
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
        {
          provide: EdgeIngest,
          inject: [BUS, LOGGER],
          useFactory: async (bus: MessageBus, log: Logger) =>
            new EdgeIngest(
              { pod: options.instanceId, address: options.grpcAddress, ringBatches: options.edge?.ringBatches ?? 1024, publishBatches: options.edge?.publishBatches ?? 64, maxBatchBytes: options.edge?.maxBatchBytes ?? 8 << 20 },
              await ZstdCodec.create(await loadDictionaries(options.edge?.dictionariesDir)),
              bus,
              log.child({ component: 'edge' }),
            ),
        },
        provideWorkerLifecycle<TerminalServer>(TerminalServer, (s) => s.start(), (s) => s.stop(), STOP_ORDER.intake),
        provideWorkerLifecycle<EdgeIngest>(EdgeIngest, async (e) => e.start(), (e) => e.stop(), STOP_ORDER.intake),
        provideWorkerLifecycle<Downlink>(Downlink, async () => undefined, async (d) => d.close(), STOP_ORDER.intake),
      ],
      exports: [TerminalServer, Downlink, EdgeIngest],
    };
  }
}
