import { Module, type DynamicModule } from '@nestjs/common';
import { provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import { parseUsers, Sessions, type User } from './auth';
import { CONSOLE_OPTIONS, ConsoleController, type ConsoleOptions } from './console.controller';
import { MetricsSampler } from './metrics';

export interface ConsoleModuleOptions {
  /** gRPC address of TaskService and ProgramService; a function when it is known only once the server listens. */
  grpc: string | (() => string);
  /** AlertService and TopologyService (analytics); the `grpc` address when not given. */
  analyticsGrpc?: string | (() => string);
  /** TerminalService of each communication instance; the `grpc` address when not given. */
  commGrpc?: readonly string[] | (() => readonly string[]);
  /** RebalancerService (the distributed mode's rebalancer). */
  rebalancerGrpc?: string;
  /** /metrics URLs the overview reads. */
  metrics: readonly string[] | (() => readonly string[]);
  users: readonly User[] | string;
}

/** The operator console at /console on the service's HTTP port (the station, or apps/console as its own pod). */
@Module({})
export class ConsoleModule {
  static register(o: ConsoleModuleOptions): DynamicModule {
    const users = typeof o.users === 'string' ? parseUsers(o.users) : o.users;
    return {
      module: ConsoleModule,
      controllers: [ConsoleController],
      providers: [
        { provide: MetricsSampler, useFactory: () => new MetricsSampler(o.metrics) },
        provideWorkerLifecycle<MetricsSampler>(MetricsSampler, async (s) => s.start(), async (s) => s.stop(), STOP_ORDER.derived),
        { provide: CONSOLE_OPTIONS, inject: [MetricsSampler], useFactory: (sampler: MetricsSampler): ConsoleOptions => ({ grpc: o.grpc, ...(o.analyticsGrpc ? { analyticsGrpc: o.analyticsGrpc } : {}), ...(o.commGrpc ? { commGrpc: o.commGrpc } : {}), ...(o.rebalancerGrpc ? { rebalancerGrpc: o.rebalancerGrpc } : {}), sessions: new Sessions(users), sampler }) },
      ],
    };
  }
}
