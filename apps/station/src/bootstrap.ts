import type { StationConfig } from '@gridstation/config';
import { startService, type RunningService } from '@gridstation/service';
import type { Telemetry } from '@gridstation/telemetry';
import { StationAdaptersModule } from './adapters/adapters.module';

// The all-in-one station of the embedded mode: one process, the in-process bus by default.
export async function bootstrap(config: StationConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  const svc = await startService({ config, telemetry, handleSignals, imports: [StationAdaptersModule.register(config)] });
  if (handleSignals && config.runSeconds > 0) {
    // Bounded runs (demos, smoke tests): the same graceful path as SIGTERM.
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), config.runSeconds * 1000).unref();
  }
  return svc;
}
