import { createHash } from 'node:crypto';
import type { EdgeNode, EdgeTaskResult } from '@gridstation/contracts';
import { invalidArgument } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import type { EdgeClusterClient } from './edge-cluster';
import { gridTask, type GridTask, type GridTaskStatus, type Framework } from './gridtask';
import type { EdgeRegistry } from './registry';

// Delivery (seed 001, III.C): a task of slot "edge.task" runs as this program on the scheduler's edge
// workers. It creates the GridTask of the task's application on the chosen edge node, follows its status
// while the task is EXECUTING, and ends the task with the GridTask's outcome: Succeeded -> the results
// the ranks sent back (gs.edge-results.v1, gathered by the results index) as the task's output;
// Failed -> a failure naming the rank. A cancel or time-out deletes the GridTask (its controller then
// removes the Pods). The GridTask's name comes from the task id and attempt, so a worker that runs the
// same attempt again finds the GridTask it made instead of making a second one.

export const EDGE_TASK_PROGRAM = 'edge-task@1';
export const EDGE_POOL = 'edge';

export interface EdgeTaskInput {
  edgeNode: string;
  application: string;
  /** Values of the algorithm's declared parameters ({name} in the application's arguments). */
  params?: Record<string, string | number | boolean>;
  /** Ranks, when the task wants another number than the application's. */
  worldSize?: number;
  /** How long to wait for every rank's final result after the GridTask succeeded. */
  resultWaitMs?: number;
}

export interface EdgeTaskOutput {
  businessType: 'edge-task';
  edgeNode: string;
  gridTask: string;
  phase: string;
  ranks: GridTaskStatus['ranks'];
  /** Every rank that sent its final result. */
  complete: boolean;
  results: Array<{ rank: number; seq: number; final: boolean; payload: unknown }>;
}

export interface ResultIndex {
  add(results: readonly EdgeTaskResult[]): Promise<void>;
  of(taskId: string): Promise<EdgeTaskResult[]>;
}

export interface TaskContext {
  taskId: string;
  taskSetId: string;
  attempt: number;
}

export interface DeliveryDeps {
  registry: EdgeRegistry;
  cluster(node: EdgeNode): Promise<EdgeClusterClient>;
  results: ResultIndex;
  resultTopic: string;
  log: Logger;
  pollMs?: number;
}

/** The GridTask name of one attempt of a task: a DNS label short enough for its ranks' Service names. */
export function gridTaskName(taskId: string, attempt: number): string {
  return `gt-${createHash('sha256').update(taskId).digest('hex').slice(0, 16)}-a${attempt}`;
}

