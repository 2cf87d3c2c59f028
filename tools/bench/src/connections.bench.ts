// Connections at province scale: one comm process holding many logged-in Q/GDW 1376.1 terminals.
//
//   npm run -s bench:connections                 100,000 terminals in steps of 10,000
//   npm run -s bench:connections -- --short      5,000 terminals (proves the benchmark runs)
//   npm run -s bench:connections -- --terminals=50000 --step=5000 --heartbeat-s=60
//
// The terminals are bare TCP clients in separate load processes (tools/bench/src/connections/fleet.ts),
// each connection from one of several source addresses in 127.0.0.0/8 (one address has ~28k ephemeral
// ports). The comm process is the real service over real Kafka and Redis, its file limit raised with
// prlimit. For each step: the comm process's RSS and CPU with every terminal heartbeating; then a login
// storm (every connection dropped, all reconnecting at once) and the frames/s it still moves at full size
// (heartbeats answered after Kafka acknowledged them, the answers counted by the terminals).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RedisArchive } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { qgdw1376 } from '@gridstation/protocols';
import { configureTestEnvironment, distributedServiceEnv, freePort, httpGet, infra, requireService, spawnMain, testEnvironment, waitFor, type SpawnedMain } from '@gridstation/testing';
import { fleetAddress, type FleetCommand, type FleetReport } from './connections/fleet-protocol';
import { ProcWatch, scrape, total } from './pipeline/observe';

const args = process.argv.slice(2);
const short = args.includes('--short');
const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const WANTED = arg('terminals', short ? 5000 : 100_000);
const HEARTBEAT_S = arg('heartbeat-s', 60);

/**
 * The descriptors one process may hold. Raising the hard limit needs CAP_SYS_RESOURCE; where that is
 * not granted (a container), the hard limit is the most connections one process can have, and the
 * benchmark measures up to it (leaving room for the service's own files and clients) and says so.
 */
function fileLimits(want: number): { hard: number; raisable: boolean } {
  const hardText = execFileSync('sh', ['-c', 'ulimit -Hn']).toString().trim();
  const hard = hardText === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hardText);
  try {
    execFileSync('prlimit', [`--nofile=${want}:${want}`, '--', 'true'], { stdio: 'ignore' });
    return { hard, raisable: true };
  } catch {
    return { hard, raisable: false };
  }
}
const LIMITS = fileLimits(WANTED + 10_000);
const PROCESS_ROOM = 2500;
const TERMINALS = LIMITS.raisable ? WANTED : Math.min(WANTED, LIMITS.hard - PROCESS_ROOM);
const STEP = arg('step', short ? 2500 : TERMINALS >= 50_000 ? 10_000 : Math.ceil(TERMINALS / 5 / 500) * 500);
const LOADERS = arg('loaders', Math.max(short ? 1 : 2, LIMITS.raisable ? 0 : Math.ceil(TERMINALS / (LIMITS.hard - PROCESS_ROOM))));
const PER_SOURCE_ADDRESS = 20_000;
const RSS_GOAL_BYTES = 2 * 1024 ** 3;
/** ThingsBoard's published figure for 100k MQTT connections, the anchor of the issue. */
const ANCHOR_BYTES = 6.5 * 1024 ** 3;

configureTestEnvironment({ repoRoot: join(__dirname, '..', '..', '..') });
const REPO_ROOT = testEnvironment().repoRoot;
const OUT = join(REPO_ROOT, 'tmp', 'bench');
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => Math.round(b / 1048576);

/**
 * Kernel settings a province-sized listener needs on loopback; each one that could not be set is
 * reported. `restore` puts back what was there: a widened ephemeral port range left behind makes other
 * processes' outgoing connections take ports the test setup hands to services (20000-31999).
 */
function tuneKernel(): { notes: string[]; restore(): void } {
  const notes: string[] = [];
  const previous: Array<[string, string]> = [];
  for (const [key, value] of [
    ['net.ipv4.ip_local_port_range', '10000 65000'],
    ['net.core.somaxconn', '65535'],
    ['net.ipv4.tcp_max_syn_backlog', '65535'],
  ] as const) {
    const was = execFileSync('sysctl', ['-n', key]).toString().trim().replace(/\s+/g, ' ');
    try {
      execFileSync('sysctl', ['-q', '-w', `${key}=${value}`], { stdio: 'ignore' });
      notes.push(`${key}=${value}`);
      previous.push([key, was]);
    } catch {
      notes.push(`${key} not writable (kept ${was})`);
    }
  }
  const restore = () => {
    for (const [key, was] of previous) execFileSync('sysctl', ['-q', '-w', `${key}=${was}`], { stdio: 'ignore' });
  };
  return { notes, restore };
}

