// End-to-end benchmark against the raw limits of the same machine, in one run:
//   1. the distributed pipeline (comm, parser, storage as processes over real Kafka, ClickHouse, HBase,
//      Redis), fed by the simulator over TCP at rising load until latency or throughput breaks;
//   2. the embedded mode (one station process) at rising load;
//   3. the raw limits for the same data: Kafka's perf tools at the pipeline's record size and acks,
//      clickhouse-client bulk insert of the same rows from a file, HBase multi-put of the same rows;
//   4. the naive path: one Kafka record per reading and one small insert per reading;
// then the ratios. Prints a table and writes tmp/bench/pipeline-<time>.json (and latest.json).
//
//   npm run -s bench                  full run (about 15 minutes)
//   npm run -s bench -- --short       a few seconds per part (what CI runs; no timing assertions)
//   npm run -s bench -- --profile     also write V8 CPU profiles of every service and print their top costs
//   npm run -s bench -- --only=pipeline,embedded,raw,naive   a subset (raw and naive need a pipeline sample)
//   npm run -s bench -- --rates=0.05,0.1   the pipeline's report rates (rounds/s per terminal) instead of the plan's
//   npm run -s bench -- --before=GS_X=1,GS_Y=2   first run the pipeline steps with these service settings
//                                     (the "before" of a change), then as configured, and print the ratios
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { RedisArchive } from '@gridstation/archive';
import { TOPICS } from '@gridstation/bus';
import { closeRedis, createRedis } from '@gridstation/cache';
import { ReadingBatch } from '@gridstation/contracts';
import { ThriftHBaseStore } from '@gridstation/hbase';
import { ClickHouseHaPool, ClickHouseReadingStore, meterTableSpec, type StoredReading } from '@gridstation/persistence';
import { Simulator, DEFAULT_SIMULATOR, QUARTER_MS } from '@gridstation/simulator';
import { configureTestEnvironment, distributedServiceEnv, freePort, httpGet, infra, localServiceEnv, requireService, spawnMain, testEnvironment, testLogger, waitFor, type SpawnedMain } from '@gridstation/testing';
import { naivePath, type NaiveResult } from './pipeline/naive';
import { infraPids, ProcWatch } from './pipeline/observe';
import { busiestStep, cpuBudget, type CpuBudget } from './pipeline/budget';
import { newestProfile, summarize, type ProfileSummary } from './pipeline/profile';
import { clickhouseRaw, hbaseRaw, kafkaRaw, writeTsv, type ClickHouseRaw, type HBaseRaw, type KafkaRaw } from './pipeline/raw';
import { breakReason, drain, measureStep, P99_TARGET_MS, type StepResult } from './pipeline/steps';

