import { freePort, httpGet, infra, requireService, spawnMain, waitFor, type SpawnedMain } from '@gridstation/testing';
import { GRIDTASK_GROUP, GRIDTASK_PLURAL, GRIDTASK_VERSION, gridTask, kubeConfig, LABEL_TASK, loadKubernetes } from '@gridstation/edgetask';

// The edge controller as its own process against the real kube-apiserver: ready only once the API
// answers for GridTasks, and it turns a GridTask into its work cluster.

describe('edge controller service', () => {
  let main: SpawnedMain | undefined;
  let ns = '';

  afterAll(async () => {
    if (main) {
      main.child.kill('SIGTERM');
      await main.exit;
    }
    if (ns) {
      const k8s = await loadKubernetes();
      const core = (await kubeConfig(infra.kube.kubeconfig)).makeApiClient(k8s.CoreV1Api);
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });

  it('reports ready and creates the Pods of a GridTask', async () => {
    await requireService('kube');
    const k8s = await loadKubernetes();
    const kc = await kubeConfig(infra.kube.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    ns = `edge-${Date.now().toString(36)}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const http = await freePort();
    main = spawnMain('apps/edge-controller/src/main.ts', { GS_HTTP_PORT: String(http), GS_GRPC_PORT: String(await freePort()), GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_EDGE_NAMESPACE: ns, GS_KUBECONFIG: infra.kube.kubeconfig, GS_LOG_LEVEL: 'warn' });
    await waitFor(async () => (await httpGet(http, '/readyz')).status === 200, 'the edge controller ready', 60_000);
    await custom.createNamespacedCustomObject({
      group: GRIDTASK_GROUP,
      version: GRIDTASK_VERSION,
      namespace: ns,
      plural: GRIDTASK_PLURAL,
      body: gridTask('stats', ns, { taskId: 't-1', application: 'area-stats', algorithm: { name: 'stats', version: '1', image: 'registry.local/stats:1' }, worldSize: 2, port: 9000, framework: 'none' }),
    });
    const pods = await waitFor(async () => {
      const l = await core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL_TASK}=stats` });
      return l.items.length === 2 ? l.items : undefined;
    }, 'the two rank pods', 30_000);
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(['stats-0', 'stats-1']);
  });
});
