import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { RedisArchive } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { DeadLetter, DownlinkServiceClient, Protocol, RawFrameBatch, ReadingQueryServiceClient, type GetCurveResponse, type GetLatestReadingsResponse, type ReadCurrentDataResponse, type ReadObjectsResponse } from '@gridstation/contracts';
import { TOPICS } from '@gridstation/bus';
import { ThriftHBaseStore } from '@gridstation/hbase';
import { ClickHouseHaPool, ClickHouseReadingStore, decodeReadingRow, METER_TABLE, readingRange } from '@gridstation/persistence';
import { qgdw1376 } from '@gridstation/protocols';
import { asActiveReport, deviceTime, diffWithTruth, isExact, meterIdOf, QUARTER_MS, Simulator, DEFAULT_SIMULATOR, type StoredValue } from '@gridstation/simulator';
import { clientBinary, distributedServiceEnv, freePort, infra, insecure, repoRoot, requireService, testLogger, unary, uniqueName, waitFor } from '@gridstation/testing';
import { startProcess, stopProcess, waitReady, type ServiceProcess } from './processes';

// The collection pipeline as it runs in production: comm (two instances), parser and storage as separate
// processes over real Kafka, ClickHouse (through the HA pool, with a dead replica listed first), HBase
// (Thrift2) and Redis; the simulator's mixed fleet speaking Q/GDW 1376.1 and DL/T 698.45 over TCP to the
// same port; storage killed with SIGKILL in
// mid-stream and restarted; a third-party client (kcat) publishing raw frames; a downlink read routed
// through the registry. Then what is stored is compared with the ground truth, reading by reading.

const TERMINALS = Number(process.env['GS_E2E_TERMINALS'] ?? 200);
const TERMINALS_698 = Number(process.env['GS_E2E_TERMINALS_698'] ?? 40);
const METERS = Number(process.env['GS_E2E_METERS'] ?? 2);
const SECONDS = Number(process.env['GS_E2E_SECONDS'] ?? 60);
const RATE = Number(process.env['GS_E2E_RATE'] ?? 1);

