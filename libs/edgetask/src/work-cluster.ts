import { CONTROLLER_NAME, GRIDTASK_API_VERSION, GRIDTASK_KIND, LABEL_MANAGED_BY, LABEL_RANK, LABEL_TASK, type Condition, type GridTask, type GridTaskStatus, type RankPhase, type RankStatus, type TaskPhase } from './gridtask';
import { networkInfo, podEnv } from './templates';

// What a GridTask should have in its namespace (pure: the controller creates what is missing) and what
// its status is, given its Pods. One Pod and one headless Service per rank; the Service gives the rank
// a stable DNS name (the addresses in network_info) and selects exactly that rank's Pod.

export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences: OwnerReference[] };
  spec: Record<string, unknown>;
}
export interface ServiceObject {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences: OwnerReference[] };
  spec: Record<string, unknown>;
}
interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean }

export function rankName(task: string, rank: number): string {
  return `${task}-${rank}`;
}

function owner(t: GridTask): OwnerReference {
  if (!t.metadata.uid) throw new Error(`GridTask ${t.metadata.name} has no uid yet: only stored objects own a work cluster`);
  return { apiVersion: GRIDTASK_API_VERSION, kind: GRIDTASK_KIND, name: t.metadata.name, uid: t.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function labels(t: GridTask, rank: number): Record<string, string> {
  return { [LABEL_TASK]: t.metadata.name, [LABEL_RANK]: String(rank), [LABEL_MANAGED_BY]: CONTROLLER_NAME };
}

export function desiredPods(t: GridTask): PodObject[] {
  const ns = t.metadata.namespace ?? 'default';
  const s = t.spec;
  return Array.from({ length: s.worldSize }, (_, rank) => {
    const name = rankName(t.metadata.name, rank);
    const env = podEnv(s, networkInfo(t.metadata.name, ns, s, rank));
    if (s.resultTopic) env.push({ name: 'GS_RESULT_TOPIC', value: s.resultTopic });
    env.push({ name: 'GS_TASK_ID', value: s.taskId });
    const resources = s.resources && (s.resources.cpu || s.resources.memory)
      ? { requests: { ...(s.resources.cpu ? { cpu: s.resources.cpu } : {}), ...(s.resources.memory ? { memory: s.resources.memory } : {}) }, limits: { ...(s.resources.cpu ? { cpu: s.resources.cpu } : {}), ...(s.resources.memory ? { memory: s.resources.memory } : {}) } }
      : undefined;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: labels(t, rank), ownerReferences: [owner(t)] },
      spec: {
        // A rank that ends (success or failure) is not restarted: the task's phase is decided from it.
        restartPolicy: 'Never',
        hostname: name,
        containers: [{
          name: 'algorithm',
          image: s.algorithm.image,
          ...(s.command?.length ? { command: s.command } : {}),
          ...(s.args?.length ? { args: s.args } : {}),
          env,
          ports: [{ name: 'rank', containerPort: s.port }],
          ...(resources ? { resources } : {}),
        }],
      },
    };
  });
}

export function desiredServices(t: GridTask): ServiceObject[] {
  const ns = t.metadata.namespace ?? 'default';
  return Array.from({ length: t.spec.worldSize }, (_, rank) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: rankName(t.metadata.name, rank), namespace: ns, labels: labels(t, rank), ownerReferences: [owner(t)] },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { [LABEL_TASK]: t.metadata.name, [LABEL_RANK]: String(rank) },
      ports: [{ name: 'rank', port: t.spec.port, targetPort: t.spec.port }],
    },
  }));
}

/** What the controller reads of a Pod. */
export interface ObservedPod {
  name: string;
  rank: number;
  phase?: string;
  ready: boolean;
  message?: string;
}

function rankPhase(p: ObservedPod | undefined): RankPhase {
  if (!p) return 'Missing';
  const known: readonly string[] = ['Pending', 'Running', 'Succeeded', 'Failed'];
  if (p.phase === undefined) return 'Pending';
  return known.includes(p.phase) ? (p.phase as RankPhase) : 'Unknown';
}

/**
 * The task's phase from its ranks: Failed as soon as one rank failed (a distributed algorithm cannot finish
 * without it), Succeeded when every rank succeeded, Running once every rank is running (or done), else Pending.
 */
export function taskPhase(ranks: RankStatus[]): TaskPhase {
  if (ranks.some((r) => r.phase === 'Failed')) return 'Failed';
  if (ranks.length > 0 && ranks.every((r) => r.phase === 'Succeeded')) return 'Succeeded';
  if (ranks.length > 0 && ranks.every((r) => r.phase === 'Running' || r.phase === 'Succeeded')) return 'Running';
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string, message: string, prev: Condition[] | undefined, now: string): Condition {
  const status = ok ? 'True' : 'False';
  const before = prev?.find((c) => c.type === type);
  return { type, status, reason, message, lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now };
}

/** The status a GridTask should have given its Pods (a transition time changes only when its condition does). */
export function statusOf(t: GridTask, pods: ObservedPod[], now: Date, invalid?: string): GridTaskStatus {
  const at = now.toISOString();
  const prev = t.status;
  if (invalid) {
    return {
      phase: 'Failed',
      observedGeneration: t.metadata.generation,
      ranks: [],
      conditions: [condition('Valid', false, 'InvalidTemplate', invalid, prev?.conditions, at)],
      startedAt: prev?.startedAt,
      finishedAt: prev?.finishedAt ?? at,
    };
  }
  const byRank = new Map(pods.map((p) => [p.rank, p]));
  const ranks: RankStatus[] = Array.from({ length: t.spec.worldSize }, (_, rank) => {
    const p = byRank.get(rank);
    return { rank, pod: rankName(t.metadata.name, rank), phase: rankPhase(p), ready: p?.ready ?? false, ...(p?.message ? { message: p.message } : {}) };
  });
  const phase = taskPhase(ranks);
  const created = ranks.filter((r) => r.phase !== 'Missing').length;
  const running = ranks.filter((r) => r.phase === 'Running').length;
  const done = phase === 'Succeeded' || phase === 'Failed';
  const failed = ranks.filter((r) => r.phase === 'Failed');
  return {
    phase,
    observedGeneration: t.metadata.generation,
    ranks,
    conditions: [
      condition('Valid', true, 'TemplatesResolved', 'every environment template resolved', prev?.conditions, at),
      condition('WorkClusterCreated', created === ranks.length, 'PodsAndServices', `${created}/${ranks.length} rank pods exist`, prev?.conditions, at),
      condition('Running', phase === 'Running', 'RanksRunning', `${running}/${ranks.length} ranks running`, prev?.conditions, at),
      condition('Complete', done, phase === 'Failed' ? 'RankFailed' : 'RanksSucceeded',
        phase === 'Failed' ? `rank ${failed.map((r) => r.rank).join(',')} failed${failed[0]?.message ? `: ${failed[0].message}` : ''}` : `${ranks.filter((r) => r.phase === 'Succeeded').length}/${ranks.length} ranks succeeded`,
        prev?.conditions, at),
    ],
    startedAt: prev?.startedAt ?? (phase !== 'Pending' ? at : undefined),
    finishedAt: prev?.finishedAt ?? (done ? at : undefined),
  };
}

/** JSON with object keys in sorted order and undefined members left out (the API server re-orders keys). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether two statuses differ in anything but transition times (so an unchanged status is not rewritten). */
export function sameStatus(a: GridTaskStatus | undefined, b: GridTaskStatus): boolean {
  if (!a) return false;
  const strip = (s: GridTaskStatus) => canonical({ ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: '' })) });
  return strip(a) === strip(b);
}
