import type { Logger } from '@gridstation/telemetry';
import {
  CONTROLLER_NAME,
  GRIDTASK_FINALIZER,
  GRIDTASK_GROUP,
  GRIDTASK_PLURAL,
  GRIDTASK_VERSION,
  LABEL_MANAGED_BY,
  LABEL_RANK,
  LABEL_TASK,
  type GridTask,
} from './gridtask';
import { kubeConfig, loadKubernetes, type K8s, type KubeConfigOf } from './kube';
import { templateErrors } from './templates';
import { desiredPods, desiredServices, sameStatus, statusOf, type ObservedPod } from './work-cluster';

// The GridTask controller of an edge cluster (seed 001, III.C): watches GridTasks and the Pods it made
// (informers: list, then watch from the list's resourceVersion, relisting when the watch ends), and
// reconciles one task at a time from a queue that holds each name once:
//   - a task being deleted: its Pods and Services are deleted, then the finalizer is removed (nothing
//     else garbage-collects them on a cluster without a controller manager, and it frees the names);
//   - otherwise the finalizer is added, the templates are checked (an invalid one fails the task with a
//     condition saying which variable and placeholder), the missing Pods and Services are created with
//     an owner reference to the task, and the status is computed from the Pods and written only when
//     it changed.
// Reconciling twice changes nothing the second time: creation ignores AlreadyExists, status writes are
// skipped when equal. A finished task's Pods are not recreated.

export interface ControllerOptions {
  namespace: string;
  kubeconfig?: string;
  /** Every task is reconciled again this often, even without an event. */
  resyncMs?: number;
  /** How long a failed reconcile waits before it is retried (doubled per failure, up to 30 s). */
  retryMs?: number;
}

interface Counts { reconciles: number; failures: number; created: number; deleted: number; statusWrites: number }

export class GridTaskController {
  private k8s!: K8s;
  private kc!: KubeConfigOf;
  private custom!: InstanceType<K8s['CustomObjectsApi']>;
  private connected: Promise<void> | undefined;
  private core!: InstanceType<K8s['CoreV1Api']>;
  private informers: Array<{ stop(): Promise<void> }> = [];
  private readonly queue = new Set<string>();
  private readonly failures = new Map<string, number>();
  private draining: Promise<void> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly counts: Counts = { reconciles: 0, failures: 0, created: 0, deleted: 0, statusWrites: 0 };

  constructor(private readonly o: ControllerOptions, private readonly log: Logger) {}

  private connect(): Promise<void> {
    this.connected ??= (async () => {
      this.k8s = await loadKubernetes();
      this.kc = await kubeConfig(this.o.kubeconfig);
      this.custom = this.kc.makeApiClient(this.k8s.CustomObjectsApi);
      this.core = this.kc.makeApiClient(this.k8s.CoreV1Api);
    })();
    return this.connected;
  }

