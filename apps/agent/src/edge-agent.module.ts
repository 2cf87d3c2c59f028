import { readFile } from 'node:fs/promises';
import { Module, type DynamicModule } from '@nestjs/common';
import type { AgentConfig } from '@gridstation/config';
import { dictionaryIdOf, EDGE_QUANTITIES, EdgeAgent, SimulatedMeters, Spool, ZstdCodec, type EdgeRecord } from '@gridstation/edge';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import { gsMeter, type Logger } from '@gridstation/telemetry';

// The agent's work: read the local meters every read interval, close a batch every window, hand it to
// the EdgeAgent (spool, compression, stream to the station). The meters are simulated here; a real
// gateway would read them over DL/T 645 on its RS-485 ports into the same records.

const meter = gsMeter('agent');
const m = {
  records: meter.createCounter('gs_agent_records_total', { description: 'Records read from the local meters' }),
  unacked: meter.createObservableGauge('gs_agent_unacked_batches', { description: 'Batches in the spool, not yet acknowledged by the station' }),
  spooled: meter.createObservableGauge('gs_agent_spool_bytes', { description: 'Bytes in the spool' }),
  dropped: meter.createObservableGauge('gs_agent_windows_dropped', { description: 'Windows not taken because the spool was full' }),
};

export class AgentLoop {
  private readTimer?: NodeJS.Timeout;
  private windowTimer?: NodeJS.Timeout;
  private window: EdgeRecord[] = [];
  private windowStart = Date.now();
  private submitting: Promise<void> = Promise.resolve();
  private readonly gauge = {
    unacked: (r: { observe(v: number): void }) => r.observe(this.agent.unacked),
    spooled: (r: { observe(v: number): void }) => r.observe(this.agent.spooledBytes),
    dropped: (r: { observe(v: number): void }) => r.observe(this.agent.stats.windowsDropped),
  };

  constructor(
    readonly agent: EdgeAgent,
    private readonly meters: SimulatedMeters,
    private readonly o: AgentConfig['agent'],
    private readonly log: Logger,
  ) {}

  start(): void {
    this.agent.start();
    m.unacked.addCallback(this.gauge.unacked);
    m.spooled.addCallback(this.gauge.spooled);
    m.dropped.addCallback(this.gauge.dropped);
    this.readTimer = setInterval(() => {
      const t = Math.floor(Date.now() / this.o.readMs) * this.o.readMs;
      const records = this.meters.read(t);
      this.window.push(...records);
      m.records.add(records.length);
    }, this.o.readMs);
    this.windowTimer = setInterval(() => this.close(), this.o.windowMs);
    this.log.info({ agent: this.o.id, meters: this.o.meters, windowMs: this.o.windowMs }, 'edge agent reading its meters');
  }

  private close(): void {
    const records = this.window;
    const start = this.windowStart;
    this.window = [];
    this.windowStart = Date.now();
    this.submitting = this.submitting.then(() => this.agent.submit(records, start)).catch((e: unknown) => this.log.error({ err: e }, 'a batch could not be spooled'));
  }

  async stop(): Promise<void> {
    clearInterval(this.readTimer);
    clearInterval(this.windowTimer);
    this.close();
    await this.submitting;
    m.unacked.removeCallback(this.gauge.unacked);
    m.spooled.removeCallback(this.gauge.spooled);
    m.dropped.removeCallback(this.gauge.dropped);
    await this.agent.stop();
  }
}

@Module({})
export class EdgeAgentModule {
  static register(config: AgentConfig): DynamicModule {
    const a = config.agent;
    return {
      module: EdgeAgentModule,
      providers: [
        {
          provide: AgentLoop,
          inject: [LOGGER],
          useFactory: async (log: Logger) => {
            const dict = a.dictionary ? new Uint8Array(await readFile(a.dictionary)) : undefined;
            const dictionaryId = dict ? dictionaryIdOf(dict) : 0;
            if (dict && !dictionaryId) throw new Error(`${a.dictionary} is not a zstd dictionary with an id`);
            const codec = await ZstdCodec.create(dict ? [{ id: dictionaryId, bytes: dict }] : []);
            const spool = await Spool.open(a.spoolDir, a.spoolBytes);
            const agent = new EdgeAgent(
              { agentId: a.id, site: a.site, addresses: config.stations, quantities: EDGE_QUANTITIES, dictionaryId, maxInFlight: a.maxInFlight, rateBytesPerSec: a.rateBytes, burstBytes: Math.max(1 << 20, a.rateBytes), reconnectMs: 1_000, drainMs: 5_000 },
              codec,
              spool,
              a.meters,
            );
            return new AgentLoop(agent, new SimulatedMeters(a.region, a.index, a.meters), a, log.child({ component: 'edge' }));
          },
        },
        provideWorkerLifecycle<AgentLoop>(AgentLoop, async (l) => l.start(), (l) => l.stop(), STOP_ORDER.intake),
      ],
    };
  }
}