describe('collection pipeline end to end (real Kafka, ClickHouse, HBase, Redis)', () => {
  const region = String(1000 + Math.floor(Math.random() * 8000));
  const database = uniqueName('gs_e2e');
  const procs: ServiceProcess[] = [];
  const redis = createRedis({ url: infra.redisUrl });

  beforeAll(async () => {
    for (const s of ['kafka', 'clickhouse', 'hbase', 'redis'] as const) await requireService(s);
  });
  afterAll(async () => {
    await Promise.all(procs.map(stopProcess));
    await closeRedis(redis);
  });

  // The HA pool gets a dead replica first: writes must fail over to the live one.
  const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`${name}-${region}`, { database, clickhouseUrls: ['http://127.0.0.1:1', infra.clickhouseUrl], extra });

  it('stores every reading exactly once in ClickHouse and HBase through a storage crash, rejects bad input with reasons, routes a downlink read', async () => {
    const started = Date.now();
    const commA = startProcess('comm', 'comm-a', await env('comm-a', { GS_TERMINAL_PORT: String(await freePort()) }));
    const commB = startProcess('comm', 'comm-b', await env('comm-b', { GS_TERMINAL_PORT: String(await freePort()) }));
    const parser = startProcess('parser', 'parser', await env('parser'));
    const storageEnv = await env('storage', { GS_BATCH_DELAY_MS: '200' });
    let storage = startProcess('storage', 'storage', storageEnv);
    procs.push(commA, commB, parser, storage);
    await Promise.all(procs.map((p) => waitReady(p)));

    const sim = new Simulator({
      ...DEFAULT_SIMULATOR,
      host: '127.0.0.1',
      port: Number(commA.env['GS_TERMINAL_PORT']),
      region,
      terminals: TERMINALS,
      metersPerTerminal: METERS,
      roundsPerSecond: RATE,
      badFrameEvery: 10,
      eventEvery: 20,
      unknownTerminals: 1,
      heartbeatMs: 10_000,
      dlt698Terminals: TERMINALS_698,
    });
    // The external producer's terminal (published with kcat below) is in the archive too.
    const external = { address: qgdw1376.terminalKey({ region, terminal: 50_000 }), meters: [{ pn: 1, meterId: meterIdOf(50_000, 1, region) }] };
    await new RedisArchive(redis).put([...sim.archive(), external]);
    await sim.connect();
    expect(sim.stats()).toMatchObject({ loggedIn: TERMINALS + TERMINALS_698, refused: 1 });

    const rounds = Math.round(SECONDS * RATE);
    const running = sim.run(rounds);
    // kill -9 the storage service a third of the way in, restart it after a pause.
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 3));
    storage.child.kill('SIGKILL');
    expect((await storage.exited).signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    storage = startProcess('storage', 'storage-2', storageEnv);
    procs.push(storage);
    await waitReady(storage);
    await running;
    const sentAt = Date.now();

    // A third-party producer: kcat publishes a RawFrameBatch (two active reports) to the public input topic.
    const at = sim.terminals[0]!.o.startMs - 4 * QUARTER_MS;
    const address = { region, terminal: 50_000, master: 0, group: false };
    const frames = [0, 1].map((k) => {
      const values = [1.5 + k, 220.5 + k];
      const r = qgdw1376.encodeClass1Response(address, 0, [{ pn: 1, fn: 129, values: [deviceTime(at + k * QUARTER_MS, 480), 1, ...values] }]);
      if (!r.ok) throw new Error(r.error.message);
      sim.truth.add({ meterId: external.meters[0]!.meterId, quantity: 'energy.active.import', tariff: 0, dataTimeMs: at + k * QUARTER_MS, value: values[0]! });
      sim.truth.add({ meterId: external.meters[0]!.meterId, quantity: 'energy.active.import', tariff: 1, dataTimeMs: at + k * QUARTER_MS, value: values[1]! });
      return asActiveReport(r.value, k + 1);
    });
    const payload = RawFrameBatch.encode({
      frames: frames.map((f) => ({ frameId: '', protocol: Protocol.PROTOCOL_QGDW_1376_1, payload: Buffer.from(f), terminalAddress: '', receivedAtMs: Date.now(), direction: 1, source: 'kcat', connectionId: '' })),
      producer: 'kcat',
      createdAtMs: Date.now(),
    }).finish();
    const dir = join(repoRoot(), 'tmp', 'e2e');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `kcat-${region}.bin`);
    writeFileSync(file, payload);
    execFileSync(clientBinary('kcat'), ['-P', '-b', infra.kafkaBrokers[0]!, '-t', TOPICS.rawFrames, '-k', external.address, file], { timeout: 30_000 });

    // A downlink read sent to comm-b for a terminal connected to comm-a: routed through the registry.
    const target = sim.terminals[5]!;
    const downlink = new DownlinkServiceClient(`127.0.0.1:${commB.env['GS_GRPC_PORT']}`, insecure());
    const read = await unary<unknown, ReadCurrentDataResponse>(downlink, 'readCurrentData', { terminalAddress: target.key, measurementPoint: 1, fns: [25, 33], timeoutMs: 5000 }, 15_000);
    // The same for a DL/T 698.45 concentrator: a record read of one meter's latest task record.
    const t698 = sim.terminals698[3]!;
    const objects = await unary<unknown, ReadObjectsResponse>(downlink, 'readObjects', { terminalAddress: t698.key, oads: ['00100400', '20000200'], meters: [t698.meterId(1)], timeoutMs: 5000 }, 15_000);
    downlink.close();
    expect(objects.servedBy).toBe(commA.env['GS_INSTANCE_ID']);
    expect(objects.results).toEqual([{ oad: '60120300', dar: 0 }]);
    expect(objects.readings.map((r) => [r.meterId, r.quantity, r.tariff])).toEqual([
      ...[0, 1, 2, 3, 4].map((t) => [t698.meterId(1), 'energy.active.import', t]),
      ...['a', 'b', 'c'].map((p) => [t698.meterId(1), `voltage.${p}`, 0]),
    ]);
    expect(read.servedBy).toBe(commA.env['GS_INSTANCE_ID']);
    expect(read.readings.filter((r) => r.meterId === target.meterId(1)).length).toBe(23 + 20);
    expect(qgdw1376.decodeQgdwFrame(read.replyFrame).ok).toBe(true);

    // ClickHouse: exactly the ground truth, each reading once, exact values.
    const pool = new ClickHouseHaPool({ urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' }, testLogger());
    await pool.start();
    const ch = new ClickHouseReadingStore(pool);
    const meters = [...sim.meterIds(), external.meters[0]!.meterId];
    const expected = sim.truth.readings.size;
    let last = -1;
    await waitFor(
      async () => {
        last = await ch.countReadings(meters);
        return last === expected;
      },
      `ClickHouse to hold all ${expected} readings`,
      300_000,
      1000,
    );
    const storedAt = Date.now();
    const stored = await ch.readingsOf(meters);
    const diff = diffWithTruth(sim.truth, stored);
    expect({ missing: diff.missing, unexpected: diff.unexpected, duplicated: diff.duplicated, wrong: diff.wrong }).toEqual({ missing: [], unexpected: [], duplicated: [], wrong: [] });
    expect(isExact(diff)).toBe(true);
    // The 698.45 concentrators' meters are in it with every value they reported.
    const meters698 = new Set(sim.terminals698.flatMap((t) => Array.from({ length: METERS }, (_, k) => t.meterId(k + 1))));
    const truth698 = [...sim.truth.readings.values()].filter((r) => meters698.has(r.meterId)).length;
    expect(truth698).toBeGreaterThan(0);
    expect(stored.filter((r) => meters698.has(r.meterId)).length).toBe(truth698);
    expect(sim.terminals698.every((t) => t.stats.confirmed >= rounds)).toBe(true);
    expect(stored.every((r) => r.quality === 0)).toBe(true);
    // Provenance: every row points at its raw frame and the Kafka record it came in.
    expect(stored.every((r) => r.frameId !== '' && r.sourceTopic === TOPICS.rawFrames && r.sourceOffset >= 0)).toBe(true);

    // HBase: every meter's range scan holds the same values.
    const hbase = new ThriftHBaseStore({ ...infra.hbase, poolSize: 4, timeoutMs: 30_000, namespace: 'default' });
    const fromHBase: StoredValue[] = [];
    for (const m of meters) for await (const row of hbase.scan(METER_TABLE, { ...readingRange(m, 0, Number.MAX_SAFE_INTEGER), pageSize: 500 })) fromHBase.push(...decodeReadingRow(row));
    await hbase.close();
    expect(isExact(diffWithTruth(sim.truth, fromHBase))).toBe(true);

    // The query API on the restarted storage: no duplicates after the crash, paging covers the curve.
    const query = new ReadingQueryServiceClient(`127.0.0.1:${storage.env['GS_GRPC_PORT']}`, insecure());
    const m = target.meterId(2);
    const forMeter = stored.filter((r) => r.meterId === m);
    let token = '';
    const seen = new Set<string>();
    let count = 0;
    do {
      const page = await unary<unknown, GetCurveResponse>(query, 'getCurve', { meterId: m, quantities: [], fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, pageSize: 500, pageToken: token });
      for (const r of page.readings) seen.add(`${r.quantity}|${r.tariff}|${r.dataTimeMs}`);
      count += page.readings.length;
      token = page.nextPageToken;
    } while (token);
    expect(count).toBe(forMeter.length);
    expect(seen.size).toBe(count);
    const latest = await unary<unknown, GetLatestReadingsResponse>(query, 'getLatestReadings', { meterId: m, quantities: ['voltage.a'] });
    const newest = Math.max(...forMeter.filter((r) => r.quantity === 'voltage.a').map((r) => r.dataTimeMs));
    expect(latest.readings.map((r) => r.dataTimeMs)).toEqual([newest]);
    query.close();

    // Dead letters: this run's bad frames, with reasons (comm: checksum; parser: content) and their bytes.
    const kafka = new Kafka({ brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('e2e-dlq') });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.deadLetter, fromBeginning: true });
    const mine: DeadLetter[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString().startsWith(`${region}-`)) mine.push(DeadLetter.decode(message.value!));
      },
    });
    const codes = (c: string) => mine.filter((d) => d.code === c);
    await waitFor(() => codes('DEFRAME_CHECKSUM').length >= sim.truth.badChecksumFrames && codes('DECODE_RANGE').length >= sim.truth.badContentFrames, 'dead letters of this run', 60_000, 500);
    await consumer.disconnect();
    expect(sim.truth.badChecksumFrames + sim.truth.badContentFrames).toBeGreaterThan(0);
    expect(mine.every((d) => d.reason.length > 0 && d.service.length > 0)).toBe(true);
    expect(codes('DECODE_RANGE').every((d) => d.payload[0] === 0x68 && d.frameId !== '' && d.sourceTopic === TOPICS.rawFrames)).toBe(true);

    await pool.close();
    const report = {
      terminals: TERMINALS,
      metersPerTerminal: METERS,
      seconds: SECONDS,
      dlt698Terminals: TERMINALS_698,
      readings: expected,
      readings698: truth698,
      framesSent: sim.stats().framesSent,
      sendSeconds: (sentAt - started) / 1000,
      allStoredSeconds: (storedAt - started) / 1000,
      drainAfterSendSeconds: (storedAt - sentAt) / 1000,
      readingsPerSecondOverall: Math.round(expected / ((storedAt - started) / 1000)),
      storageKilledAndRestarted: true,
    };
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
    console.log(`e2e figures: ${JSON.stringify(report)}`);
    await sim.close();
  });
});
