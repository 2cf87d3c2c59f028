import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { parseAllDocuments, stringify } from 'yaml';
import { TOPICS } from '@gridstation/bus';
import { EdgeTaskResult } from '@gridstation/contracts';
import { gridTaskName, LABEL_TASK, type GridTask } from '@gridstation/edgetask';
import { clientBinary, freePort, httpGet, infra, pythonTaskClient as python, repoRoot, requireService, spawnMain, uniqueName, waitFor, type SpawnedMain } from '@gridstation/testing';
import { PrivateRedis, startScheduler, testPrefix, type SchedulerProcess } from './support';

// Seed 001's delivery, end to end on real parts: the scheduler service (its own process) registers an
// edge node (a real kube-apiserver, reached with the token of the delivery ServiceAccount that
// deploy/k8s/edge defines), an algorithm and an application over gRPC (grpcurl); a task set submitted
// from python grpcio creates a GridTask there; the edge cluster's controller (apps/edge-controller, its
// own process, with its own ServiceAccount's token) makes the Pods; the test (kubectl) writes the Pods'
// status as a kubelet would and sends
// the ranks' results on gs.edge-results.v1 as the algorithm would; the task ends SUCCESS with the
// results as its output.

const run = promisify(execFile);

interface TaskJson { id: string; state: string; failure_reason?: string }
interface Summary { task_set: { counts?: Record<string, number> }; outputs: Array<{ task_id: string; inline_json?: string }>; failed: TaskJson[]; tasks?: TaskJson[] }