const args = process.argv.slice(2);
const short = args.includes('--short');
const profiling = args.includes('--profile');
const before = args.find((a) => a.startsWith('--before='))?.slice(9);
const beforeEnv: Record<string, string> = Object.fromEntries((before ? before.split(',') : []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const only = new Set((args.find((a) => a.startsWith('--only='))?.slice(7) ?? 'pipeline,embedded,raw,naive').split(','));

const PLAN = short
  ? { terminals: 40, meters: 8, rates: [0.25, 0.5], embeddedRates: [0.5], warmupMs: 3000, windowMs: 5000, chRows: 100_000, hbaseReadings: 20_000, kafkaReadings: 200_000, naiveSeconds: 5 }
  : { terminals: 400, meters: 8, rates: [0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.75, 1, 1.5, 2, 3], embeddedRates: [0.2, 0.5, 1, 2, 3, 5], warmupMs: 5000, windowMs: 20_000, chRows: 2_000_000, hbaseReadings: 300_000, kafkaReadings: 4_000_000, naiveSeconds: 20 };

const ratesArg = args.find((a) => a.startsWith('--rates='))?.slice(8);
if (ratesArg) PLAN.rates = ratesArg.split(',').map(Number);
const hbaseArg = args.find((a) => a.startsWith('--hbase-readings='))?.slice(17);
if (hbaseArg) PLAN.hbaseReadings = Number(hbaseArg);

configureTestEnvironment({ repoRoot: join(__dirname, '..', '..', '..') });
const REPO_ROOT = testEnvironment().repoRoot;
const INFRA_DIR = testEnvironment().infraDir;
const OUT = join(REPO_ROOT, 'tmp', 'bench');
const RUN_ID = new Date().toISOString().replace(/[:.]/g, '-');
const PROFILE_DIR = join(OUT, 'profiles', RUN_ID);
const DATABASE = 'gs_bench';
const RAW_DATABASE = 'gs_bench_raw';
const HBASE_TABLE = 'bench_meter_data';

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Service {
  name: string;
  main: SpawnedMain;
  httpPort: number;
  env: Record<string, string>;
}

/** Services started and not yet exited: a failed run must not leave them consuming in the shared groups. */
const running = new Set<Service>();

async function startService(app: string, name: string, env: Record<string, string>): Promise<Service> {
  const httpPort = Number(env['GS_HTTP_PORT']);
  if (profiling) mkdirSync(join(PROFILE_DIR, name), { recursive: true });
  const main = spawnMain(`apps/${app}/src/main.ts`, env, profiling ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : []);
  const s = { name, main, httpPort, env };
  running.add(s);
  void main.exit.then(() => running.delete(s));
  const exited = main.exit.then(() => {
    throw new Error(`${name} exited: ${(main.out.stdout + main.out.stderr).slice(-3000)}`);
  });
  await Promise.race([exited, waitFor(async () => (await httpGet(httpPort, '/readyz').catch(() => ({ status: 0 }))).status === 200, `${name} ready`, 120_000, 250)]);
  exited.catch(() => undefined);
  return s;
}

async function stopService(s: Service): Promise<void> {
  if (s.main.child.exitCode !== null) return;
  s.main.child.kill('SIGTERM');
  const timer = setTimeout(() => s.main.child.kill('SIGKILL'), 60_000);
  await s.main.exit;
  clearTimeout(timer);
}

function pidOf(s: Service): number {
  return s.main.child.pid ?? 0;
}

// --- the distributed pipeline ---------------------------------------------------------------------------

interface PipelineOutcome {
  steps: StepResult[];
  readingsPerTerminalRound: number;
  recordBytes: number;
  readingsPerRecord: number;
  sample: StoredReading[];
  profiles: Record<string, ProfileSummary | undefined>;
}

async function resetGroups(admin: Admin): Promise<void> {
  // Start the services' groups at the end of their topics so that no backlog from earlier runs is measured.
  // Kafka's own group tool: kafkajs' setOffsets joins the group with a temporary consumer and can wait for a long time.
  const topics = new Set(await admin.listTopics());
  for (const [groupId, list] of [['gs-parser', [TOPICS.rawFrames]], ['gs-storage', [TOPICS.readings]], ['gs-storage-events', [TOPICS.events]]] as const) {
    const present = list.filter((t) => topics.has(t));
    if (present.length === 0) continue;
    execFileSync('java', ['-cp', `${join(INFRA_DIR, 'kafka', 'libs')}/*`, '-Dlog4j.configuration=file:/dev/null', 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server', infra.kafkaBrokers[0]!, '--group', groupId, '--reset-offsets', '--to-latest', '--execute', ...present.flatMap((t) => ['--topic', t])], { timeout: 120_000, stdio: 'ignore' });
  }
}

async function pipeline(admin: Admin, kafka: Kafka, settings: Record<string, string> = {}): Promise<PipelineOutcome> {
  const ch = createClient({ url: infra.clickhouseUrl });
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
  await ch.close();
  await resetGroups(admin);
  const startOffsets = (await admin.listTopics()).includes(TOPICS.readings) ? await admin.fetchTopicOffsets(TOPICS.readings) : [];

  const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`bench-${name}`, { database: DATABASE, extra: { ...settings, ...extra } });
  const terminalPort = await freePort();
  const services = [
    await startService('comm', 'comm', await env('comm', { GS_TERMINAL_PORT: String(terminalPort), GS_TERMINAL_HOST: '127.0.0.1' })),
    await startService('parser', 'parser', await env('parser')),
    await startService('storage', 'storage', await env('storage')),
  ];
  const region = String(1000 + Math.floor(Math.random() * 8000));
  const sim = new Simulator({
    ...DEFAULT_SIMULATOR,
    host: '127.0.0.1',
    port: terminalPort,
    region,
    terminals: PLAN.terminals,
    metersPerTerminal: PLAN.meters,
    badFrameEvery: 0,
    eventEvery: 0,
    unknownTerminals: 0,
    heartbeatMs: 60_000,
    keepTruth: false,
    spreadRounds: true,
    // Far enough back that the fastest step never reaches "now" (validity would flag future data).
    startMs: Math.floor((Date.now() - 300 * 86_400_000) / QUARTER_MS) * QUARTER_MS,
  });
  const redis = createRedis({ url: infra.redisUrl });
  await new RedisArchive(redis).put(sim.archive());
  await closeRedis(redis);
  await sim.connect();
  if (sim.stats().loggedIn !== PLAN.terminals) throw new Error(`only ${sim.stats().loggedIn} of ${PLAN.terminals} terminals logged in`);

  const watch = new ProcWatch(() => ({ ...Object.fromEntries(services.map((s) => [s.name, pidOf(s)])), 'load generator': process.pid, ...infraPids(INFRA_DIR) }));
  const steps: StepResult[] = [];
  let perTerminalRound = PLAN.meters * 45;
  for (const rate of PLAN.rates) {
    const requested = perTerminalRound * PLAN.terminals * rate;
    const rounds = Math.ceil(((PLAN.warmupMs + PLAN.windowMs) / 1000 + 1) * rate) + 1;
    const before = { sent: sim.truth.sent, rounds: sim.stats().rounds };
    log(`pipeline: ${rate} rounds/s x ${PLAN.terminals} terminals (~${Math.round(requested)} readings/s asked)`);
    const load = sim.run(rounds, {}, rate);
    const step = await measureStep(`${Math.round(requested / 1000)}k/s asked`, { ports: services.map((s) => s.httpPort), offered: () => sim.truth.sent, watch, admin }, PLAN.warmupMs, PLAN.windowMs, requested);
    await load;
    const after = { sent: sim.truth.sent, rounds: sim.stats().rounds };
    if (after.rounds > before.rounds) perTerminalRound = (after.sent - before.sent) / ((after.rounds - before.rounds) * PLAN.terminals);
    const drainMs = await drain(admin, 60_000);
    log(`  offered ${Math.round(step.offeredPerSec)}/s stored ${Math.round(step.storedPerSec)}/s p99 ${Math.round(step.p99Ms ?? -1)} ms; drained in ${Math.round(drainMs)} ms`);
    steps.push(step);
    const why = breakReason(step);
    if (why) {
      step.broke = why;
      break;
    }
  }
  await sim.close();

  // The pipeline's own records and rows: the data the raw limits are measured with.
  const sampled = await sampleRecords(kafka, startOffsets, short ? 300 : 2000);
  const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database: DATABASE, username: 'default', password: '', requestTimeoutMs: 30_000, asyncInsert: 'off' }, testLogger());
  await pool.start();
  const sample = await new ClickHouseReadingStore(pool).readingsOf(sim.meterIds().slice(0, short ? 40 : 200));
  await pool.close();
  if (sample.length === 0) throw new Error('the pipeline stored none of the sampled meters\' readings');
  for (const s of services.reverse()) await stopService(s);
  const profiles: Record<string, ProfileSummary | undefined> = {};
  if (profiling) {
    for (const s of services) {
      const f = newestProfile(join(PROFILE_DIR, s.name));
      profiles[s.name] = f ? summarize(f, REPO_ROOT) : undefined;
    }
  }
  return { steps, readingsPerTerminalRound: perTerminalRound, ...sampled, sample, profiles };
}

async function sampleRecords(kafka: Kafka, start: Array<{ partition: number; offset: string }>, want: number): Promise<{ recordBytes: number; readingsPerRecord: number }> {
  const consumer = kafka.consumer({ groupId: `gs-bench-sample-${Date.now()}` });
  await consumer.connect();
  // From the beginning when the topic was created by this run (no start offsets to seek to).
  await consumer.subscribe({ topic: TOPICS.readings, fromBeginning: start.length === 0 });
  let bytes = 0;
  let records = 0;
  let readings = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (records >= want || !message.value) return;
      bytes += message.value.length;
      readings += ReadingBatch.decode(message.value).readings.length;
      records++;
    },
  });
  // Seek once the group has assigned the partitions: a seek issued before the assignment can be lost.
  const seekAll = () => {
    for (const p of start) consumer.seek({ topic: TOPICS.readings, partition: p.partition, offset: p.offset });
  };
  consumer.on(consumer.events.GROUP_JOIN, seekAll);
  seekAll();
  await waitFor(() => records >= want, `${want} sample records of ${TOPICS.readings}`, 60_000, 100).catch(() => undefined);
  await consumer.disconnect();
  if (records === 0) throw new Error(`no records of ${TOPICS.readings} could be sampled`);
  return { recordBytes: Math.round(bytes / records), readingsPerRecord: readings / records };
}

