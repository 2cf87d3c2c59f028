import highsLoader from 'highs';

// A3, the assignment of ready tasks to idle containers for one scheduling cycle (BOS formula (1)):
// minimise the weighted mean completion time, at most one task per container and one container per
// task, only running containers, every assigned task within its deadline. A task left for a later cycle
// costs a penalty (the largest predicted duration plus a buffer), which is what makes the optimiser
// assign rather than wait. A task that can only make its deadline if it starts now must be assigned: when
// the idle containers cannot take all of those, the problem is infeasible and the task module asks the
// container module for more (guarantee mode) instead of emitting a schedule that misses deadlines.
// Solved exactly with HiGHS (MIP, WebAssembly build) on small instances, greedily on large ones.

export interface Candidate {
  id: string;
  /** B(t) from A2. */
  weight: number;
  /** 0 = no deadline. */
  deadlineMs: number;
  /** D(t, p) from A1, one per container (same order as the containers). */
  durations: readonly number[];
}

export interface ContainerSlot {
  id: string;
  cpu: number;
}

export interface Assignment {
  /** [task index, container index]. */
  pairs: Array<[number, number]>;
  /** Weighted mean completion time of the candidates (deferred ones at the penalty), ms from now. */
  objective: number;
  /** Tasks that had to start now to make their deadline and got no container. */
  unmetUrgent: number[];
  method: 'exact' | 'greedy' | 'uniform';
}

/** What deferring a task to a later cycle costs in the objective. */
export function penaltyOf(tasks: readonly Candidate[], bufferMs: number): number {
  let max = 0;
  for (const t of tasks) for (const d of t.durations) if (d > max) max = d;
  return max + bufferMs;
}

/** The task can make its deadline only if it starts in this cycle (on some container). */
export function mustStartNow(t: Candidate, now: number, cycleMs: number): boolean {
  if (!t.deadlineMs) return false;
  const fastest = Math.min(...t.durations);
  return now + cycleMs + fastest > t.deadlineMs && now + fastest <= t.deadlineMs;
}

const fits = (t: Candidate, p: number, now: number) => !t.deadlineMs || now + t.durations[p]! <= t.deadlineMs;

export function objectiveOf(tasks: readonly Candidate[], pairs: ReadonlyArray<[number, number]>, penalty: number): number {
  if (tasks.length === 0) return 0;
  const done = new Map(pairs.map(([t, p]) => [t, p]));
  let sum = 0;
  tasks.forEach((t, i) => {
    const p = done.get(i);
    sum += t.weight * (p === undefined ? penalty : t.durations[p]!);
  });
  return sum / tasks.length;
}

/**
 * The fast heuristic: urgent tasks first, then by weight per unit of work (WSPT), each to the free
 * container where it finishes first within its deadline; then local improvement within a budget of
 * pair checks: two assigned tasks swap containers, or a waiting task takes an assigned task's container,
 * whenever that lowers the objective (an urgent task is never displaced by one that is not).
 */
export function assignGreedy(tasks: readonly Candidate[], containers: readonly ContainerSlot[], now: number, o: { cycleMs: number; bufferMs: number; improveBudget?: number }): Assignment {
  const order = tasks.map((_, i) => i);
  const urgent = new Set(order.filter((i) => mustStartNow(tasks[i]!, now, o.cycleMs)));
  const minD = (i: number) => Math.min(...tasks[i]!.durations);
  order.sort((a, b) => Number(urgent.has(b)) - Number(urgent.has(a)) || tasks[b]!.weight / minD(b) - tasks[a]!.weight / minD(a));
  const free = new Set(containers.map((_, p) => p));
  const onContainer: number[] = containers.map(() => -1);
  for (const i of order) {
    if (free.size === 0) break;
    let best = -1;
    for (const p of free) if (fits(tasks[i]!, p, now) && (best < 0 || tasks[i]!.durations[p]! < tasks[i]!.durations[best]!)) best = p;
    if (best < 0) continue;
    onContainer[best] = i;
    free.delete(best);
  }
  improve(tasks, onContainer, urgent, now, penaltyOf(tasks, o.bufferMs), o.improveBudget ?? 2_000_000);
  const pairs: Array<[number, number]> = [];
  onContainer.forEach((t, p) => t >= 0 && pairs.push([t, p]));
  const assigned = new Set(pairs.map(([t]) => t));
  return { pairs, objective: objectiveOf(tasks, pairs, penaltyOf(tasks, o.bufferMs)), unmetUrgent: [...urgent].filter((i) => !assigned.has(i)), method: 'greedy' };
}

