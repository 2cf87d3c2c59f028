import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { TOPOLOGY, type TopologyProvider } from '@gridstation/archive';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { AlertController } from './alert.controller';
import { DEFAULT_LIMITS, LimitChecker, type LimitOptions } from './limits';
import { DEFAULT_OUTAGE_OPTIONS, OutageEngine, type OutageOptions } from './outage-engine';
import { ALERT_STORE, FEEDER_STATE_STORE, type AlertStore, type FeederStateStore } from './ports';
import { AlertHub } from './alert-hub.consumer';
import { AlertRecorder } from './alert-recorder.consumer';
import { OutageConsumer } from './outage.consumer';
import { SignalConsumer } from './signals.consumer';
import { TopologyController } from './topology.controller';

export interface AnalyticsFeatureOptions {
  producer: string;
  /** Consumer groups are <prefix>-signals, -outage, -alert-store, -live-<instance>-<uuid>. */
  groupPrefix: string;
  outage: Partial<OutageOptions>;
  limits: Partial<LimitOptions>;
  tickMs: number;
}

/**
 * The real-time analytics feature: signals -> evidence by feeder -> outage decisions -> alerts, the
 * alert recorder, the gRPC AlertService and TopologyService. Needs BUS, TOPOLOGY, FEEDER_STATE_STORE and ALERT_STORE from
 * the host's adapters, so the same feature runs in the analytics service and in the station.
 */
@Module({})
export class AnalyticsFeatureModule {
  static register(options: Partial<AnalyticsFeatureOptions> = {}): DynamicModule {
    const producer = options.producer ?? 'analytics';
    const prefix = options.groupPrefix ?? 'gs-analytics';
    return {
      module: AnalyticsFeatureModule,
      controllers: [AlertController, TopologyController],
      providers: [
        {
          provide: SignalConsumer,
          inject: [BUS, TOPOLOGY],
          useFactory: (bus: MessageBus, topology: TopologyProvider) =>
            new SignalConsumer(bus, topology, { groupId: `${prefix}-signals`, producer }, new LimitChecker({ ...DEFAULT_LIMITS, ...options.limits })),
        },
        {
          provide: OutageConsumer,
          inject: [BUS, FEEDER_STATE_STORE, TOPOLOGY, LOGGER],
          useFactory: (bus: MessageBus, store: FeederStateStore, topology: TopologyProvider, log: Logger) =>
            new OutageConsumer(bus, store, topology, log.child({ component: 'outage' }), { groupId: `${prefix}-outage`, producer, tickMs: options.tickMs ?? 25 }, new OutageEngine({ ...DEFAULT_OUTAGE_OPTIONS, ...options.outage })),
        },
        { provide: AlertRecorder, inject: [BUS, ALERT_STORE], useFactory: (bus: MessageBus, store: AlertStore) => new AlertRecorder(bus, store, `${prefix}-alert-store`) },
        { provide: AlertHub, inject: [BUS], useFactory: (bus: MessageBus) => new AlertHub(bus, `${prefix}-live-${producer}`) },
        provideWorkerLifecycle<AlertHub>(AlertHub, (w) => w.start(), (w) => w.stop(), STOP_ORDER.derived),
        provideWorkerLifecycle<AlertRecorder>(AlertRecorder, (w) => w.start(), (w) => w.stop(), STOP_ORDER.derived),
        provideWorkerLifecycle<OutageConsumer>(OutageConsumer, (w) => w.start(), (w) => w.stop(), STOP_ORDER.derived),
        provideWorkerLifecycle<SignalConsumer>(SignalConsumer, (w) => w.start(), (w) => w.stop(), STOP_ORDER.derived),
      ],
      exports: [SignalConsumer, OutageConsumer, AlertHub, AlertRecorder],
    };
  }
}