// --- the embedded mode ------------------------------------------------------------------------------------

async function embedded(perTerminalRound: number, settings: Record<string, string> = {}): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  for (const rate of PLAN.embeddedRates) {
    const requested = perTerminalRound * PLAN.terminals * rate;
    const dataDir = join(OUT, 'embedded-data');
    rmSync(dataDir, { recursive: true, force: true });
    log(`embedded: ${rate} rounds/s x ${PLAN.terminals} terminals (~${Math.round(requested)} readings/s asked)`);
    const station = await startService('station', 'station', {
      ...(await localServiceEnv()),
      GS_INSTANCE_ID: 'bench-station',
      GS_TERMINAL_PORT: String(await freePort()),
      GS_TERMINAL_HOST: '127.0.0.1',
      GS_DATA_DIR: dataDir,
      GS_SIM_TERMINALS: String(PLAN.terminals),
      GS_SIM_METERS: String(PLAN.meters),
      GS_SIM_RATE: String(rate),
      ...settings,
    });
    const watch = new ProcWatch(() => ({ 'station (incl. simulator)': pidOf(station) }));
    try {
      const step = await measureStep(`${Math.round(requested / 1000)}k/s asked`, { ports: [station.httpPort], watch }, PLAN.warmupMs, PLAN.windowMs, requested);
      log(`  offered ${Math.round(step.offeredPerSec)}/s stored ${Math.round(step.storedPerSec)}/s p99 ${Math.round(step.p99Ms ?? -1)} ms`);
      steps.push(step);
      const why = breakReason(step);
      if (why) {
        step.broke = why;
        break;
      }
    } finally {
      await stopService(station);
    }
  }
  return steps;
}