class Loader {
  private readonly waiting: Array<{ ev: FleetReport['ev']; resolve: (r: FleetReport) => void }> = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (r: FleetReport) => {
      if (r.ev === 'error') {
        log(`load process: ${r.message}`);
        return;
      }
      const i = this.waiting.findIndex((w) => w.ev === r.ev);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(r);
    });
  }

  static async start(fileLimit: number): Promise<Loader> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(__dirname, 'connections', 'fleet.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.base.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const l = new Loader(child);
    await l.next('ready');
    // The load process's own descriptors: raised from outside, where the machine lets us.
    if (LIMITS.raisable) execFileSync('prlimit', ['--pid', String(child.pid), `--nofile=${fileLimit}:${fileLimit}`]);
    return l;
  }

  next<E extends FleetReport['ev']>(ev: E): Promise<Extract<FleetReport, { ev: E }>> {
    return new Promise((resolve) => this.waiting.push({ ev, resolve: resolve as (r: FleetReport) => void }));
  }

  async ask<E extends FleetReport['ev']>(c: FleetCommand, ev: E): Promise<Extract<FleetReport, { ev: E }>> {
    const p = this.next(ev);
    this.child.send(c);
    return p;
  }

  tell(c: FleetCommand): void {
    this.child.send(c);
  }
}

interface StepRow {
  connections: number;
  rssMiB: number;
  rssPer10kMiB: number;
  cpuPercent: number;
  heartbeatsPerSec: number;
  connectSeconds: number;
}

async function commMetrics(port: number): Promise<{ connections: number; received: number; published: number }> {
  const s = await scrape(port);
  return { connections: total(s, 'gs_comm_connections'), received: total(s, 'gs_comm_frames_received_total'), published: total(s, 'gs_comm_frames_published_total') };
}

/** CPU% and peak RSS of one process over `ms`. */
async function watch(pid: number, ms: number): Promise<{ cpuPercent: number; rssBytes: number }> {
  const w = new ProcWatch(() => ({ comm: pid }));
  w.start();
  await sleep(ms);
  const r = w.stop()['comm']!;
  return { cpuPercent: r.cpuPercent, rssBytes: r.peakRssMiB * 1048576 };
}

async function main(): Promise<void> {
  for (const s of ['kafka', 'redis'] as const) await requireService(s);
  mkdirSync(OUT, { recursive: true });
  const tuned = tuneKernel();
  log(`kernel: ${tuned.notes.join(', ')}`);
  try {
    await measure(tuned.notes);
  } finally {
    tuned.restore();
  }
}

