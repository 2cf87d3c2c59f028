import { infra, requireService, testLogger, waitFor } from '@gridstation/testing';
import { GridTaskController } from '../src/controller';
import { GRIDTASK_FINALIZER, GRIDTASK_GROUP, GRIDTASK_PLURAL, GRIDTASK_VERSION, gridTask, LABEL_TASK, type GridTask, type GridTaskSpec } from '../src/gridtask';
import { clients, createNamespace, installCrd, setPodPhase, type Clients } from './kube';

// The controller against a real kube-apiserver: the objects it creates, and the status it derives from
// Pod status the test writes (there is no kubelet here, so Pods never run).

const spec = (over: Partial<GridTaskSpec> = {}): GridTaskSpec => ({
  taskId: 'ts-9/area-forecast',
  application: 'area-load-forecast',
  algorithm: { name: 'xgb-load', version: '1.2.0', image: 'registry.local/grid/xgb-load:1.2.0' },
  command: ['python', '/app/train.py'],
  worldSize: 3,
  port: 9091,
  framework: 'xgboost',
  env: [{ name: 'PEERS', value: '{{MASTER_ADDR}}:{{MASTER_PORT}}' }],
  resources: { cpu: '500m', memory: '512Mi' },
  resultTopic: 'gs.edge-results.v1',
  ...over,
});

