import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { ClickHouseTopologySource, publishTopology, RedisArchive, RedisTopologyCache, Topology } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { openClickHouse, type ClickHouseHandle } from '@gridstation/clickhouse';
import { Alert, AlertKind, AlertServiceClient, AlertState, type QueryAlertsResponse, type SubscribeAlertsResponse } from '@gridstation/contracts';
import { TOPICS, createBus } from '@gridstation/bus';
import {
  DEFAULT_SHAPE,
  DEFAULT_SIMULATOR,
  percentile,
  planLength,
  planScenarios,
  ScenarioRunner,
  scoreScenarios,
  Simulator,
  simulatorTopology,
  type ReceivedAlert,
  type ScenarioType,
} from '@gridstation/simulator';
import { distributedServiceEnv, freePort, infra, insecure, repoRoot, requireService, testLogger, unary, uniqueName, waitFor } from '@gridstation/testing';
import { startProcess, stopProcess, waitReady, type ServiceProcess } from './processes';

// The outage scenario suite on the real-infrastructure pipeline: simulator (TCP) -> comm -> Kafka ->
// parser -> storage (ClickHouse + HBase) -> analytics (Redis state, topology from ClickHouse via the
// Redis cache) -> gs.alerts.v1 -> a gRPC subscriber. Scenario outcomes are scored against the plan's
// ground truth: precision and recall per scenario type, detection delay from the moment the last
// needed evidence was sent to the moment the subscriber received the alert (p50/p99).

const TERMINALS = Number(process.env['GS_SCENARIO_TERMINALS'] ?? 80);
const METERS = 8;
const FLAP_CYCLES = 4;
const DELAY_GUARD_MS = Number(process.env['GS_SCENARIO_DELAY_GUARD_MS'] ?? 2500);
const COUNTS: Record<ScenarioType, number> = { storm: 1, feeder: 2, area: 10, box: 24, flapping: 6, meter: 25, spurious: 25 };