function improve(tasks: readonly Candidate[], onContainer: number[], urgent: ReadonlySet<number>, now: number, penalty: number, budget: number): void {
  const cost = (t: number, p: number) => (t < 0 ? 0 : tasks[t]!.weight * (tasks[t]!.durations[p]! - penalty));
  const ok = (t: number, p: number) => t < 0 || fits(tasks[t]!, p, now);
  const assigned = new Set(onContainer.filter((t) => t >= 0));
  const waiting = tasks.map((_, i) => i).filter((i) => !assigned.has(i));
  let checks = 0;
  for (let changed = true; changed && checks < budget; ) {
    changed = false;
    for (let p = 0; p < onContainer.length && checks < budget; p++) {
      for (let q = p + 1; q < onContainer.length; q++) {
        checks++;
        const a = onContainer[p]!;
        const b = onContainer[q]!;
        if (a === b || !ok(a, q) || !ok(b, p)) continue;
        if (cost(a, q) + cost(b, p) < cost(a, p) + cost(b, q) - 1e-9) {
          onContainer[p] = b;
          onContainer[q] = a;
          changed = true;
        }
      }
      for (let k = 0; k < waiting.length; k++) {
        checks++;
        const u = waiting[k]!;
        const a = onContainer[p]!;
        if (!fits(tasks[u]!, p, now) || (a >= 0 && urgent.has(a) && !urgent.has(u))) continue;
        if (cost(u, p) < cost(a, p) - 1e-9 || (a >= 0 && urgent.has(u) && !urgent.has(a))) {
          onContainer[p] = u;
          if (a >= 0) waiting[k] = a;
          else waiting.splice(k--, 1);
          changed = true;
        }
      }
    }
  }
}

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let solver: Promise<Highs> | undefined;
const loadHighs = () => (solver ??= highsLoader());

