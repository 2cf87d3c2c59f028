import type { EdgeNode } from '@gridstation/contracts';
import { GRIDTASK_GROUP, GRIDTASK_PLURAL, GRIDTASK_VERSION, type GridTask } from './gridtask';
import { loadKubernetes, type K8s } from './kube';
import type { ConnectionCheck } from './registry';

// The station's side of an edge cluster: a client made from a registered edge node's connection (its
// API server, token, CA), the registration check, and the GridTask calls delivery needs.

export interface EdgeClusterClient {
  create(t: GridTask): Promise<GridTask>;
  get(name: string): Promise<GridTask | undefined>;
  delete(name: string): Promise<void>;
}

async function clientsFor(node: EdgeNode): Promise<{ k8s: K8s; custom: InstanceType<K8s['CustomObjectsApi']>; version: InstanceType<K8s['VersionApi']> }> {
  const k8s = await loadKubernetes();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: node.name, server: node.apiServer, skipTLSVerify: node.insecureSkipTlsVerify, ...(node.caData ? { caData: Buffer.from(node.caData).toString('base64') } : {}) }],
    users: [{ name: `${node.name}-user`, token: node.token }],
    contexts: [{ name: node.name, cluster: node.name, user: `${node.name}-user`, namespace: node.namespace }],
    currentContext: node.name,
  });
  return { k8s, custom: kc.makeApiClient(k8s.CustomObjectsApi), version: kc.makeApiClient(k8s.VersionApi) };
}

function describe(e: unknown): string {
  const x = e as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  if (x.code && x.body) {
    const b = typeof x.body === 'string' ? (JSON.parse(x.body.startsWith('{') ? x.body : '{}') as { message?: string }) : (x.body as { message?: string });
    return `the API server answered ${x.code}${b.message ? `: ${b.message}` : ''}`;
  }
  return x.message ?? String(e);
}

/** Registration's check: the API server answers, and lists GridTasks in the namespace with these credentials. */
export const kubernetesConnectionCheck: ConnectionCheck = {
  async check(node: EdgeNode): Promise<{ serverVersion: string }> {
    const { custom, version } = await clientsFor(node);
    let serverVersion = '';
    try {
      serverVersion = (await version.getCode()).gitVersion;
      await custom.listNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: node.namespace, plural: GRIDTASK_PLURAL, limit: 1 });
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) throw new Error(`${node.apiServer} does not serve ${GRIDTASK_PLURAL}.${GRIDTASK_GROUP} in namespace ${node.namespace} (install deploy/k8s/edge first)`);
      if (code === 401 || code === 403) throw new Error(`${node.apiServer} refused the credentials for ${GRIDTASK_PLURAL} in ${node.namespace}: ${describe(e)}`);
      throw new Error(`${node.apiServer} could not be reached: ${describe(e)}`);
    }
    return { serverVersion };
  },
};

export async function edgeClusterClient(node: EdgeNode): Promise<EdgeClusterClient> {
  const { custom } = await clientsFor(node);
  const ref = { group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: node.namespace, plural: GRIDTASK_PLURAL };
  return {
    async create(t) {
      try {
        return (await custom.createNamespacedCustomObject({ ...ref, body: t })) as GridTask;
      } catch (e) {
        // Created by an earlier attempt of the same task: deliver is idempotent by name.
        if ((e as { code?: number }).code === 409) return (await custom.getNamespacedCustomObject({ ...ref, name: t.metadata.name })) as GridTask;
        throw e;
      }
    },
    async get(name) {
      try {
        return (await custom.getNamespacedCustomObject({ ...ref, name })) as GridTask;
      } catch (e) {
        if ((e as { code?: number }).code === 404) return undefined;
        throw e;
      }
    },
    async delete(name) {
      try {
        await custom.deleteNamespacedCustomObject({ ...ref, name });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
      }
    },
  };
}