  async start(): Promise<void> {
    await this.connect();
    const ns = this.o.namespace;
    const tasks = this.k8s.makeInformer<{ metadata?: { name?: string } }>(
      this.kc,
      `/apis/${GRIDTASK_GROUP}/${GRIDTASK_VERSION}/namespaces/${ns}/${GRIDTASK_PLURAL}`,
      () => this.custom.listNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: ns, plural: GRIDTASK_PLURAL }),
    );
    const selector = `${LABEL_MANAGED_BY}=${CONTROLLER_NAME}`;
    const pods = this.k8s.makeInformer(this.kc, `/api/v1/namespaces/${ns}/pods`, () => this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }), selector);
    for (const ev of ['add', 'update', 'delete'] as const) {
      tasks.on(ev, (t) => this.enqueue(t.metadata?.name));
      pods.on(ev, (p) => this.enqueue(p.metadata?.labels?.[LABEL_TASK]));
    }
    for (const [what, inf] of [['gridtasks', tasks], ['pods', pods]] as const) {
      inf.on('error', (err: unknown) => {
        if (this.stopped) return;
        this.log.warn({ err: String(err), watch: what }, 'watch ended; restarting it');
        setTimeout(() => void inf.start().catch((e: unknown) => this.log.warn({ err: String(e), watch: what }, 'watch restart failed')), this.o.retryMs ?? 1000).unref();
      });
    }
    await tasks.start();
    await pods.start();
    this.informers = [tasks, pods];
    this.resync = setInterval(() => void this.resyncAll(), this.o.resyncMs ?? 30_000);
    this.resync.unref();
    this.log.info({ namespace: ns }, 'gridtask controller watching');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.draining;
  }

  /** Ready when the API server answers for GridTasks in the namespace (the CRD is installed, the credentials allow it). */
  async healthCheck(): Promise<void> {
    await this.connect();
    await this.custom.listNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: this.o.namespace, plural: GRIDTASK_PLURAL, limit: 1 });
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async resyncAll(): Promise<void> {
    try {
      const list = (await this.custom.listNamespacedCustomObject({ group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: this.o.namespace, plural: GRIDTASK_PLURAL })) as { items: GridTask[] };
      for (const t of list.items) this.enqueue(t.metadata.name);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'gridtask resync failed');
    }
  }

  enqueue(name: string | undefined): void {
    if (!name || this.stopped) return;
    this.queue.add(name);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const name = this.queue.values().next().value as string;
      this.queue.delete(name);
      try {
        await this.reconcile(name);
        this.failures.delete(name);
      } catch (err) {
        this.counts.failures++;
        const n = (this.failures.get(name) ?? 0) + 1;
        this.failures.set(name, n);
        const wait = Math.min(30_000, (this.o.retryMs ?? 500) * 2 ** (n - 1));
        this.log.warn({ task: name, err: errorText(err), retryInMs: wait }, 'gridtask reconcile failed; retrying');
        setTimeout(() => this.enqueue(name), wait).unref();
      }
    }
  }

  /** Brings one task's work cluster and status to what its spec and Pods say. */
  async reconcile(name: string): Promise<void> {
    await this.connect();
    this.counts.reconciles++;
    const ns = this.o.namespace;
    const ref = { group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: ns, plural: GRIDTASK_PLURAL, name };
    let task: GridTask;
    try {
      task = (await this.custom.getNamespacedCustomObject(ref)) as GridTask;
    } catch (err) {
      if (status(err) === 404) return; // gone: its finalizer already ran
      throw err;
    }
    const selector = `${LABEL_TASK}=${name},${LABEL_MANAGED_BY}=${CONTROLLER_NAME}`;
    const finalizers = task.metadata.finalizers ?? [];

    if (task.metadata.deletionTimestamp) {
      if (!finalizers.includes(GRIDTASK_FINALIZER)) return;
      const [pods, services] = await Promise.all([this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }), this.core.listNamespacedService({ namespace: ns, labelSelector: selector })]);
      for (const p of pods.items) await this.ignore404(this.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns, gracePeriodSeconds: 0 }), 'pod');
      for (const s of services.items) await this.ignore404(this.core.deleteNamespacedService({ name: s.metadata!.name!, namespace: ns }), 'service');
      await this.custom.patchNamespacedCustomObject(
        { ...ref, body: { metadata: { resourceVersion: task.metadata.resourceVersion, finalizers: finalizers.filter((f) => f !== GRIDTASK_FINALIZER) } } },
        this.merge(),
      );
      this.log.info({ task: name, pods: pods.items.length, services: services.items.length }, 'gridtask deleted with its work cluster');
      return;
    }

    if (!finalizers.includes(GRIDTASK_FINALIZER)) {
      task = (await this.custom.patchNamespacedCustomObject(
        { ...ref, body: { metadata: { resourceVersion: task.metadata.resourceVersion, finalizers: [...finalizers, GRIDTASK_FINALIZER] } } },
        this.merge(),
      )) as GridTask;
    }

    const invalid = templateErrors(task.spec);
    if (invalid.length > 0) {
      await this.writeStatus(task, [], invalid.join('; '));
      return;
    }

    const finished = task.status?.phase === 'Succeeded' || task.status?.phase === 'Failed';
    const [pods, services] = await Promise.all([this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }), this.core.listNamespacedService({ namespace: ns, labelSelector: selector })]);
    const havePods = new Set(pods.items.map((p) => p.metadata?.name));
    const haveServices = new Set(services.items.map((s) => s.metadata?.name));
    for (const s of desiredServices(task)) {
      if (!haveServices.has(s.metadata.name)) await this.create(this.core.createNamespacedService({ namespace: ns, body: s as never }), s.metadata.name);
    }
    if (!finished) {
      for (const p of desiredPods(task)) {
        if (!havePods.has(p.metadata.name)) await this.create(this.core.createNamespacedPod({ namespace: ns, body: p as never }), p.metadata.name);
      }
    }
    const now = await this.core.listNamespacedPod({ namespace: ns, labelSelector: selector });
    await this.writeStatus(task, now.items.map(observe));
  }

  private async writeStatus(task: GridTask, pods: ObservedPod[], invalid?: string): Promise<void> {
    const next = statusOf(task, pods, new Date(), invalid);
    if (sameStatus(task.status, next)) return;
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: GRIDTASK_GROUP, version: GRIDTASK_VERSION, namespace: this.o.namespace, plural: GRIDTASK_PLURAL, name: task.metadata.name, body: { status: next } },
      this.merge(),
    );
    this.counts.statusWrites++;
    if (next.phase !== task.status?.phase) this.log.info({ task: task.metadata.name, phase: next.phase, was: task.status?.phase }, 'gridtask phase');
  }

  private async create(p: Promise<unknown>, name: string): Promise<void> {
    try {
      await p;
      this.counts.created++;
    } catch (err) {
      if (status(err) !== 409) throw err; // AlreadyExists: made by an earlier pass
      this.log.debug({ name }, 'already exists');
    }
  }

  private async ignore404(p: Promise<unknown>, what: string): Promise<void> {
    try {
      await p;
      this.counts.deleted++;
    } catch (err) {
      if (status(err) !== 404) throw err;
      this.log.debug({ what }, 'already deleted');
    }
  }

  private merge() {
    return this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.MergePatch);
  }
}

function observe(p: { metadata?: { name?: string; labels?: Record<string, string> }; status?: { phase?: string; message?: string; reason?: string; conditions?: Array<{ type: string; status: string }> } }): ObservedPod {
  return {
    name: p.metadata?.name ?? '',
    rank: Number(p.metadata?.labels?.[LABEL_RANK] ?? -1),
    phase: p.status?.phase,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    message: p.status?.message ?? p.status?.reason,
  };
}

function status(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number };
  return e.code ?? e.statusCode;
}

function errorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (e.code && e.body) return `HTTP ${e.code}: ${typeof e.body === 'string' ? e.body.slice(0, 300) : JSON.stringify(e.body).slice(0, 300)}`;
  return e.message ?? String(err);
}
