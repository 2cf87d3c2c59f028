import { ALL_SCHEMAS, ConfigError, unknownVariables, type CommonConfig } from '@gridstation/config';
import { GsError } from '@gridstation/errors';
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
  for (const u of unknownVariables(process.env, ALL_SCHEMAS)) {
    process.stderr.write(`warning: ${u.name} is not a setting of any Gridstation service; it is ignored${u.closest ? ` (did you mean ${u.closest}?)` : ''}\n`);
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
      // An error raised on purpose says what is wrong in its message; anything else gets its stack.
      process.stderr.write(`${config.service} failed to start: ${e instanceof GsError ? `${e.message} [${e.code}]` : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
