import type { Logger } from '@gridstation/telemetry';
import type { ContainerPool } from './container-pool';

// Workers as the replicas of a Deployment (one for production workers, one for trial workers), scaled
// through the API server's scale subresource with @kubernetes/client-node. The pod template (image,
// resources, GS_SCHEDULER_GRPC) lives in deploy/k8s; this adapter only changes replica counts.
// @kubernetes/client-node is an ES module (1.x; 2.x needs Node 22's zstd), loaded with a real dynamic import.

type K8s = typeof import('@kubernetes/client-node');
const load = new Function('s', 'return import(s)') as (s: string) => Promise<K8s>;

export class KubernetesPool implements ContainerPool {
  readonly kind = 'kubernetes';
  private readonly wanted = { trial: 0, production: 0 };
  private api: Promise<InstanceType<K8s['AppsV1Api']>> | undefined;

  constructor(
    private readonly o: { namespace: string; deployment: string; trialDeployment: string; kubeconfig?: string },
    private readonly log: Logger,
  ) {}

  private apps(): Promise<InstanceType<K8s['AppsV1Api']>> {
    this.api ??= load('@kubernetes/client-node').then((k) => {
      const kc = new k.KubeConfig();
      if (this.o.kubeconfig) kc.loadFromFile(this.o.kubeconfig);
      else kc.loadFromDefault();
      return kc.makeApiClient(k.AppsV1Api);
    });
    return this.api;
  }

  size(trial: boolean): number {
    return this.wanted[trial ? 'trial' : 'production'];
  }

  /** Reads the replica counts the Deployments have now (at start, so the pool does not assume zero). */
  async refresh(): Promise<void> {
    const api = await this.apps();
    for (const trial of [false, true]) {
      const s = await api.readNamespacedDeploymentScale({ name: trial ? this.o.trialDeployment : this.o.deployment, namespace: this.o.namespace });
      this.wanted[trial ? 'trial' : 'production'] = s.spec?.replicas ?? 0;
    }
  }

  async scaleTo(trial: boolean, n: number): Promise<void> {
    const api = await this.apps();
    const name = trial ? this.o.trialDeployment : this.o.deployment;
    await api.patchNamespacedDeploymentScale({ name, namespace: this.o.namespace, body: { spec: { replicas: n } } }, k8sMergePatch());
    this.log.info({ deployment: name, replicas: n }, 'worker deployment scaled');
    this.wanted[trial ? 'trial' : 'production'] = n;
  }

  async close(): Promise<void> {
    // Replicas stay as they are: the workers belong to the cluster, not to this process.
  }
}

/** Sends patches as application/merge-patch+json (the client's default is a JSON patch). */
function k8sMergePatch() {
  return { middleware: [{ pre: async (ctx: { setHeaderParam(k: string, v: string): void }) => (ctx.setHeaderParam('Content-Type', 'application/merge-patch+json'), ctx), post: async (r: unknown) => r }] } as never;
}
