import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnalyticsFeatureModule } from '@gridstation/analytics';
import { ARCHIVE, TOPOLOGY, type DeviceArchive, type StaticTopology } from '@gridstation/archive';
import { BUS, type MessageBus } from '@gridstation/bus';
import { CollectionFeatureModule } from '@gridstation/collection';
import { ConsoleModule, parseUsers, type User } from '@gridstation/console';
import { storeOpenError } from '@gridstation/errors';
import type { StationConfig } from '@gridstation/config';
import { CommFeatureModule, TerminalServer } from '@gridstation/ingest';
import { ParserFeatureModule, RawFramesConsumer } from '@gridstation/parsing';
import { DEFAULT_VALIDITY, StorageFeatureModule, StorageService } from '@gridstation/persistence';
import { SchedulerFeatureModule, WORKER_GRPC_SERVICE } from '@gridstation/scheduler';
import { startService, type RunningService } from '@gridstation/service';
import { DEFAULT_SIMULATOR, OutageInjector, Simulator, simulatorTopology } from '@gridstation/simulator';
import type { Telemetry } from '@gridstation/telemetry';
import { StationAdaptersModule } from './adapters/adapters.module';
import { StationCollectionModule } from './collection';
import { STATION_HOOKS, StationHooksModule, type StationHooks } from './hooks';
import { DeadLetterLog } from './dead-letter-log.consumer';
import { LiveSummary } from './summary';