// --- report ----------------------------------------------------------------------------------------------

function machine(): Record<string, unknown> {
  const jar = (dir: string, prefix: string) => {
    try {
      return readdirSync(dir).find((f) => f.startsWith(prefix))?.replace(/\.jar$/, '');
    } catch {
      return undefined;
    }
  };
  const version = (cmd: string, a: string[]) => {
    try {
      return execFileSync(cmd, a, { encoding: 'utf8', timeout: 10_000 }).trim().split('\n')[0];
    } catch {
      return undefined;
    }
  };
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: release(),
    node: process.version,
    kafka: jar(join(INFRA_DIR, 'kafka', 'libs'), 'kafka_2.13-'),
    clickhouse: version('clickhouse-client', ['--version']),
    hbase: jar(join(INFRA_DIR, 'hbase', 'libs'), 'hbase-server-'),
    redis: version('redis-server', ['--version']),
    java: version('java', ['-version']),
  };
}

const k = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n >= 10_000 ? `${Math.round(n / 1000)}k` : String(Math.round(n)));
const ms = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)}`);

function stepTable(title: string, steps: StepResult[], procs: string[]): string {
  const head = ['step', 'offered r/s', 'frames/s', 'stored r/s', 'p50 ms', 'p99 ms', 'max ms ≤', 'lag parser/storage', 'flush ms p50/p99 (rows): ClickHouse; HBase', ...procs.map((p) => `${p} CPU%/MiB`), 'holds'];
  const flush = (f: { p50Ms: number; p99Ms: number; rowsP50: number } | undefined) => (f ? `${ms(f.p50Ms)}/${ms(f.p99Ms)} (${k(f.rowsP50)})` : '-');
  const rows = steps.map((s) => [
    s.label,
    k(s.offeredPerSec),
    k(s.framesPerSec),
    k(s.storedPerSec),
    ms(s.p50Ms),
    ms(s.p99Ms),
    ms(s.maxMsBound),
    s.lag ? `${s.lag.parser}/${s.lag.storage}` : '-',
    `${flush(s.flushes?.['readings'])}; ${flush(s.flushes?.['meter_data'])}`,
    ...procs.map((p) => (s.processes[p] ? `${Math.round(s.processes[p].cpuPercent)}/${s.processes[p].peakRssMiB}` : '-')),
    s.holds ? 'yes' : s.broke ? `no: ${s.broke}` : 'no',
  ]);
  return [`\n${title}`, `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const sustained = (steps: StepResult[]) => Math.max(0, ...steps.filter((s) => s.holds).map((s) => s.storedPerSec));

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const s of ['kafka', 'clickhouse', 'hbase', 'redis'] as const) await requireService(s);
  const kafka = new Kafka({ clientId: 'gs-bench', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const report: Record<string, unknown> = { runId: RUN_ID, mode: short ? 'short' : 'full', machine: machine(), plan: PLAN, p99TargetMs: P99_TARGET_MS };
  const started = performance.now();
  try {
    let pipe: PipelineOutcome | undefined;
    let beforeSteps: StepResult[] | undefined;
    let beforeProfiles: Record<string, ProfileSummary | undefined> = {};
    if (before && only.has('pipeline')) {
      log(`pipeline "before": ${before}`);
      const b = await pipeline(admin, kafka, beforeEnv);
      beforeSteps = b.steps;
      beforeProfiles = b.profiles;
      report['before'] = { settings: beforeEnv, steps: beforeSteps, profiles: beforeProfiles };
    }
    if (only.has('pipeline') || only.has('raw') || only.has('naive')) {
      pipe = await pipeline(admin, kafka);
      report['pipeline'] = { steps: pipe.steps, readingsPerTerminalRound: pipe.readingsPerTerminalRound, recordBytes: pipe.recordBytes, readingsPerRecord: pipe.readingsPerRecord, profiles: pipe.profiles };
    }
    const perRound = pipe?.readingsPerTerminalRound ?? PLAN.meters * 45;
    const embBefore = before && only.has('embedded') ? await embedded(perRound, beforeEnv) : undefined;
    if (embBefore) report['embeddedBefore'] = { settings: beforeEnv, steps: embBefore };
    const emb = only.has('embedded') ? await embedded(perRound) : undefined;
    if (emb) report['embedded'] = { steps: emb };

    let kafkaResult: KafkaRaw | undefined;
    let chResult: ClickHouseRaw | undefined;
    const hbResults: HBaseRaw[] = [];
    let naive: NaiveResult | undefined;
    if (pipe && only.has('raw')) {
      const records = Math.ceil(PLAN.kafkaReadings / pipe.readingsPerRecord);
      log(`raw Kafka: ${records} records of ${pipe.recordBytes} bytes, acks=all`);
      kafkaResult = await kafkaRaw(admin, join(INFRA_DIR, 'kafka', 'libs'), { recordBytes: pipe.recordBytes, records, partitions: 12 });

      log(`raw ClickHouse: ${PLAN.chRows} rows with clickhouse-client from a TabSeparated file`);
      const ch = createClient({ url: infra.clickhouseUrl });
      await ch.command({ query: `DROP DATABASE IF EXISTS ${RAW_DATABASE}` });
      await ch.close();
      const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database: RAW_DATABASE, username: 'default', password: '', requestTimeoutMs: 30_000, asyncInsert: 'off' }, testLogger());
      await pool.start();
      await new ClickHouseReadingStore(pool).migrate(); // the same table, with the same materialized view
      await pool.close();
      const file = join(OUT, 'readings.tsv');
      const rows = await writeTsv(file, pipe.sample, PLAN.chRows);
      chResult = await clickhouseRaw(file, RAW_DATABASE, rows);
      rmSync(file, { force: true });

      const hbase = new ThriftHBaseStore({ ...infra.hbase, poolSize: 4, timeoutMs: 120_000, namespace: 'default' });
      for (const layout of ['cells', 'packed'] as const) {
        log(`raw HBase, ${layout} layout: ${PLAN.hbaseReadings} readings as multi-puts of 5000 rows, 2 in flight`);
        hbResults.push(await hbaseRaw(hbase, `${HBASE_TABLE}_${layout}`, pipe.sample, PLAN.hbaseReadings, 5000, 2, layout));
      }
      await hbase.close();
    }
    if (pipe && only.has('naive')) {
      log(`naive path: one record and one insert per reading, ${PLAN.naiveSeconds} s`);
      const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database: RAW_DATABASE, username: 'default', password: '', requestTimeoutMs: 30_000, asyncInsert: 'off' }, testLogger());
      await pool.start();
      const store = new ClickHouseReadingStore(pool);
      await store.migrate();
      const hbase = new ThriftHBaseStore({ ...infra.hbase, poolSize: 4, timeoutMs: 60_000, namespace: 'default' });
      if (!(await hbase.tableExists(HBASE_TABLE))) await hbase.createTable(meterTableSpec(HBASE_TABLE));
      naive = await naivePath(kafka, admin, store, hbase, HBASE_TABLE, pipe.sample, PLAN.naiveSeconds);
      await hbase.close();
      await pool.close();
    }

    const pipelineSustained = pipe ? sustained(pipe.steps) : undefined;
    const pipelineBest = pipe ? Math.max(0, ...pipe.steps.map((s) => s.storedPerSec)) : undefined;
    const embeddedSustained = emb ? sustained(emb) : undefined;
    const embeddedBest = emb ? Math.max(0, ...emb.map((s) => s.storedPerSec)) : undefined;
    const raw = {
      kafka: kafkaResult && pipe ? { ...kafkaResult, producerReadingsPerSec: kafkaResult.producerRecordsPerSec * pipe.readingsPerRecord, consumerReadingsPerSec: kafkaResult.consumerRecordsPerSec * pipe.readingsPerRecord } : undefined,
      clickhouse: chResult,
      hbase: hbResults,
    };
    const ratios = {
      pipelineSustainedOverRawClickHouse: pipelineSustained !== undefined && chResult ? pipelineSustained / chResult.rowsPerSec : undefined,
      pipelineBestOverRawClickHouse: pipelineBest !== undefined && chResult ? pipelineBest / chResult.rowsPerSec : undefined,
      batchedOverNaive: pipelineSustained !== undefined && naive ? pipelineSustained / naive.storedPerSec : undefined,
      batchedBestOverNaive: pipelineBest !== undefined && naive ? pipelineBest / naive.storedPerSec : undefined,
    };
    Object.assign(report, { raw, naive, summary: { pipelineSustained, pipelineBest, embeddedSustained, embeddedBest, ...ratios }, seconds: (performance.now() - started) / 1000 });

    // --- stdout: the tables ---
    const m = report['machine'] as Record<string, unknown>;
    const out: string[] = [];
    out.push(`Gridstation benchmark (${short ? 'short' : 'full'} run ${RUN_ID})`);
    out.push(`machine: ${m['cores']} x ${m['cpu']}, ${m['memoryGiB']} GiB, load ${(m['loadAverage'] as number[]).join(' ')}, Node ${m['node']}; ${m['kafka']}, ClickHouse ${m['clickhouse']}, ${m['hbase']}, ${m['redis']}`);
    out.push(`load: ${PLAN.terminals} simulated terminals x ${PLAN.meters} meters over TCP, rising report rate; window ${PLAN.windowMs / 1000} s after ${PLAN.warmupMs / 1000} s warm-up; latency = frame received by comm -> rows acknowledged by both stores`);
    if (beforeSteps) out.push(stepTable(`Before: the pipeline with ${before}`, beforeSteps, ['comm', 'parser', 'storage', 'load generator', 'kafka', 'clickhouse', 'hbase (master+rs)', 'hbase thrift']));
    if (pipe) out.push(stepTable('Distributed pipeline (comm + parser + storage processes; Kafka, ClickHouse, HBase, Redis on the same machine)', pipe.steps, ['comm', 'parser', 'storage', 'load generator', 'kafka', 'clickhouse', 'hbase (master+rs)', 'hbase thrift']));
    if (emb) out.push(stepTable('Embedded mode (one station process: in-process bus, DuckDB, LevelDB; its simulator runs inside it)', emb, ['station (incl. simulator)']));
    out.push('\nRaw limits for the same data and the naive path');
    out.push('| part | measured | readings/s |');
    out.push('|---|---|---|');
    if (raw.kafka) {
      out.push(`| Kafka ProducerPerformance, ${raw.kafka.records} records x ${raw.kafka.recordBytes} B, acks=all | ${k(raw.kafka.producerRecordsPerSec)} records/s, ${raw.kafka.producerMBPerSec} MB/s, p99 ${raw.kafka.producerP99Ms} ms | ${k(raw.kafka.producerReadingsPerSec)} |`);
      out.push(`| Kafka ConsumerPerformance, same records | ${k(raw.kafka.consumerRecordsPerSec)} records/s, ${raw.kafka.consumerMBPerSec.toFixed(1)} MB/s | ${k(raw.kafka.consumerReadingsPerSec)} |`);
    }
    if (chResult) out.push(`| clickhouse-client INSERT FORMAT TabSeparated from a file (${chResult.fileMiB} MiB), readings table + 15-min MV | ${chResult.rows} rows in ${chResult.seconds.toFixed(1)} s | ${k(chResult.rowsPerSec)} |`);
    for (const h of hbResults) out.push(`| HBase multi-put via Thrift2, ${h.layout} layout, ${h.batchRows} rows per put, ${h.concurrency} in flight | ${h.rows} rows, ${h.cells} cells (${k(h.cellsPerSec)} cells/s) in ${h.seconds.toFixed(1)} s | ${k(h.readingsPerSec)} |`);
    if (naive) out.push(`| naive path: one Kafka record + one ClickHouse insert + one HBase put per reading | produced ${k(naive.producedPerSec)}/s | ${k(naive.storedPerSec)} |`);
    if (pipe) out.push(`| pipeline, highest step that holds (stored ≥ 95% offered, p99 ≤ ${P99_TARGET_MS} ms) | best step stored ${k(pipelineBest)}/s | ${k(pipelineSustained)} |`);
    if (emb) out.push(`| embedded, highest step that holds | best step stored ${k(embeddedBest)}/s | ${k(embeddedSustained)} |`);
    const r = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(x < 1 ? 3 : 1));
    out.push('\nRatios');
    out.push(`| pipeline sustained / raw ClickHouse insert | ${r(ratios.pipelineSustainedOverRawClickHouse)} | (best step: ${r(ratios.pipelineBestOverRawClickHouse)}) |`);
    out.push(`| batched pipeline sustained / naive path | ${r(ratios.batchedOverNaive)} | (best step: ${r(ratios.batchedBestOverNaive)}) |`);
    const [hbCells, hbPacked] = hbResults;
    if (hbCells && hbPacked) out.push(`| raw HBase readings/s, packed / cells layout | ${r(hbPacked.readingsPerSec / hbCells.readingsPerSec)} | ${k(hbPacked.readingsPerSec)} vs ${k(hbCells.readingsPerSec)}; ${r(hbCells.cells / hbPacked.cells)}x fewer cells |`);
    if (beforeSteps && pipe) {
      const b = beforeSteps;
      const a = pipe.steps;
      out.push(`| after / before (${before}): best stored | ${r(Math.max(0, ...a.map((x) => x.storedPerSec)) / Math.max(1, ...b.map((x) => x.storedPerSec)))} | sustained ${k(sustained(a))} vs ${k(sustained(b))} |`);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        out.push(`| step ${a[i]!.label}: p99 after / before | ${r((a[i]!.p99Ms ?? 0) / Math.max(1, b[i]!.p99Ms ?? 0))} | ${ms(a[i]!.p99Ms)} vs ${ms(b[i]!.p99Ms)} ms; stored ${k(a[i]!.storedPerSec)} vs ${k(b[i]!.storedPerSec)}/s |`);
      }
    }
    if (embBefore && emb) {
      out.push(stepTable(`Before: the embedded station with ${before}`, embBefore, ['station (incl. simulator)']));
      for (let i = 0; i < Math.min(emb.length, embBefore.length); i++) {
        out.push(`| embedded step ${emb[i]!.label}: p50 / p99 after / before | ${r((emb[i]!.p50Ms ?? 0) / Math.max(1, embBefore[i]!.p50Ms ?? 0))} / ${r((emb[i]!.p99Ms ?? 0) / Math.max(1, embBefore[i]!.p99Ms ?? 0))} | p99 ${ms(emb[i]!.p99Ms)} vs ${ms(embBefore[i]!.p99Ms)} ms; stored ${k(emb[i]!.storedPerSec)} vs ${k(embBefore[i]!.storedPerSec)}/s |`);
      }
    }
    // The issue's targets, each with its status in this run and its ratio to the limit it is measured against.
    const met = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');
    const why = profiling ? 'see the CPU profiles below' : 'run with profiling for the profile shares';
    const DEMO_LOAD = 100 * 8 * 43; // the npm start default: 100 terminals x 8 meters x 43 readings per round per second
    const demoStep = emb?.find((x) => Math.abs(x.offeredPerSec - DEMO_LOAD) <= DEMO_LOAD * 0.25);
    // What each throughput target would cost in CPU at the cost per reading measured in the busiest step.
    const cores = Number(m['cores']);
    const pipeBusiest = pipe ? busiestStep(pipe.steps) : undefined;
    const embBusiest = emb ? busiestStep(emb) : undefined;
    const pipeBudget = pipeBusiest ? cpuBudget(pipeBusiest, 250_000, cores) : undefined;
    const embBudget = embBusiest ? cpuBudget(embBusiest, 1_000_000, cores) : undefined;
    const needs = (b: CpuBudget | undefined) => (b ? `; at the measured cost it needs ${b.coresNeeded.toFixed(1)} cores (${b.coresAvailable} here), ceiling ${k(b.ceilingPerSec)}/s` : '');
    report['cpuBudget'] = { distributed: pipeBudget, embedded: embBudget };
    const targets: Array<[string, string, boolean | undefined, string]> = [
      ['distributed: >= 250,000 readings/s sustained into both stores, p99 <= 500 ms', k(pipelineSustained), pipelineSustained === undefined ? undefined : pipelineSustained >= 250_000, `${r(pipelineSustained === undefined ? undefined : pipelineSustained / 250_000)} of the target${needs(pipeBudget)}`],
      ['distributed: >= 0.5 of the raw ClickHouse insert rate', r(ratios.pipelineSustainedOverRawClickHouse), ratios.pipelineSustainedOverRawClickHouse === undefined ? undefined : ratios.pipelineSustainedOverRawClickHouse >= 0.5, `raw ClickHouse ${k(chResult?.rowsPerSec)}/s`],
      ['embedded: >= 1,000,000 readings/s', k(embeddedSustained), embeddedSustained === undefined ? undefined : embeddedSustained >= 1_000_000, `${r(embeddedSustained === undefined ? undefined : embeddedSustained / 1_000_000)} of the target${needs(embBudget)}`],
      [`embedded: p99 <= 250 ms at the default demo load (${k(DEMO_LOAD)}/s)`, demoStep ? `${ms(demoStep.p99Ms)} ms` : '-', demoStep?.p99Ms === undefined ? undefined : demoStep.p99Ms <= 250, demoStep ? `step ${demoStep.label}` : 'no step near that load in this run'],
    ];
    out.push(`\nTargets${short ? ' (short run: its steps stop at a low rate, so the sustained figures are lower bounds, not capacities)' : ''}`);
    out.push('| target | this run | status | ratio / note |');
    out.push('|---|---:|---|---|');
    for (const [name, value, ok, note] of targets) out.push(`| ${name} | ${value} | ${met(ok)} | ${note}${ok === false ? `; ${why}` : ''} |`);
    const budgets = [
      ['distributed pipeline at 250,000 readings/s', pipeBudget, 'the load generator is not counted'],
      ['embedded station at 1,000,000 readings/s', embBudget, 'its simulator runs inside the station and is counted with it'],
    ] as const;
    for (const [name, b, counted] of budgets) {
      if (!b) continue;
      out.push(`\nCPU budget of the ${name}: cost per stored reading measured at step ${b.step} (${k(b.storedPerSec)} stored/s); ${counted}`);
      out.push('| process | CPU us per reading | cores at the target rate |');
      out.push('|---|---:|---:|');
      for (const l of b.lines) out.push(`| ${l.process} | ${l.usPerReading.toFixed(1)} | ${l.coresAtTarget.toFixed(2)} |`);
      out.push(`| all counted | ${((b.coresNeeded * 1e6) / b.targetPerSec).toFixed(1)} | ${b.coresNeeded.toFixed(1)} of ${b.coresAvailable} |`);
    }
    const printProfiles = (title: string, profiles: Record<string, ProfileSummary | undefined>) => {
      out.push(`\n${title} (self time, % of the run)`);
      for (const [name, p] of Object.entries(profiles)) {
        if (!p) continue;
        out.push(`\n${name}: ${p.seconds.toFixed(0)} s, idle ${p.idlePercent}%, GC ${p.gcPercent}%  (${p.file})`);
        out.push(`  by area: ${p.byArea.map((a) => `${a.area} ${a.selfPercent}%`).join(', ')}`);
        for (const t of p.top) out.push(`  ${String(t.selfPercent).padStart(5)}%  ${t.fn}  ${t.where}`);
      }
    };
    if (profiling && beforeSteps) printProfiles(`CPU profiles of the pipeline services before (${before})`, beforeProfiles);
    if (profiling && pipe) printProfiles('CPU profiles of the pipeline services', pipe.profiles);
    const json = join(OUT, `pipeline-${RUN_ID}.json`);
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    out.push(`\nreport: ${json} (${Math.round((performance.now() - started) / 1000)} s)`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    for (const s of running) s.main.child.kill('SIGKILL');
    process.exit(1);
  },
);