async function measure(kernel: string[]): Promise<void> {

  log(`archive: ${TERMINALS} terminals into Redis`);
  const redis = createRedis({ url: infra.redisUrl });
  const archive = new RedisArchive(redis);
  for (let from = 0; from < TERMINALS; from += 5000) {
    await archive.put(Array.from({ length: Math.min(5000, TERMINALS - from) }, (_, k) => ({ address: qgdw1376.terminalKey(fleetAddress(from + k)), meters: [] })));
  }
  await closeRedis(redis);

  const terminalPort = await freePort();
  const env = await distributedServiceEnv('bench-connections', {
    database: 'gs_bench',
    extra: { GS_TERMINAL_HOST: '127.0.0.1', GS_TERMINAL_PORT: String(terminalPort), GS_MAX_CONNECTIONS: String(TERMINALS + 1000), GS_LOGIN_DEADLINE_MS: '120000' },
  });
  const httpPort = Number(env['GS_HTTP_PORT']);
  if (TERMINALS < WANTED) log(`this machine's hard file limit is ${LIMITS.hard} per process and cannot be raised (no CAP_SYS_RESOURCE): measuring ${TERMINALS} of the ${WANTED} terminals asked`);
  log(`comm: terminal port ${terminalPort}, file limit ${LIMITS.raisable ? TERMINALS + 10_000 : LIMITS.hard}`);
  const comm: SpawnedMain = spawnMain('apps/comm/src/main.ts', env, [], LIMITS.raisable ? { fileLimit: TERMINALS + 10_000 } : {});
  const exited = comm.exit.then(() => {
    throw new Error(`comm exited: ${(comm.out.stdout + comm.out.stderr).slice(-3000)}`);
  });
  exited.catch(() => undefined);
  await Promise.race([exited, waitFor(async () => (await httpGet(httpPort, '/readyz').catch(() => ({ status: 0 }))).status === 200, 'comm ready', 120_000, 250)]);
  const pid = comm.child.pid!;
  const idle = await watch(pid, 2000);
  const fds = () => readdirSync(`/proc/${pid}/fd`).length;
  const idleFds = fds();
  log(`comm idle: ${mib(idle.rssBytes)} MiB, ${idleFds} descriptors open`);

  const perLoader = Math.ceil(TERMINALS / LOADERS);
  const loaders = await Promise.all(Array.from({ length: LOADERS }, () => Loader.start(perLoader + 10_000)));
  // Terminal i belongs to loader floor(i / perLoader); a step adds STEP terminals spread over the loaders.
  /** One past the last terminal of loader `l` once `upTo` terminals are connected over all loaders. */
  const endOf = (l: number, upTo: number) => Math.min((l + 1) * perLoader, l * perLoader + Math.ceil(upTo / LOADERS), TERMINALS);
  const connect = (l: number, from: number, to: number, concurrency: number, onlyHeld = false) =>
    loaders[l]!.ask({ cmd: 'connect', from, to, host: '127.0.0.1', port: terminalPort, concurrency, perSourceAddress: PER_SOURCE_ADDRESS, timeoutMs: 60_000, onlyHeld }, 'connected');

  const steps: StepRow[] = [];
  let held = 0;
  let lastFds = 0;
  try {
    for (let target = Math.min(STEP, TERMINALS); held < TERMINALS; target = Math.min(target + STEP, TERMINALS)) {
      const t0 = performance.now();
      const results = await Promise.all(loaders.map((_, l) => connect(l, endOf(l, held), endOf(l, target), 100)));
      const connectSeconds = (performance.now() - t0) / 1000;
      const failed = results.reduce((n, r) => n + r.failed, 0);
      held = target;
      for (const l of loaders) l.tell({ cmd: 'heartbeats', intervalMs: HEARTBEAT_S * 1000 });
      await sleep(3000);
      const m0 = await commMetrics(httpPort);
      const w = await watch(pid, short ? 4000 : 8000);
      const m1 = await commMetrics(httpPort);
      const row: StepRow = {
        connections: m1.connections,
        rssMiB: mib(w.rssBytes),
        rssPer10kMiB: Math.round(((w.rssBytes - idle.rssBytes) / Math.max(1, m1.connections)) * 10_000 / 1048576),
        cpuPercent: w.cpuPercent,
        heartbeatsPerSec: Math.round((m1.received - m0.received) / ((short ? 4000 : 8000) / 1000)),
        connectSeconds: Math.round(connectSeconds * 10) / 10,
      };
      steps.push(row);
      lastFds = fds();
      log(`${target} terminals: ${row.connections} connections held, RSS ${row.rssMiB} MiB (${row.rssPer10kMiB} MiB per 10k above idle), CPU ${row.cpuPercent}% at ${row.heartbeatsPerSec} heartbeats/s${failed ? `, ${failed} logins failed` : ''}`);
      if (failed > 0 && row.connections < target * 0.99) {
        log(`stopping: ${failed} of the step's logins failed`);
        break;
      }
    }

    // Login storm: every connection dropped, then all of them logging in again at once.
    log(`login storm: ${held} terminals drop their connections and reconnect at once`);
    await Promise.all(loaders.map((l) => l.ask({ cmd: 'drop' }, 'dropped')));
    await waitFor(async () => (await commMetrics(httpPort)).connections === 0, 'comm sees every connection closed', 120_000, 250);
    const stormWatch = watch(pid, 1000);
    const storm = await Promise.all(loaders.map((_, l) => connect(l, endOf(l, 0), endOf(l, held), 2000, true)));
    // Until the last login that succeeded: a login that fails waits out its timeout, which is not the station's pace.
    const stormSeconds = Math.max(...storm.map((r) => r.okMs)) / 1000;
    const stormCpu = (await stormWatch).cpuPercent;
    const stormOk = storm.reduce((n, r) => n + r.ok, 0);
    const stormFailed = storm.reduce((n, r) => n + r.failed, 0);
    const loginsPerSec = Math.round(stormOk / stormSeconds);
    log(`  ${stormOk} logged in again in ${stormSeconds.toFixed(1)} s (${loginsPerSec} logins/s), ${stormFailed} failed`);

    // Frames/s at full size: heartbeats as fast as they are answered (each answered after Kafka's ack).
    // The periodic heartbeats stop meanwhile: every answer counted belongs to the flood.
    for (const l of loaders) l.tell({ cmd: 'heartbeats', intervalMs: 0 });
    const floodMs = short ? 5000 : 15_000;
    log(`frames at ${stormOk} connections: heartbeats as fast as answered for ${floodMs / 1000} s`);
    const floodWatch = watch(pid, floodMs);
    const flooded = await Promise.all(loaders.map((l) => l.ask({ cmd: 'flood', durationMs: floodMs, window: 4000 }, 'flooded')));
    const flood = await floodWatch;
    const framesPerSec = Math.round(flooded.reduce((n, f) => n + f.confirms / (f.ms / 1000), 0));
    const loaderStats = await Promise.all(loaders.map((l) => l.ask({ cmd: 'stats' }, 'stats')));
    const last = steps[steps.length - 1];

    const out: string[] = [];
    out.push(`Connection benchmark (${short ? 'short' : 'full'} run): one comm process, Q/GDW 1376.1 terminals over loopback TCP`);
    out.push(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}; heartbeat every ${HEARTBEAT_S} s; ${LOADERS} load processes, ${PER_SOURCE_ADDRESS} connections per source address; kernel ${kernel.join(', ')}`);
    out.push(`comm idle: ${mib(idle.rssBytes)} MiB RSS, ${idleFds} descriptors; at the last step ${lastFds} descriptors`);
    out.push('\n| connections | comm peak RSS MiB | MiB per 10k above idle | comm CPU % | heartbeats/s | step connect s |');
    out.push('|---:|---:|---:|---:|---:|---:|');
    for (const s of steps) out.push(`| ${s.connections} | ${s.rssMiB} | ${s.rssPer10kMiB} | ${s.cpuPercent} | ${s.heartbeatsPerSec} | ${s.connectSeconds} |`);
    out.push(`\nlogin storm: ${stormOk} logins in ${stormSeconds.toFixed(1)} s = ${loginsPerSec} logins/s (${stormFailed} failed; comm CPU ${stormCpu}% in its first second)`);
    out.push(`frames at ${stormOk} connections: ${framesPerSec} heartbeat frames/s answered after Kafka's ack (comm CPU ${flood.cpuPercent}%, RSS ${mib(flood.rssBytes)} MiB)`);
    out.push(`load processes: ${loaderStats.map((s) => `${s.loggedIn} logged in, ${mib(s.rssBytes)} MiB`).join('; ')}`);
    const rss = Math.max(last?.rssMiB ?? 0, mib(flood.rssBytes)) * 1048576;
    const full = (last?.connections ?? 0) >= WANTED * 0.99;
    // Where the machine stops short of the size asked: the RSS it would take, from the slope measured.
    // Least squares over every step: RSS moves with garbage collection, one pair of points would follow the noise.
    const n = steps.length;
    const mx = steps.reduce((a, x) => a + x.connections, 0) / Math.max(1, n);
    const my = steps.reduce((a, x) => a + x.rssMiB, 0) / Math.max(1, n);
    const sxx = steps.reduce((a, x) => a + (x.connections - mx) ** 2, 0);
    const slope = n >= 2 && sxx > 0 ? steps.reduce((a, x) => a + (x.connections - mx) * (x.rssMiB - my), 0) / sxx : undefined;
    const projectedMiB = slope === undefined || !last ? undefined : Math.round(Math.max(last.rssMiB, my + slope * (WANTED - mx)));
    out.push('\nTargets');
    out.push('| target | this run | status | ratio / note |');
    out.push('|---|---:|---|---|');
    const limitNote = TERMINALS < WANTED ? `; this machine allows ${LIMITS.hard} descriptors per process and cannot raise it` : '';
    out.push(`| ${WANTED} concurrent logged-in terminals in one comm process | ${last?.connections ?? 0} | ${full ? 'MET' : 'NOT MET'} | ${((last?.connections ?? 0) / WANTED).toFixed(3)} of the target${limitNote} |`);
    if (full) out.push(`| comm RSS under 2 GB at that size | ${mib(rss)} MiB | ${rss < RSS_GOAL_BYTES ? 'MET' : 'NOT MET'} | ${(rss / RSS_GOAL_BYTES).toFixed(2)} of the goal; ${(rss / ANCHOR_BYTES).toFixed(2)} of ThingsBoard's 6.5 GB for 100k MQTT connections |`);
    else out.push(`| comm RSS under 2 GB at ${WANTED} | ${mib(rss)} MiB at ${last?.connections ?? 0}; projected ${projectedMiB ?? '-'} MiB at ${WANTED} | not measured at full size | projection from a least-squares line through the steps' RSS: ${projectedMiB === undefined ? '-' : (projectedMiB / 2048).toFixed(2)} of the goal, ${projectedMiB === undefined ? '-' : (projectedMiB / 1024 / 6.5).toFixed(2)} of ThingsBoard's 6.5 GB |`);
    const report = { asked: WANTED, terminals: TERMINALS, fileLimit: LIMITS, projectedMiB, step: STEP, heartbeatSeconds: HEARTBEAT_S, kernel, idleRssMiB: mib(idle.rssBytes), steps, storm: { ok: stormOk, failed: stormFailed, seconds: stormSeconds, loginsPerSec }, flood: { framesPerSec, cpuPercent: flood.cpuPercent, rssMiB: mib(flood.rssBytes) } };
    const json = join(OUT, `connections-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    out.push(`\nreport: ${json}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const l of loaders) l.tell({ cmd: 'exit' });
    comm.child.kill('SIGTERM');
    const t = setTimeout(() => comm.child.kill('SIGKILL'), 30_000);
    await comm.exit;
    clearTimeout(t);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
