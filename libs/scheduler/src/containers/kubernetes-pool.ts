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
  private k8s: K8s | undefined;

  constructor(
    private readonly o: { namespace: string; deployment: string; trialDeployment: string; kubeconfig?: string },
    private readonly log: Logger,
  ) {}

  private apps(): Promise<InstanceType<K8s['AppsV1Api']>> {
    this.api ??= load('@kubernetes/client-node').then((k) => {
      this.k8s = k;
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
    await api.patchNamespacedDeploymentScale({ name, namespace: this.o.namespace, body: { spec: { replicas: n } } }, this.patchAs('application/merge-patch+json'));
    this.log.info({ deployment: name, replicas: n }, 'worker deployment scaled');
    this.wanted[trial ? 'trial' : 'production'] = n;
  }

  /**
   * Sets the requests and limits of the workers' container (a strategic merge patch of the pod template:
   * the Deployment rolls its pods onto the new size). Used when the forecast says tasks need bigger workers.
   */
  async patchResources(trial: boolean, r: { cpu: string; memory: string }, container = 'worker'): Promise<void> {
    const api = await this.apps();
    const name = trial ? this.o.trialDeployment : this.o.deployment;
    const resources = { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpu, memory: r.memory } };
    await api.patchNamespacedDeployment({ name, namespace: this.o.namespace, body: { spec: { template: { spec: { containers: [{ name: container, resources }] } } } } }, this.patchAs('application/strategic-merge-patch+json'));
    this.log.info({ deployment: name, ...r }, 'worker deployment resized');
  }

  /** Sends a patch with this content type (the client's default is a JSON patch). */
  private patchAs(contentType: string) {
    return this.k8s!.setHeaderOptions('Content-Type', contentType);
  }

  async close(): Promise<void> {
    // Replicas stay as they are: the workers belong to the cluster, not to this process.
  }
}