function inputOf(x: unknown): EdgeTaskInput {
  const i = (x ?? {}) as Partial<EdgeTaskInput>;
  const problems: string[] = [];
  if (typeof i.edgeNode !== 'string' || !i.edgeNode) problems.push('edgeNode is required');
  if (typeof i.application !== 'string' || !i.application) problems.push('application is required');
  if (i.worldSize !== undefined && !(Number.isInteger(i.worldSize) && i.worldSize >= 1 && i.worldSize <= 256)) problems.push('worldSize must be an integer 1-256');
  if (problems.length > 0) throw invalidArgument('EDGE_TASK_INPUT', problems.join('; '));
  return i as EdgeTaskInput;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

export function edgeTaskProgram(d: DeliveryDeps): (input: unknown, signal: AbortSignal, ctx?: TaskContext) => Promise<EdgeTaskOutput> {
  const pollMs = d.pollMs ?? 1_000;
  return async (raw, signal, ctx) => {
    if (!ctx) throw new Error('the edge task program needs its task context (task id and attempt)');
    const input = inputOf(raw);
    const node = await d.registry.node(input.edgeNode);
    const { application, algorithm } = await d.registry.application(input.application);
    const declared = new Map(algorithm.parameters.map((p) => [p.name, p]));
    const params = input.params ?? {};
    const problems: string[] = [];
    for (const p of algorithm.parameters) if (p.required && params[p.name] === undefined && !p.defaultValue) problems.push(`parameter ${p.name} is required by ${algorithm.name}@${algorithm.version}`);
    for (const k of Object.keys(params)) if (!declared.has(k)) problems.push(`parameter ${k} is not declared by ${algorithm.name}@${algorithm.version}`);
    if (problems.length > 0) throw invalidArgument('EDGE_TASK_PARAMS', problems.join('; '));
    const value = (name: string) => String(params[name] ?? declared.get(name)?.defaultValue ?? '');
    const name = gridTaskName(ctx.taskId, ctx.attempt);
    const body: GridTask = gridTask(name, node.namespace, {
      taskId: ctx.taskId,
      application: application.name,
      algorithm: { name: algorithm.name, version: algorithm.version, image: algorithm.image },
      command: application.command,
      args: application.args.map((a) => a.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => value(k))),
      worldSize: input.worldSize ?? (application.worldSize || 1),
      port: algorithm.port,
      framework: algorithm.framework as Framework,
      env: [...algorithm.env, ...application.env],
      ...(application.cpu || application.memory ? { resources: { ...(application.cpu ? { cpu: application.cpu } : {}), ...(application.memory ? { memory: application.memory } : {}) } } : {}),
      resultTopic: d.resultTopic,
    });
    body.metadata.labels = { ...body.metadata.labels, 'gridstation.io/task-set': ctx.taskSetId.slice(0, 63).replace(/[^A-Za-z0-9._-]/g, '_') };
    const cluster = await d.cluster(node);
    await cluster.create(body);
    d.log.info({ task: ctx.taskId, gridTask: name, edgeNode: node.name, worldSize: body.spec.worldSize }, 'edge task delivered');
    try {
      let status: GridTaskStatus | undefined;
      for (;;) {
        const t = await cluster.get(name);
        if (!t) throw new Error(`GridTask ${name} disappeared from edge node ${node.name}`);
        status = t.status;
        if (status?.phase === 'Succeeded' || status?.phase === 'Failed') break;
        await sleep(pollMs, signal);
      }
      if (status.phase === 'Failed') {
        const why = status.conditions.find((c) => c.status === 'False' && c.type === 'Valid') ?? status.conditions.find((c) => c.type === 'Complete');
        const e = new Error(`GridTask ${name} on ${node.name} failed: ${why?.message ?? 'no reason given'}`);
        // A template the controller refused fails every attempt the same way.
        if (why?.type === 'Valid') throw invalidArgument('EDGE_TASK_INVALID', e.message);
        throw e;
      }
      const worldSize = status.ranks.length;
      const deadline = Date.now() + (input.resultWaitMs ?? 30_000);
      let results = await d.results.of(ctx.taskId);
      const finals = () => new Set(results.filter((r) => r.final && r.gridTask === name).map((r) => r.rank));
      while (finals().size < worldSize && Date.now() < deadline) {
        await sleep(Math.min(pollMs, 250), signal);
        results = await d.results.of(ctx.taskId);
      }
      const mine = results.filter((r) => r.gridTask === name).sort((a, b) => a.rank - b.rank || a.seq - b.seq);
      return {
        businessType: 'edge-task',
        edgeNode: node.name,
        gridTask: name,
        phase: status.phase,
        ranks: status.ranks,
        complete: finals().size >= worldSize,
        results: mine.map((r) => ({ rank: r.rank, seq: r.seq, final: r.final, payload: parse(r.payloadJson) })),
      };
    } catch (e) {
      if (signal.aborted) {
        await cluster.delete(name).catch((err: unknown) => d.log.warn({ gridTask: name, err: String(err) }, 'could not delete the cancelled GridTask'));
        d.log.info({ task: ctx.taskId, gridTask: name }, 'edge task cancelled: GridTask deleted');
      }
      throw e;
    }
  };
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return { unparsed: json };
  }
}