// The all-in-one station of the embedded mode: communication, parsing, storage, the scheduler (with
// in-process workers) and collection operations in one process over
// the in-process bus, DuckDB + LevelDB on local disk; optionally the built-in simulator feeding it and a
// live summary on stdout.
export async function bootstrap(config: StationConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (e) {
    throw storeOpenError('the data directory', resolve(config.dataDir), e);
  }
  const t = config.terminal;
  // The console reaches this process's own gRPC and /metrics; their ports are known once it listens.
  const self = { grpc: '', metrics: [] as string[] };
  const consoleUsers = config.console ? demoUsers(config.console.users) : undefined;
  const svc = await startService({
    config,
    telemetry,
    handleSignals,
    imports: [
      StationAdaptersModule.register(config),
      StationHooksModule.register(),
      // Global: collection's ports use the terminal server, the downlink and the scheduler.
      { ...CommFeatureModule.register({ ...t, instanceId: config.instanceId, grpcAddress: t.advertiseGrpc }), global: true },
      ParserFeatureModule.register({ producer: 'station', tzOffsetMinutes: config.tzOffsetMinutes }),
      StorageFeatureModule.register({ batchRows: config.batch.rows, batchDelayMs: config.batch.delayMs, wideLayout: config.batch.wideLayout, validity: { ...DEFAULT_VALIDITY, recentCapacity: config.batch.duplicateWindow }, producer: 'station' }),
      // The same scheduler as the distributed service, with its workers in this process.
      { ...SchedulerFeatureModule.register({ scheduler: { ...config.scheduling, owner: config.instanceId }, capacity: config.capacity, inProcessWorkers: true }), global: true },
      // Collection plans on that scheduler, reading terminals through this process's downlink.
      StationCollectionModule.register(config),
      CollectionFeatureModule.register({ tickMs: 5_000 }),
      // Outages and limits on the same events and readings, alerts over AlertService.
      ...(config.analytics ? [AnalyticsFeatureModule.register({ producer: 'station', outage: config.outage, limits: config.limits, groupPrefix: config.analyticsGroupPrefix })] : []),
      ...(consoleUsers ? [ConsoleModule.register({ grpc: () => self.grpc, metrics: () => self.metrics, users: consoleUsers.users })] : []),
    ],
    grpc: {
      packages: ['gridstation.v1'],
      files: ['gridstation/v1/query.proto', 'gridstation/v1/downlink.proto', 'gridstation/v1/terminal.proto', 'gridstation/v1/task.proto', 'gridstation/v1/program.proto', 'gridstation/v1/collection.proto', ...(config.analytics ? ['gridstation/v1/alert.proto', 'gridstation/v1/topology.proto'] : [])],
      direct: [WORKER_GRPC_SERVICE],
    },
  });
  const { app, logger } = svc;
  const httpPort = (app.getHttpServer().address() as { port: number }).port;
  self.grpc = svc.grpcAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  self.metrics = [`http://127.0.0.1:${httpPort}/metrics`];
  const consoleHost = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const consoleLine = consoleUsers ? `console: http://${consoleHost}:${httpPort}/console/${consoleUsers.printed ? ` (sign in as ${consoleUsers.printed})` : ''}` : '';
  const comm = app.get(TerminalServer);
  const parser = app.get(RawFramesConsumer);
  const storage = app.get(StorageService);
  const bus = app.get<MessageBus>(BUS);

  // Dead letters of the embedded mode land in a JSON-lines file next to the data.
  const deadLetterLog = new DeadLetterLog(bus, { file: join(config.dataDir, 'dead-letters.jsonl'), maxFileBytes: config.deadLetters.maxFileBytes, maxFiles: config.deadLetters.maxFiles });
  await deadLetterLog.start();
  const deadLetterFile = deadLetterLog.file;

  const archive = app.get<DeviceArchive>(ARCHIVE);
  if (config.archiveFile) logger.info({ file: config.archiveFile }, 'archive loaded');

  let sim: Simulator | undefined;
  let injector: OutageInjector | undefined;
  if (config.simulator.terminals > 0) {
    // A demo feed: readings are counted, not kept (a long run would otherwise hold every value in memory).
    sim = new Simulator({ ...DEFAULT_SIMULATOR, ...config.simulator, host: '127.0.0.1', port: comm.port, tzOffsetMinutes: config.tzOffsetMinutes, heartbeatMs: 60_000, keepTruth: false, spreadRounds: true });
    await archive.put(sim.archive());
    // Outage analysis locates supply loss on the simulated grid.
    app.get<StaticTopology>(TOPOLOGY).load(simulatorTopology(sim));
    const running = sim;
    if (config.demoOutages.everyMs > 0) injector = new OutageInjector(sim.terminals, { ...config.demoOutages, onError: (e) => logger.warn({ err: e }, 'a demo outage did not end cleanly') });
    void (async () => {
      await running.connect();
      logger.info({ terminals: running.stats().loggedIn, refused: running.stats().refused }, 'simulator connected');
      injector?.start();
      await running.run(Number.MAX_SAFE_INTEGER);
    })().catch((e: unknown) => logger.error({ err: e }, 'simulator failed'));
  }

  const where = `readings: DuckDB ${resolve(config.dataDir, 'readings.duckdb')} | raw frames + per-meter rows: LevelDB ${resolve(config.dataDir, 'meter-data')} | dead letters: ${resolve(deadLetterFile)} | tasks: LevelDB ${resolve(config.dataDir, 'tasks')} | gRPC ${svc.grpcAddress} (ReadingQueryService, DownlinkService, TerminalService, TaskService, ProgramService, CollectionService${config.analytics ? ', AlertService, TopologyService' : ''}) | terminals tcp/${comm.port}`;
  let timer: NodeJS.Timeout | undefined;
  if (config.summaryIntervalMs > 0) {
    const summary = new LiveSummary({
      comm: () => comm.stats(),
      parser: () => parser.stats(),
      storage: () => storage.stats(),
      deadLetters: () => deadLetterLog.written,
      intervalLatency: () => storage.readings.takeIntervalLatency(),
      ...(sim ? { offered: () => sim!.truth.sent } : {}),
    });
    process.stdout.write(`gridstation embedded: ${where}\n`);
    if (consoleLine) process.stdout.write(`${consoleLine}\n`);
    timer = setInterval(() => process.stdout.write(`${new Date().toISOString()} ${summary.line()}\n`), config.summaryIntervalMs);
    timer.unref();
  }

  const hooks = app.get<StationHooks>(STATION_HOOKS);
  hooks.beforeShutdown.push(async () => {
    if (timer) clearInterval(timer);
    await injector?.stop();
    await sim?.close();
  });
  hooks.afterShutdown.push(async () => {
    if (config.summaryIntervalMs > 0) {
      const s = storage.stats();
      process.stdout.write(`stopped: ${s.readingsStored} readings, ${s.eventsStored} events, ${s.framesStored} frame rows stored; ${deadLetterLog.written} dead letters. Data: ${where}\n`);
    }
  });
  if (consoleLine && config.summaryIntervalMs <= 0) logger.info({ console: `http://${consoleHost}:${httpPort}/console/` }, 'console');
  if (handleSignals && config.runSeconds > 0) {
    // Bounded runs (demos, smoke tests): the same graceful path as SIGTERM.
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), config.runSeconds * 1000).unref();
  }
  return svc;
}

/** The console's users: as configured, or an operator and a viewer with passwords made now (printed once). */
function demoUsers(spec: string): { users: User[]; printed?: string } {
  if (spec) return { users: parseUsers(spec) };
  const pw = () => randomBytes(9).toString('base64url');
  const op = pw();
  const view = pw();
  return { users: [{ name: 'operator', role: 'operator', secret: `plain:${op}` }, { name: 'viewer', role: 'read-only', secret: `plain:${view}` }], printed: `operator / ${op}, or viewer / ${view} (read-only)` };
}
