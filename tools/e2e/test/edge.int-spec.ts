/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { RedisArchive } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { EdgeControlServiceClient, GetLoadRequest, RebalanceDecision, type GetLoadResponse } from '@gridstation/contracts';
import { EDGE_QUANTITIES, EdgeAgent, packRecords, SimulatedMeters, Spool, trainDictionary, ZstdCodec } from '@gridstation/edge';
import { ClickHouseHaPool, ClickHouseReadingStore } from '@gridstation/persistence';
import { distributedServiceEnv, freePort, httpGet, infra, repoRoot, requireService, testLogger, uniqueName, waitFor } from '@gridstation/testing';
import puppeteer from 'puppeteer-core';
import { Kafka, logLevel } from 'kafkajs';
import { startProcess, stopProcess, waitReady, type ServiceProcess } from './processes';

// Seed 000's three tiers on real parts: edge agents -> two stateless station pods (comm processes) ->
// Kafka -> storage -> ClickHouse, with the rebalancer process reading the pods and moving agents. The
// agents here are the library the agent app runs (EdgeAgent), several in this process, driven window
// by window so that the test knows every record they generated; one agent process runs beside them.

const VALUES = EDGE_QUANTITIES.length;

/**
 * The operator console as its own process against the two pods and the rebalancer, in Debian's
 * Chromium: the pods' load, the agents each holds, and the moves the rebalancer made (screenshot
 * tmp/console/11-pods.png).
 */
