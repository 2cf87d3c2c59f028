import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import type { RebalancerConfig } from '@gridstation/config';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER, startService, type RunningService } from '@gridstation/service';
import type { Logger, Telemetry } from '@gridstation/telemetry';
import { RebalancerAdaptersModule } from './adapters/adapters.module';
import { RebalancerController } from './rebalancer.controller';
import { RebalancerLoop } from './rebalancer.loop';

@Module({})
class RebalancerModule {
  static register(config: RebalancerConfig): DynamicModule {
    return {
      module: RebalancerModule,
      controllers: [RebalancerController],
      providers: [
        { provide: RebalancerLoop, inject: [BUS, LOGGER], useFactory: (bus: MessageBus, log: Logger) => new RebalancerLoop(config.pods, config.policy, config.periodMs, bus, log.child({ component: 'rebalancer' })) },
        provideWorkerLifecycle<RebalancerLoop>(RebalancerLoop, async (l) => l.start(), (l) => l.stop(), STOP_ORDER.derived),
      ],
    };
  }
}

// Rebalancer: reads every station pod's load and the agents it holds (EdgeControlService), finds
// hotspots (load > beta x mean for k periods and above an absolute rate), moves agents from them to
// the least-loaded pods at a bounded rate, and publishes each decision on gs.rebalance.v1; every
// period's decision is served by RebalancerService.
export function bootstrap(config: RebalancerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [RebalancerAdaptersModule.register(config), RebalancerModule.register(config)], grpc: { packages: ['gridstation.v1'], files: ['gridstation/v1/rebalancer.proto'] } });
}
