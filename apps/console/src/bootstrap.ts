import type { ConsoleConfig } from '@gridstation/config';
import { ConsoleModule } from '@gridstation/console';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';

// The operator console as its own pod: /console on the HTTP port, the scheduler's TaskService and
// ProgramService over gRPC (GS_CONSOLE_GRPC), the overview read from the pipeline pods' /metrics
// (GS_CONSOLE_METRICS). The embedded station serves the same module itself.
export function bootstrap(config: ConsoleConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [ConsoleModule.register({ grpc: config.grpcTarget, analyticsGrpc: config.analyticsTarget, commGrpc: config.commTargets, ...(config.rebalancerTarget ? { rebalancerGrpc: config.rebalancerTarget } : {}), metrics: config.metrics, users: config.users })] });
}