describe('GridTask controller on a real kube-apiserver', () => {
  let c: Clients;
  let ns: string;
  let controller: GridTaskController;

  const ref = (name: string) => ({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: ns, plural: GRIDTASK_PLURAL, name });
  const get = async (name: string) => (await c.custom.getNamespacedCustomObject(ref(name))) as GridTask;
  const create = async (name: string, s: GridTaskSpec) => (await c.custom.createNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: ns, plural: GRIDTASK_PLURAL, body: gridTask(name, ns, s) })) as GridTask;
  const podsOf = async (name: string) => (await c.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL_TASK}=${name}` })).items;
  const servicesOf = async (name: string) => (await c.core.listNamespacedService({ namespace: ns, labelSelector: `${LABEL_TASK}=${name}` })).items;

  beforeAll(async () => {
    await requireService('kube');
    installCrd();
    c = await clients();
    ns = await createNamespace(c, 'gt');
    controller = new GridTaskController({ namespace: ns, kubeconfig: infra.kube.kubeconfig, resyncMs: 2_000, retryMs: 200 }, testLogger());
    await controller.start();
  });

  afterAll(async () => {
    await controller?.stop();
    if (ns) await c.core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('creates one Pod and one headless Service per rank with the templated environment and an owner reference', async () => {
    const created = await create('forecast', spec());
    const pods = await waitFor(async () => {
      const p = await podsOf('forecast');
      return p.length === 3 ? p : undefined;
    }, 'three rank pods', 20_000);
    const services = await waitFor(async () => {
      const s = await servicesOf('forecast');
      return s.length === 3 ? s : undefined;
    }, 'three rank services', 20_000);
    expect(services.map((s) => s.spec?.clusterIP).sort()).toEqual(['None', 'None', 'None']);
    const rank2 = pods.find((p) => p.metadata?.name === 'forecast-2')!;
    const env = Object.fromEntries(rank2.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      DMLC_TRACKER_URI: `forecast-0.${ns}.svc`,
      DMLC_TRACKER_PORT: '9091',
      DMLC_NUM_WORKER: '3',
      DMLC_TASK_ID: '2',
      PEERS: `forecast-0.${ns}.svc:9091`,
      GS_TASK_ID: 'ts-9/area-forecast',
      GS_RESULT_TOPIC: 'gs.edge-results.v1',
    });
    expect(JSON.parse(env['GS_NETWORK_INFO']!)).toMatchObject({ rank: 2, world_size: 3, worker_addrs: [`forecast-1.${ns}.svc`, `forecast-2.${ns}.svc`] });
    expect(rank2.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(rank2.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'GridTask', name: 'forecast', uid: created.metadata.uid, controller: true })]);
    const stored = await waitFor(async () => {
      const t = await get('forecast');
      return t.status?.ranks?.length === 3 ? t : undefined;
    }, 'the status with three ranks', 20_000);
    expect(stored.metadata.finalizers).toContain(GRIDTASK_FINALIZER);
    expect(stored.status!.phase).toBe('Pending');
    expect(stored.status!.conditions.find((x) => x.type === 'WorkClusterCreated')).toMatchObject({ status: 'True', message: '3/3 rank pods exist' });
  });

  it('follows the Pods: Running once every rank runs, Succeeded when every rank succeeded', async () => {
    for (const r of [0, 1, 2]) await setPodPhase(c, ns, `forecast-${r}`, 'Running');
    const running = await waitFor(async () => {
      const t = await get('forecast');
      return t.status?.phase === 'Running' ? t : undefined;
    }, 'phase Running', 20_000);
    expect(running.status!.ranks.every((r) => r.ready)).toBe(true);
    expect(running.status!.startedAt).toBeDefined();
    for (const r of [0, 1, 2]) await setPodPhase(c, ns, `forecast-${r}`, 'Succeeded');
    const done = await waitFor(async () => {
      const t = await get('forecast');
      return t.status?.phase === 'Succeeded' ? t : undefined;
    }, 'phase Succeeded', 20_000);
    expect(done.status!.finishedAt).toBeDefined();
    expect(done.status!.conditions.find((x) => x.type === 'Complete')).toMatchObject({ status: 'True', message: '3/3 ranks succeeded' });
  });

  it('reconciles idempotently: a second controller over the same objects creates nothing and rewrites no status', async () => {
    await controller.idle();
    const before = await get('forecast');
    const second = new GridTaskController({ namespace: ns, kubeconfig: infra.kube.kubeconfig, resyncMs: 60_000 }, testLogger());
    await second.reconcile('forecast');
    await second.reconcile('forecast');
    expect(second.counts).toMatchObject({ reconciles: 2, created: 0, statusWrites: 0 });
    expect((await get('forecast')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await podsOf('forecast')).toHaveLength(3);
  });

  it('fails the task when a rank fails, naming the rank', async () => {
    await create('failing', spec({ worldSize: 2, framework: 'lightgbm' }));
    await waitFor(async () => ((await podsOf('failing')).length === 2 ? true : undefined), 'two rank pods of the failing task', 20_000);
    await setPodPhase(c, ns, 'failing-0', 'Running');
    await setPodPhase(c, ns, 'failing-1', 'Failed', 'OOMKilled');
    const t = await waitFor(async () => {
      const x = await get('failing');
      return x.status?.phase === 'Failed' ? x : undefined;
    }, 'phase Failed after a rank failed', 20_000);
    expect(t.status!.conditions.find((x) => x.type === 'Complete')!.message).toBe('rank 1 failed: OOMKilled');
  });

  it('fails a task whose template names an unknown placeholder, and creates nothing for it', async () => {
    await create('badtemplate', spec({ env: [{ name: 'TRACKER', value: '{{MASTER_HOST}}' }] }));
    const t = await waitFor(async () => {
      const x = await get('badtemplate');
      return x.status?.phase === 'Failed' ? x : undefined;
    }, 'phase Failed for the invalid template', 20_000);
    expect(t.status!.conditions[0]).toMatchObject({ type: 'Valid', status: 'False', reason: 'InvalidTemplate' });
    expect(t.status!.conditions[0]!.message).toMatch(/TRACKER: unknown placeholder \{\{MASTER_HOST\}\}/);
    expect(await podsOf('badtemplate')).toHaveLength(0);
  });

  it('removes the work cluster, then its finalizer, when the GridTask is deleted', async () => {
    await c.custom.deleteNamespacedCustomObject(ref('forecast'));
    await waitFor(async () => {
      try {
        await get('forecast');
        return undefined;
      } catch (e) {
        return (e as { code?: number }).code === 404 ? true : undefined;
      }
    }, 'the deleted GridTask to be gone', 20_000);
    expect(await podsOf('forecast')).toHaveLength(0);
    expect(await servicesOf('forecast')).toHaveLength(0);
  });

  it("is held to the CRD's schema by the API server", async () => {
    const refuse = async (body: unknown, opts: { fieldValidation?: string } = {}) => {
      try {
        await c.custom.createNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: ns, plural: GRIDTASK_PLURAL, body, ...opts });
      } catch (e) {
        return `${(e as { code?: number }).code} ${String((e as { body?: unknown }).body)}`;
      }
      return 'accepted';
    };
    expect(await refuse(gridTask('zero', ns, spec({ worldSize: 0 })))).toMatch(/^422 .*worldSize/);
    expect(await refuse(gridTask('frame', ns, spec({ framework: 'pytorch' as never })))).toMatch(/^422 .*framework/);
    expect(await refuse({ ...gridTask('extra', ns, spec()), spec: { ...spec(), replicas: 3 } }, { fieldValidation: 'Strict' })).toMatch(/^400 .*strict decoding error: unknown field \W+spec\.replicas/);
    // worldSize cannot change once the work cluster exists (a CEL transition rule).
    await create('fixed', spec({ worldSize: 1 }));
    let refused = '';
    try {
      await c.custom.patchNamespacedCustomObject({ ...ref('fixed'), body: { spec: { worldSize: 4 } } }, c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.MergePatch));
    } catch (e) {
      refused = `${(e as { code?: number }).code} ${String((e as { body?: unknown }).body)}`;
    }
    expect(refused).toMatch(/^422 .*cannot change once the work cluster exists/);
  });
});
