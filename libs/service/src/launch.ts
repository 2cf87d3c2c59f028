import { ConfigError, type CommonConfig } from '@gridstation/config';
import { startTelemetry, type Telemetry } from '@gridstation/telemetry';

/**
 * The body of every main.ts: telemetry starts first, then the service's bootstrap module is loaded (so
 * Nest and the clients it creates load after the SDK runs). Configuration errors end the process with
 * exit code 2 and the list of problems; other start-up failures with exit code 1.
 */
export function launch<C extends CommonConfig>(
  loadConfig: () => C,
  loadBootstrap: () => Promise<{ bootstrap(config: C, telemetry: Telemetry): Promise<unknown> }>,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const telemetry = startTelemetry({
    service: config.service,
    instanceId: config.instanceId,
    tracesExporter: config.telemetry.tracesExporter,
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  loadBootstrap()
    .then((m) => m.bootstrap(config, telemetry))
    .catch((e: unknown) => {
      process.stderr.write(`${config.service} failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