/** Formula (1) as a MIP, solved to optimality by HiGHS. */
export async function assignExact(tasks: readonly Candidate[], containers: readonly ContainerSlot[], now: number, o: { cycleMs: number; bufferMs: number }): Promise<Assignment> {
  const highs = await loadHighs();
  const penalty = penaltyOf(tasks, o.bufferMs);
  const v = (t: number, p: number) => `a_${t}_${p}`;
  const vars: string[] = [];
  const objective: string[] = [];
  const perTask: string[][] = tasks.map(() => []);
  const perContainer: string[][] = containers.map(() => []);
  tasks.forEach((t, i) => {
    containers.forEach((_, p) => {
      if (!fits(t, p, now)) return; // constraint 1: within the deadline (the pair simply does not exist)
      const name = v(i, p);
      vars.push(name);
      // w_t * D(t,p) instead of w_t * penalty: the constant part of the objective is left out.
      const c = t.weight * (t.durations[p]! - penalty);
      objective.push(`${c >= 0 ? '+' : '-'} ${Math.abs(c)} ${name}`);
      perTask[i]!.push(name);
      perContainer[p]!.push(name);
    });
  });
  const urgent = tasks.map((t, i) => (mustStartNow(t, now, o.cycleMs) ? i : -1)).filter((i) => i >= 0);
  if (vars.length === 0) return { pairs: [], objective: objectiveOf(tasks, [], penalty), unmetUrgent: urgent, method: 'exact' };
  if (containers.length === 1 && urgent.length <= 1) {
    // One container: the model's optimum is its cheapest pair (or the one urgent task), no solver needed.
    let best = urgent.length === 1 ? urgent[0]! : -1;
    if (best < 0) for (let i = 0; i < tasks.length; i++) if (perTask[i]!.length > 0 && (best < 0 || tasks[i]!.weight * (tasks[i]!.durations[0]! - penalty) < tasks[best]!.weight * (tasks[best]!.durations[0]! - penalty))) best = i;
    const pairs: Array<[number, number]> = best < 0 ? [] : [[best, 0]];
    return { pairs, objective: objectiveOf(tasks, pairs, penalty), unmetUrgent: [], method: 'exact' };
  }
  const rows: string[] = [];
  perContainer.forEach((names, p) => names.length > 0 && rows.push(` c${p}: ${names.join(' + ')} <= 1`)); // constraint 2
  perTask.forEach((names, i) => {
    if (names.length === 0) return;
    rows.push(` t${i}: ${names.join(' + ')} ${urgent.includes(i) ? '=' : '<='} 1`); // constraint 3 (= 1: must start now)
  });
  const model = ['Minimize', ` obj: ${objective.join(' ')}`, 'Subject To', ...rows, 'Binary', ` ${vars.join(' ')}`, 'End'].join('\n');
  const r = highs.solve(model, {});
  if (r.Status !== 'Optimal') {
    // Infeasible: urgent tasks exceed what the idle containers can take. Assign what can be, report the rest.
    const g = assignGreedy(tasks, containers, now, o);
    return { ...g, method: 'exact' };
  }
  const pairs: Array<[number, number]> = [];
  for (const name of vars) {
    const col = (r.Columns as Record<string, { Primal: number }>)[name];
    if (col && col.Primal > 0.5) {
      const [, t, p] = name.split('_');
      pairs.push([Number(t), Number(p)]);
    }
  }
  const assigned = new Set(pairs.map(([t]) => t));
  return { pairs, objective: objectiveOf(tasks, pairs, penalty), unmetUrgent: urgent.filter((i) => !assigned.has(i)), method: 'exact' };
}

/** Exact when the instance is small (at most `maxExactPairs` task-container pairs), greedy otherwise. */
export async function assign(tasks: readonly Candidate[], containers: readonly ContainerSlot[], now: number, o: { cycleMs: number; bufferMs: number; maxExactPairs: number }): Promise<Assignment> {
  if (tasks.length === 0 || containers.length === 0) return { pairs: [], objective: 0, unmetUrgent: [], method: 'greedy' };
  const uniform = assignUniform(tasks, containers, now, o);
  if (uniform) return uniform;
  if (tasks.length * containers.length <= o.maxExactPairs) return assignExact(tasks, containers, now, o);
  return assignGreedy(tasks, containers, now, o);
}

/**
 * Interchangeable tasks (same weight, deadline and duration on every container: the tasks of one
 * generator on a uniform pool) on containers that are alike: every assignment of as many tasks as there
 * are containers has the same objective, so the first ones are taken in order and no solver runs. This is
 * the common case of a large set (a collection round, a million trivial tasks) and keeps it from paying
 * for a MIP per completion. Undefined when the instance is not of that kind.
 */
export function assignUniform(tasks: readonly Candidate[], containers: readonly ContainerSlot[], now: number, o: { bufferMs: number }): Assignment | undefined {
  const first = tasks[0]!;
  const d = first.durations[0]!;
  if (!first.durations.every((x) => x === d)) return undefined;
  for (const t of tasks) if (t.weight !== first.weight || t.deadlineMs !== first.deadlineMs || !t.durations.every((x) => x === d)) return undefined;
  if (!fits(first, 0, now)) return undefined;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < Math.min(tasks.length, containers.length); i++) pairs.push([i, i]);
  return { pairs, objective: objectiveOf(tasks, pairs, penaltyOf(tasks, o.bufferMs)), unmetUrgent: [], method: 'uniform' };
}