describe('outage scenarios end to end (real Kafka, ClickHouse, HBase, Redis)', () => {
  const region = String(1000 + Math.floor(Math.random() * 8000));
  const database = uniqueName('gs_outage');
  const procs: ServiceProcess[] = [];
  const redis = createRedis({ url: infra.redisUrl });
  let ch: ClickHouseHandle | undefined;
  let stream: ClientReadableStream<SubscribeAlertsResponse> | undefined;
  let client: AlertServiceClient | undefined;

  beforeAll(async () => {
    for (const s of ['kafka', 'clickhouse', 'hbase', 'redis'] as const) await requireService(s);
  });
  afterAll(async () => {
    stream?.cancel();
    client?.close();
    await Promise.all(procs.map(stopProcess));
    await ch?.close();
    await closeRedis(redis);
  });

  const env = (name: string, extra: Record<string, string> = {}) => distributedServiceEnv(`${name}-${region}`, { database, extra });

  it('detects, localises and clears every planned outage, and nothing else, within the delay target', async () => {
    const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: 0, region, terminals: TERMINALS, metersPerTerminal: METERS, roundsPerSecond: 1, unknownTerminals: 0, heartbeatMs: 30_000, energyEvery: 4 });

    // The topology: loaded into ClickHouse (source of truth), pushed to the Redis cache, archive derived.
    const config = { urls: [infra.clickhouseUrl], database, username: 'default', password: '', requestTimeoutMs: 30_000, asyncInsert: 'off' as const };
    ch = await openClickHouse(config);
    const shape = DEFAULT_SHAPE;
    const published = await publishTopology(simulatorTopology(sim, shape), { clickhouse: { handle: ch }, redis }, 'outage-scenarios');
    const snapshot = await new ClickHouseTopologySource({ handle: ch }).read();
    expect(snapshot.version).toBe(published.version);
    const topology = new Topology(snapshot);
    expect(topology.size.meters).toBe(TERMINALS * METERS);
    expect(await new RedisTopologyCache(redis).currentVersion()).toBe(published.version);
    expect(await new RedisArchive(redis).terminal(sim.terminals[0]!.key)).toMatchObject({ meters: expect.arrayContaining([expect.objectContaining({ pn: 1 })]) });

    const comm = startProcess('comm', 'comm', await env('comm', { GS_TERMINAL_PORT: String(await freePort()) }));
    const parser = startProcess('parser', 'parser', await env('parser'));
    const storage = startProcess('storage', 'storage', await env('storage', { GS_BATCH_DELAY_MS: '100' }));
    const analytics = startProcess('analytics', 'analytics', await env('analytics', { GS_ANALYTICS_GROUP_PREFIX: `gs-analytics-${region}` }));
    procs.push(comm, parser, storage, analytics);
    await Promise.all(procs.map((p) => waitReady(p)));

    // A gRPC subscriber, like a dispatch system would have; proven live with a probe alert first.
    client = new AlertServiceClient(`127.0.0.1:${analytics.env['GS_GRPC_PORT']}`, insecure());
    const received: ReceivedAlert[] = [];
    stream = client.subscribeAlerts({ filter: undefined });
    stream.on('data', (m: SubscribeAlertsResponse) => m.alert && received.push({ alert: m.alert, receivedAt: Date.now() }));
    stream.on('error', () => undefined);
    const bus = createBus({ kind: 'kafka', brokers: infra.kafkaBrokers, clientId: `probe-${region}`, partitionsConcurrency: 4 }, 'e2e', testLogger());
    const probe: Alert = { ...Alert.fromPartial({ alertId: `probe-${region}`, kind: AlertKind.ALERT_KIND_UNSPECIFIED, state: AlertState.ALERT_STATE_OPEN, revision: 1 }) };
    await waitFor(
      async () => {
        await bus.publish(TOPICS.alerts, [{ key: probe.alertId, value: Buffer.from(Alert.encode(probe).finish()) }]);
        await new Promise((r) => setTimeout(r, 500));
        return received.some((r) => r.alert.alertId === probe.alertId);
      },
      'probe alert reaches the gRPC subscriber',
      60_000,
      10,
    );
    await bus.close();
    received.length = 0;

    const simulator = new Simulator({ ...sim.o, port: Number(comm.env['GS_TERMINAL_PORT']) });
    await simulator.connect();
    expect(simulator.stats().loggedIn).toBe(TERMINALS);
    const cases = planScenarios(simulator, { firstRound: 3, outageRounds: 6, seed: 11, shape, counts: COUNTS });
    const runner = new ScenarioRunner(cases, FLAP_CYCLES);
    const rounds = planLength(cases, FLAP_CYCLES);
    await simulator.run(rounds, { before: (r) => runner.before(r), after: (r) => runner.after(r) });
    // Let the last restorations come through.
    await waitFor(
      async () => cases.filter((c) => c.expect === 'outage' && c.restoreSentAt > 0).every((c) => received.some((r) => r.alert.elementId === c.element && r.alert.state === AlertState.ALERT_STATE_CLEARED)),
      'every restored outage cleared',
      30_000,
      250,
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    await simulator.close();

    const related = (a: string, b: string) => a === b || topology.ancestors(a).includes(b) || topology.ancestors(b).includes(a);
    const { types, unattributed, misplaced } = scoreScenarios(cases, received, related);
    const fmt = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '-');
    const lines = [
      'type      cases  recall  alerts  precision  delay p50/p99 ms  restored  restore p50/p99 ms',
      ...types.map(
        (s) =>
          `${s.type.padEnd(9)} ${String(s.cases).padStart(5)}  ${s.recall.toFixed(3)}  ${String(s.alerts).padStart(6)}  ${s.precision.toFixed(3).padStart(9)}  ${`${fmt(s.p50)}/${fmt(s.p99)}`.padStart(17)}  ${String(s.restored).padStart(8)}  ${`${fmt(s.restoreP50)}/${fmt(s.restoreP99)}`.padStart(18)}`,
      ),
      `unattributed alerts: ${unattributed.length}${unattributed.length ? ` (${unattributed.slice(0, 5).join(', ')})` : ''}`,
      `misplaced alerts: ${misplaced.length}${misplaced.map((m) => `\n  ${m}`).join('')}`,
    ];
    const allDelays = types.flatMap((s) => s.delaysMs);
    const overall = { cases: cases.length, alertRevisions: received.length, delayP50: percentile(allDelays, 50), delayP99: percentile(allDelays, 99) };
    const opened = received.filter((r) => r.alert.state === AlertState.ALERT_STATE_OPEN && r.alert.decisiveEvidenceIngestedAtMs > 0);
    lines.push(
      `of which: ingest -> decision p50 ${fmt(percentile(opened.map((r) => r.alert.detectedAtMs - r.alert.decisiveEvidenceIngestedAtMs), 50))} ms, decision -> subscriber p50 ${fmt(percentile(opened.map((r) => r.receivedAt - r.alert.detectedAtMs), 50))} ms`,
    );
    lines.push(`all: ${overall.cases} cases, ${overall.alertRevisions} alert revisions received, detection delay p50 ${fmt(overall.delayP50)} ms, p99 ${fmt(overall.delayP99)} ms`);
    console.log(`outage scenarios (${TERMINALS} terminals x ${METERS} meters, ${rounds} rounds)\n${lines.join('\n')}`);
    const dir = join(repoRoot(), 'tmp', 'e2e');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'outage-report.json'), JSON.stringify({ terminals: TERMINALS, meters: METERS, rounds, overall, types: types.map(({ delaysMs, restoreDelaysMs, ...s }) => ({ ...s, delaysMs, restoreDelaysMs })), unattributed, misplaced, alerts: received.map((r) => ({ id: r.alert.alertId, revision: r.alert.revision, state: r.alert.state, kind: r.alert.kind, element: r.alert.elementId, supersededBy: r.alert.supersededBy, detectedAt: r.alert.detectedAtMs, receivedAt: r.receivedAt })), cases: cases.map(({ terminals, ...c }) => ({ ...c, terminals: terminals.map((t) => t.key) })) }, null, 2));

    for (const s of types) {
      expect({ type: s.type, recall: s.recall >= 0.99 }).toEqual({ type: s.type, recall: true });
      expect({ type: s.type, precision: s.precision >= 0.99 }).toEqual({ type: s.type, precision: true });
    }
    expect(unattributed).toEqual([]);
    // The target is p99 < 1 s (printed above); the guard here is looser because this machine is shared.
    expect(overall.delayP99).toBeLessThan(DELAY_GUARD_MS);
    const outageTypes = types.filter((s) => ['meter', 'box', 'area', 'feeder', 'storm'].includes(s.type));
    for (const s of outageTypes) expect({ type: s.type, restored: s.restored }).toEqual({ type: s.type, restored: s.cases });

    // The same alerts are queryable (ClickHouse, newest revision of each) over gRPC. The store is shared
    // with earlier runs, so the query names this run's flapping elements.
    const flappingElements = cases.filter((c) => c.type === 'flapping').map((c) => c.element);
    await waitFor(
      async () => {
        const res = await unary<unknown, QueryAlertsResponse>(client!, 'queryAlerts', { fromMs: 0, toMs: 0, filter: { kinds: [AlertKind.ALERT_KIND_FLAPPING], elementIds: flappingElements, minConfidence: 0, excludeCleared: false }, limit: 1000 }, 10_000);
        return res.alerts.length === COUNTS.flapping;
      },
      'flapping alerts queryable',
      30_000,
      500,
    );
  });
});