async function consolePodsPage(env: Record<string, string>, pods: string[], moved: string[]): Promise<void> {
  const proc = startProcess('console', 'console', env);
  const browser = await puppeteer.launch({ executablePath: process.env['GS_CHROMIUM'] || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    await waitReady(proc);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`http://127.0.0.1:${env['GS_HTTP_PORT']}/console/#pods`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#sign-in input[name=user]', { visible: true });
    await page.type('#sign-in input[name=user]', 'vera');
    await page.type('#sign-in input[name=password]', 'vera-pass');
    await page.click('#sign-in button[type=submit]');
    await page.waitForFunction((n: number) => document.querySelectorAll('#pods tbody tr').length === n, { timeout: 30_000 }, pods.length);
    expect(await page.$$eval('#pods tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset['pod']).sort())).toEqual(pods);
    // Every agent the rebalancer told to move is in the moves list, marked told; the pods hold agents.
    await page.waitForFunction((ids: string[]) => ids.every((id) => Array.from(document.querySelectorAll('#moves li')).some((li) => (li as HTMLElement).dataset['agent'] === id && li.querySelector('.told'))), { timeout: 30_000 }, moved);
    expect(await page.$$eval('#moves li', (l) => l[l.length - 1]!.textContent ?? '')).toMatch(new RegExp(`: ${pods[0]} -> ${pods[1]} \\([\\d,]+ records/s\\) told$`));
    expect(await page.$$eval('#agents tbody tr', (rows) => rows.length)).toBeGreaterThan(0);
    // The load chart goes on with every period (RebalancerService.WatchDecisions).
    const periods = async () => Number(/(\d+) periods shown/.exec(await page.$eval('#pods-summary', (e) => e.textContent ?? ''))?.[1] ?? 0);
    const before = await periods();
    await waitFor(async () => (await periods()) > before, 'a new period on the pods page', 15_000, 250);
    expect(await page.$$eval('#chart-pods canvas', (c) => c.length)).toBeGreaterThan(0);
    mkdirSync(join(repoRoot(), 'tmp', 'console'), { recursive: true });
    await page.screenshot({ path: join(repoRoot(), 'tmp', 'console', '11-pods.png'), fullPage: true });
  } finally {
    await browser.close();
    await stopProcess(proc);
  }
}

describe('edge agents, station pods and the rebalancer (real Kafka, ClickHouse, Redis)', () => {
  const region = String(7000 + Math.floor(Math.random() * 2000));
  const database = uniqueName('gs_edge');
  const procs: ServiceProcess[] = [];
  const redis = createRedis({ url: infra.redisUrl });
  let dir: string;

  beforeAll(async () => {
    for (const s of ['kafka', 'clickhouse', 'hbase', 'redis'] as const) await requireService(s);
    dir = await mkdtemp(join(tmpdir(), 'gs-edge-'));
  });
  afterAll(async () => {
    await Promise.all(procs.map(stopProcess));
    await closeRedis(redis);
    await rm(dir, { recursive: true, force: true });
  });

  it('streams compressed batches into ClickHouse, loses nothing when a pod is killed, and drains a hotspot', async () => {
    // A dictionary trained on held-out data of the same shape (other agents' windows).
    const samples = Array.from({ length: 60 }, (_, i) => {
      const m = new SimulatedMeters(region, 900 + i, 32);
      return packRecords([0, 1, 2, 3, 4].flatMap((k) => m.read(Date.now() + k * 1000)), EDGE_QUANTITIES);
    });
    const dictionary = await trainDictionary(samples, { maxBytes: 16_384, id: 4242 });
    const dictDir = join(dir, 'dictionaries');
    await import('node:fs/promises').then((fs) => fs.mkdir(dictDir));
    await writeFile(join(dictDir, 'readings-v1.dict'), dictionary.bytes);

    const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`${name}-${region}`, { database, extra });
    const storage = startProcess('storage', 'storage', await env('storage', { GS_BATCH_DELAY_MS: '200' }));
    const commAEnv = await env('comm-a', { GS_EDGE_DICTIONARIES: dictDir, GS_TERMINAL_PORT: String(await freePort()) });
    const commA = startProcess('comm', 'comm-a', commAEnv);
    const commB = startProcess('comm', 'comm-b', await env('comm-b', { GS_EDGE_DICTIONARIES: dictDir, GS_TERMINAL_PORT: String(await freePort()) }));
    procs.push(storage, commA, commB);
    await Promise.all([storage, commA, commB].map((p) => waitReady(p)));
    const grpcOf = (p: ServiceProcess) => `127.0.0.1:${p.env['GS_GRPC_PORT']}`;
    const [addrA, addrB] = [grpcOf(commA), grpcOf(commB)];

    // Six agents, all starting on pod A: two with 80 meters, four with 8 (the heavy ones carry ten times the load).
    const meters = [1, 2, 3, 4, 5, 6].map((i) => new SimulatedMeters(region, i, i <= 2 ? 80 : 8));
    const processMeters = new SimulatedMeters(region, 50, 16);
    await new RedisArchive(redis).put([...meters, processMeters].map((m) => m.archive()));
    const codec = await ZstdCodec.create([dictionary]);
    const agents = await Promise.all(
      meters.map(async (m) =>
        new EdgeAgent(
          { agentId: m.terminal, site: 'substation', addresses: [addrA, addrB], quantities: EDGE_QUANTITIES, dictionaryId: dictionary.id, maxInFlight: 8, rateBytesPerSec: 0, burstBytes: 1 << 20, reconnectMs: 300, drainMs: 3_000 },
          codec,
          await Spool.open(join(dir, 'spool', m.terminal), 64 << 20),
          m.ids.length,
        ),
      ),
    );
    agents.forEach((a) => a.start());
    let generated = 0;
    let t0 = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    let windows = 0;
    const windowOnce = async () => {
      // One window: five reads 200 ms apart per agent.
      for (const [i, a] of agents.entries()) {
        const records = [0, 1, 2, 3, 4].flatMap((k) => meters[i]!.read(t0 + k * 200));
        generated += records.length;
        await a.submit(records, t0);
      }
      t0 += 1000;
      windows++;
    };
    let driving = true;
    const driver = (async () => {
      while (driving) {
        await windowOnce();
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    const kafka = new Kafka({ brokers: infra.kafkaBrokers, clientId: `edge-${region}`, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `edge-${region}` });
    const decisions: RebalanceDecision[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'gs.rebalance.v1', fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ eachMessage: async ({ message }) => void (message.value && decisions.push(RebalanceDecision.decode(message.value))) });
    await joined;

    const agentProc = startProcess('agent', 'agent', {
      ...(await env('agent')),
      GS_STATION_GRPC: `${addrA},${addrB}`,
      GS_AGENT_REGION: region,
      GS_AGENT_INDEX: '50',
      GS_AGENT_METERS: '16',
      GS_AGENT_READ_MS: '200',
      GS_AGENT_WINDOW_MS: '1000',
      GS_AGENT_SPOOL_DIR: join(dir, 'spool', 'process'),
      GS_AGENT_DICTIONARY: join(dictDir, 'readings-v1.dict'),
    });
    procs.push(agentProc);
    const rebalancer = startProcess('rebalancer', 'rebalancer', { ...(await env('rebalancer')), GS_REBALANCER_PODS: `${addrA},${addrB}`, GS_REBALANCER_PERIOD_MS: '1000', GS_REBALANCER_K: '2', GS_REBALANCER_ABSOLUTE_RATE: '100', GS_REBALANCER_MAX_MOVES: '2' });
    procs.push(rebalancer);
    const load = (address: string) =>
      new Promise<GetLoadResponse>((resolve, reject) => {
        const c = new EdgeControlServiceClient(address, credentials.createInsecure());
        c.getLoad(GetLoadRequest.fromPartial({}), (err, r) => (c.close(), err ? reject(err) : resolve(r)));
      });
    const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' }, testLogger());
    await pool.start();
    const ch = new ClickHouseReadingStore(pool);
    try {
      await waitReady(agentProc);
      await waitReady(rebalancer);
      // The hotspot (pod A, every agent) is found within k periods plus the pods' load period, and drained.
      await waitFor(() => decisions.some((d) => d.hotspots.includes(`comm-a-${region}`) && d.moves.some((m) => m.told)), 'a rebalancing decision with moves', 60_000, 250);
      await waitFor(async () => (await load(addrB)).agents.length > 0, 'agents on pod B', 30_000, 250);
      const moved = decisions.flatMap((d) => d.moves.filter((m) => m.told)).map((m) => m.agentId);
      expect(moved.length).toBeGreaterThan(0);
      await consolePodsPage(await env('console', { GS_CONSOLE_COMM_GRPC: `${addrA},${addrB}`, GS_CONSOLE_REBALANCER_GRPC: `127.0.0.1:${rebalancer.env['GS_GRPC_PORT']}`, GS_CONSOLE_USERS: 'vera:read-only:plain:vera-pass' }), [`comm-a-${region}`, `comm-b-${region}`], moved);

      // kill -9 pod A: its agents go to B, their unacknowledged batches with them; A comes back on the same ports.
      commA.child.kill('SIGKILL');
      await commA.exited;
      await new Promise((r) => setTimeout(r, 3_000));
      const commA2 = startProcess('comm', 'comm-a', commAEnv);
      procs.push(commA2);
      await waitReady(commA2);
      await new Promise((r) => setTimeout(r, 2_000));
      driving = false;
      await driver;
      // Every batch acknowledged (durable in Kafka), then every value in ClickHouse.
      await waitFor(() => agents.every((a) => a.unacked === 0), 'every agent batch acknowledged', 60_000, 250);
      const ids = meters.flatMap((m) => m.ids);
      await waitFor(async () => (await ch.countReadings(ids)) >= generated * VALUES, 'every generated value in ClickHouse', 90_000, 1_000);
      expect(await ch.countReadings(ids)).toBe(generated * VALUES);
      // The agent process's readings arrive too.
      await waitFor(async () => (await ch.countReadings(processMeters.ids)) > 0, 'the agent process\'s readings in ClickHouse', 60_000, 1_000);

      // The series the autoscaler's adapter rules name are the ones a running pod exports.
      const rules = readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'k8s', 'base', 'prometheus-adapter.yaml'), 'utf8');
      const series = [...rules.matchAll(/seriesQuery: '(\w+)\{/g)].map((m) => m[1]!);
      expect(series.length).toBeGreaterThanOrEqual(2);
      const exported = (await httpGet(Number(commB.env['GS_HTTP_PORT']), '/metrics')).body;
      for (const name of series) expect(exported).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      const s = agents.reduce((acc, a) => ({ raw: acc.raw + a.stats.rawBytes, compressed: acc.compressed + a.stats.compressedBytes, resent: acc.resent + a.stats.resent, moves: acc.moves + a.stats.moves }), { raw: 0, compressed: 0, resent: 0, moves: 0 });
      expect(s.moves).toBeGreaterThanOrEqual(moved.length);
      console.log(`edge: ${agents.length} agents, ${windows} windows, ${generated} records (${generated * VALUES} values) all in ClickHouse; packed ${s.raw} B -> zstd+dictionary ${s.compressed} B (${(s.raw / s.compressed).toFixed(1)}:1); ${moved.length} agents moved by the rebalancer (${moved.join(', ')}); ${s.resent} batches sent again after the pod was killed`);
    } finally {
      driving = false;
      await driver;
      await Promise.all(agents.map((a) => a.stop()));
      await consumer.disconnect();
      await pool.close();
    }
  });
});