describe('edge tasks: scheduler -> GridTask on an edge cluster -> results', () => {
  let redis: PrivateRedis;
  let scheduler: SchedulerProcess | undefined;
  let controller: SpawnedMain | undefined;
  let ns = '';
  let kubectl: (args: string[], input?: string) => Promise<string>;

  interface PodJson { metadata: { name: string }; spec: { containers: Array<{ args?: string[]; env: Array<{ name: string; value: string }> }> } }
  const podsOf = async (selector?: string) => (JSON.parse(await kubectl(['-n', ns, 'get', 'pods', ...(selector ? ['-l', selector] : []), '-o', 'json'])) as { items: PodJson[] }).items;
  /** What a kubelet would write. */
  const setPodPhase = (name: string, phase: string, message?: string) =>
    kubectl(['-n', ns, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase, ...(message ? { message } : {}) } })]);

  const grpcurl = async (method: string, body: object) => {
    try {
      const r = await run(clientBinary('grpcurl'), ['-plaintext', '-d', JSON.stringify(body), scheduler!.grpc, `gridstation.v1.EdgeRegistryService/${method}`], { timeout: 60_000 });
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      return { error: `${x.stdout ?? ''}${x.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    for (const s of ['kafka', 'redis', 'clickhouse', 'kube'] as const) await requireService(s);
    kubectl = async (args, input) => {
      const child = execFile(infra.kube.kubectl, ['--kubeconfig', infra.kube.kubeconfig, ...args], { timeout: 60_000 });
      const out = new Promise<string>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`))));
      });
      child.stdin!.end(input ?? '');
      return out;
    };
    // The edge cluster's accounts and roles as deploy/k8s/edge defines them, in a namespace of this test.
    ns = `edge-${Date.now().toString(36)}`;
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot(), 'deploy/k8s/crds/gridtask.yaml')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/gridtasks.edge.gridstation.io']);
    const edge = parseAllDocuments(await kubectl(['kustomize', join(repoRoot(), 'deploy/k8s/edge')])).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string }; subjects?: Array<{ namespace?: string }> });
    const rbac = edge
      .filter((d) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(d.kind))
      .map((d) => stringify({ ...d, metadata: { ...d.metadata, namespace: ns }, ...(d.subjects ? { subjects: d.subjects.map((x) => ({ ...x, namespace: ns })) } : {}) }));
    await kubectl(['apply', '-f', '-'], rbac.join('---\n'));
    const token = async (sa: string) => (await kubectl(['create', 'token', sa, '-n', ns, '--duration=1h'])).trim();
    // The controller runs with its own ServiceAccount's token: the Role in deploy/ must be enough.
    const dir = mkdtempSync(join(tmpdir(), 'gs-edge-kc-'));
    const controllerKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(controllerKubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'edge',
      clusters: [{ name: 'edge', cluster: { server: infra.kube.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'controller', user: { token: await token('gs-edge-controller') } }],
      contexts: [{ name: 'edge', context: { cluster: 'edge', user: 'controller', namespace: ns } }],
    }));
    const controllerHttp = await freePort();
    controller = spawnMain('apps/edge-controller/src/main.ts', { GS_HTTP_PORT: String(controllerHttp), GS_GRPC_PORT: String(await freePort()), GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_EDGE_NAMESPACE: ns, GS_KUBECONFIG: controllerKubeconfig, GS_EDGE_RESYNC_MS: '2000', GS_LOG_LEVEL: 'warn' });
    await waitFor(async () => (await httpGet(controllerHttp, '/readyz')).status === 200, 'the edge controller ready', 60_000, 200);
    redis = await PrivateRedis.start();
    scheduler = await startScheduler({ redisUrl: redis.url, prefix: testPrefix('edge'), instance: uniqueName('sched-e'), database: uniqueName('gs_sched_e'), env: { GS_EDGE_POLL_MS: '200', GS_COLLECTION: 'off' } });
    (globalThis as { deliveryToken?: string }).deliveryToken = await token('gs-station-delivery');
  }, 180_000);

  afterAll(async () => {
    if (controller) {
      controller.child.kill('SIGTERM');
      await controller.exit;
    }
    if (scheduler) {
      scheduler.main.child.kill('SIGTERM');
      await scheduler.main.exit;
    }
    await redis?.cleanup();
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  });

  it('registers an edge node only when its API server accepts the credentials for GridTasks', async () => {
    const node = { name: 'substation-a', apiServer: infra.kube.url, insecureSkipTlsVerify: true, namespace: ns };
    const refused = await grpcurl('RegisterEdgeNode', { node: { ...node, token: 'not-a-token' } });
    expect(String(refused['error'])).toMatch(/FailedPrecondition[\s\S]*refused the credentials/);
    const noCrd = await grpcurl('RegisterEdgeNode', { node: { ...node, namespace: 'kube-system', token: (globalThis as { deliveryToken?: string }).deliveryToken } });
    expect(String(noCrd['error'])).toMatch(/FailedPrecondition/);
    const ok = await grpcurl('RegisterEdgeNode', { node: { ...node, token: (globalThis as { deliveryToken?: string }).deliveryToken } });
    expect(ok).toMatchObject({ node: expect.anything() });
    expect(ok['node']).toMatchObject({ name: 'substation-a', token: '(set)', server_version: 'v1.34.4' });
    const listed = await grpcurl('ListEdgeNodes', {});
    expect(listed['nodes']).toEqual([expect.objectContaining({ name: 'substation-a', token: '(set)' })]);
  });

  it('registers an algorithm and an application, refusing what does not fit', async () => {
    const bad = await grpcurl('RegisterAlgorithm', { algorithm: { name: 'area-stats', version: '1', image: 'registry.local/grid/area-stats:1', framework: 'pytorch', port: 9000, env: [{ name: 'X', value: '{{NOPE}}' }] } });
    expect(String(bad['error'])).toMatch(/InvalidArgument[\s\S]*framework "pytorch"[\s\S]*unknown placeholder \{\{NOPE\}\}/);
    const alg = await grpcurl('RegisterAlgorithm', {
      algorithm: { name: 'area-stats', version: '1', image: 'registry.local/grid/area-stats:1', framework: 'none', port: 9000, parameters: [{ name: 'day', type: 'string', required: true }], env: [{ name: 'PEERS', value: '{{MACHINES}}' }] },
    });
    expect(alg['algorithm']).toMatchObject({ name: 'area-stats', version: '1' });
    const badApp = await grpcurl('RegisterApplication', { application: { name: 'daily-load', algorithm: 'area-stats', algorithmVersion: '1', args: ['--month', '{month}'], worldSize: 2 } });
    expect(String(badApp['error'])).toMatch(/names \{month\}, which area-stats@1 does not declare/);
    const app = await grpcurl('RegisterApplication', { application: { name: 'daily-load', algorithm: 'area-stats', algorithmVersion: '1', command: ['python', '/app/stats.py'], args: ['--day', '{day}'], worldSize: 2, cpu: '250m', memory: '256Mi' } });
    expect(app['application']).toMatchObject({ name: 'daily-load', world_size: 2 });
    expect(await grpcurl('GetApplication', { name: 'daily-load' })).toMatchObject({ algorithm: { image: 'registry.local/grid/area-stats:1' } });
  });

  it('runs a task set on the edge node: GridTask, Pods, status back to the task, results in its output', async () => {
    const set = (await python(scheduler!.grpc, 'submit', {
      name: 'edge-daily-load',
      service: 'e2e',
      stages: [{ name: 'edge' }],
      tasks: [{ name: 'area-a01', stage: 'edge', program: 'edge-task@1', retry: { max_attempts: 1 }, input: { params_json: JSON.stringify({ edgeNode: 'substation-a', application: 'daily-load', params: { day: '2026-12-02' }, resultWaitMs: 30_000 }) } }],
    })) as { id: string };
    const summary = async () => (await python(scheduler!.grpc, 'summary', set.id)) as Summary;
    // The GridTask appears on the edge cluster, named after the task's attempt.
    const gt = await waitFor(async () => (JSON.parse(await kubectl(['-n', ns, 'get', 'gridtasks', '-o', 'json'])) as { items: GridTask[] }).items[0], 'the GridTask on the edge cluster', 60_000, 200);
    expect(gt.spec).toMatchObject({ application: 'daily-load', worldSize: 2, port: 9000, args: ['--day', '2026-12-02'], resultTopic: TOPICS.edgeResults, resources: { cpu: '250m', memory: '256Mi' } });
    const taskId = gt.spec.taskId;
    expect(gt.metadata.name).toBe(gridTaskName(taskId, 1));
    const pods = await waitFor(async () => {
      const l = await podsOf(`${LABEL_TASK}=${gt.metadata.name}`);
      return l.length === 2 ? l : undefined;
    }, 'the two rank pods', 30_000, 200);
    const env = Object.fromEntries(pods.find((p) => p.metadata.name.endsWith('-1'))!.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ GS_TASK_ID: taskId, PEERS: `${gt.metadata.name}-0.${ns}.svc:9000,${gt.metadata.name}-1.${ns}.svc:9000` });
    expect((await summary()).task_set.counts).toMatchObject({ EXECUTING: 1 });

    // What a kubelet would write, and what the algorithm's ranks send.
    for (const p of pods) await setPodPhase(p.metadata.name, 'Running');
    await waitFor(async () => (JSON.parse(await kubectl(['-n', ns, 'get', 'gridtask', gt.metadata.name, '-o', 'json'])) as GridTask).status?.phase === 'Running', 'the GridTask running', 20_000, 200);
    const kafka = new Kafka({ brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const result = (rank: number, payload: string, seq = 0) => ({ key: taskId, value: Buffer.from(EdgeTaskResult.encode(EdgeTaskResult.fromPartial({ taskId, gridTask: gt.metadata.name, rank, seq, payloadJson: payload, final: true, producedAtMs: Date.now() })).finish()) });
    await producer.send({
      topic: TOPICS.edgeResults,
      messages: [
        result(0, 'not json'), // dead-lettered, the partition goes on
        result(0, JSON.stringify({ area: 'A01', day: '2026-12-02', peakKw: 412.5, energyKwh: 7310.2 })),
        result(1, JSON.stringify({ area: 'A02', day: '2026-12-02', peakKw: 288.1, energyKwh: 5120.7 })),
      ],
    });
    await producer.disconnect();
    for (const p of pods) await setPodPhase(p.metadata.name, 'Succeeded');

    const done = await waitFor(async () => {
      const s = await summary();
      return (s.task_set.counts?.['SUCCESS'] ?? 0) === 1 ? s : undefined;
    }, 'the edge task to succeed', 60_000, 300);
    const output = JSON.parse(done.outputs[0]!.inline_json!) as { phase: string; complete: boolean; results: Array<{ rank: number; payload: { area: string; peakKw: number } }> };
    expect(output).toMatchObject({ phase: 'Succeeded', complete: true, gridTask: gt.metadata.name, edgeNode: 'substation-a' });
    expect(output.results.map((r) => [r.rank, r.payload.area, r.payload.peakKw])).toEqual([[0, 'A01', 412.5], [1, 'A02', 288.1]]);
  });

  it('fails the task when a rank fails on the edge, with the reason from the GridTask', async () => {
    const set = (await python(scheduler!.grpc, 'submit', {
      name: 'edge-failing',
      service: 'e2e',
      stages: [{ name: 'edge' }],
      tasks: [{ name: 'area-b', stage: 'edge', program: 'edge-task@1', retry: { max_attempts: 1 }, input: { params_json: JSON.stringify({ edgeNode: 'substation-a', application: 'daily-load', params: { day: '2026-12-03' }, worldSize: 1 }) } }],
    })) as { id: string };
    const pod = await waitFor(async () => (await podsOf()).find((p) => p.spec.containers[0]?.args?.includes('2026-12-03')), 'the rank pod of the second task', 60_000, 200);
    await setPodPhase(pod.metadata.name, 'Failed', 'exit code 137');
    const s = await waitFor(async () => {
      const x = (await python(scheduler!.grpc, 'summary', set.id)) as Summary;
      return x.failed.length === 1 ? x : undefined;
    }, 'the edge task to fail', 60_000, 300);
    expect(s.failed[0]!.failure_reason).toMatch(/failed: rank 0 failed: exit code 137/);
  });
});
