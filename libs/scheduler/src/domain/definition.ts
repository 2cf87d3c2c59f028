import { type SubmitTaskSetRequest, type TaskSpec } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';

// A task set as submitted: listed tasks and generators, checked once and then addressed by index. Task
// i of a set is listed task i, or, past the listed ones, the (i - start)-th copy of a generator's
// template. Nothing is materialised per generated task: a set of a million tasks costs its definition.
//
// Groups: each listed task is a group of one, each generator a group of `count`; dependencies and
// stages are resolved per group (a generator's copies share the template's dependencies and stage).

export interface DefinitionLimits {
  /** Most tasks in one set (listed + generated). */
  maxTasks: number;
  /** Most listed tasks (each carries its own spec). */
  maxListed: number;
}

export const DEFAULT_LIMITS: DefinitionLimits = { maxTasks: 5_000_000, maxListed: 100_000 };

export interface Group {
  /** First task index and how many. */
  start: number;
  count: number;
  stage: number;
  /** Task indexes this group waits for (each must succeed). */
  dependsOn: number[];
  template: TaskSpec;
  /** Name prefix of a generator ('' for a listed task, whose template.name is its name). */
  prefix: string;
  generated: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const PROGRAM = /^[a-z0-9][a-z0-9._-]{0,63}@[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export class InvalidTaskSetError extends GsError {
  constructor(readonly problems: string[]) {
    super('invalid-argument', 'INVALID_TASK_SET', `the task set is not valid: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; and ${problems.length - 20} more` : ''}`);
    this.name = 'InvalidTaskSetError';
  }
}

export class TaskSetDefinition {
  readonly groups: Group[] = [];
  readonly stages: string[];
  /** Stage index -> indexes of the stages it waits for. */
  readonly stageAfter: number[][];
  readonly total: number;
  private readonly listedByName = new Map<string, number>();
  private readonly generatorByPrefix = new Map<string, Group>();

  private constructor(readonly request: SubmitTaskSetRequest) {
    const problems: string[] = [];
    // Stages: declared ones in order; a stage a task names without declaring it is added, unordered.
    this.stages = [''];
    const stageIndex = new Map<string, number>([['', 0]]);
    for (const s of request.stages) {
      if (!NAME.test(s.name)) problems.push(`stage name ${JSON.stringify(s.name)} is not a name (letters, digits, . _ : -, at most 128)`);
      else if (stageIndex.has(s.name)) problems.push(`stage ${s.name} is declared twice`);
      else stageIndex.set(s.name, this.stages.push(s.name) - 1);
    }
    const stageOf = (name: string, where: string): number => {
      const known = stageIndex.get(name);
      if (known !== undefined) return known;
      if (request.stages.length > 0) {
        problems.push(`${where}: stage ${name} is not declared`);
        return 0;
      }
      if (!NAME.test(name)) {
        problems.push(`${where}: stage name ${JSON.stringify(name)} is not a name`);
        return 0;
      }
      stageIndex.set(name, this.stages.push(name) - 1);
      return stageIndex.get(name)!;
    };

    if (request.tasks.length > DEFAULT_LIMITS.maxListed) problems.push(`${request.tasks.length} listed tasks: at most ${DEFAULT_LIMITS.maxListed} (use a generator)`);
    let next = 0;
    request.tasks.forEach((t, i) => {
      const where = `task ${i}${t.name ? ` (${t.name})` : ''}`;
      const name = t.name || `task-${i}`;
      if (!NAME.test(name)) problems.push(`${where}: name ${JSON.stringify(name)} is not a name (letters, digits, . _ : -, at most 128)`);
      else if (this.listedByName.has(name)) problems.push(`${where}: name ${name} is used twice`);
      checkSpec(t, where, problems);
      this.listedByName.set(name, next);
      this.groups.push({ start: next, count: 1, stage: stageOf(t.stage, where), dependsOn: [], template: { ...t, name }, prefix: '', generated: false });
      next += 1;
    });
    request.generators.forEach((g, i) => {
      const where = `generator ${i}${g.prefix ? ` (${g.prefix})` : ''}`;
      if (!NAME.test(g.prefix)) problems.push(`${where}: prefix ${JSON.stringify(g.prefix)} is not a name`);
      if (this.generatorByPrefix.has(g.prefix)) problems.push(`${where}: prefix ${g.prefix} is used twice`);
      if (!g.template) problems.push(`${where}: no template`);
      if (g.count < 1) problems.push(`${where}: count must be at least 1`);
      if (g.template) checkSpec(g.template, where, problems);
      if (g.template?.name) problems.push(`${where}: the template has a name; copies are named <prefix><index>`);
      const group: Group = { start: next, count: g.count, stage: stageOf(g.template?.stage ?? '', where), dependsOn: [], template: g.template ?? ({} as TaskSpec), prefix: g.prefix, generated: true };
      this.groups.push(group);
      this.generatorByPrefix.set(g.prefix, group);
      next += g.count;
    });
    this.total = next;
    if (this.total === 0) problems.push('the set has no tasks (list them in tasks or describe them with a generator)');
    if (this.total > DEFAULT_LIMITS.maxTasks) problems.push(`${this.total} tasks: at most ${DEFAULT_LIMITS.maxTasks} in one set`);
    // A listed name that a generator would also produce is ambiguous.
    for (const name of this.listedByName.keys()) if (this.generatedIndex(name) !== undefined) problems.push(`task ${name} has the name of a generated task`);

    // Dependencies: by name, on tasks of this set; a generator's copies may wait only for listed tasks.
    for (const g of this.groups) {
      const where = g.generated ? `generator ${g.prefix}` : `task ${g.template.name}`;
      for (const d of g.template.dependsOn ?? []) {
        const at = this.indexOf(d);
        if (at === undefined) problems.push(`${where}: depends on ${d}, which is not a task of this set`);
        else if (g.generated && at >= request.tasks.length) problems.push(`${where}: depends on the generated task ${d} (copies may wait only for listed tasks)`);
        else if (at >= g.start && at < g.start + g.count) problems.push(`${where}: depends on itself`);
        else g.dependsOn.push(at);
      }
    }
    this.stageAfter = this.stages.map(() => []);
    for (const s of request.stages) {
      const me = stageIndex.get(s.name);
      if (me === undefined) continue;
      for (const a of s.afterStages) {
        const other = stageIndex.get(a);
        if (other === undefined) problems.push(`stage ${s.name}: waits for ${a}, which is not declared`);
        else if (other === me) problems.push(`stage ${s.name}: waits for itself`);
        else this.stageAfter[me]!.push(other);
      }
    }
    if (problems.length === 0) {
      const cycle = this.findCycle();
      if (cycle) problems.push(`dependency cycle: ${cycle.join(' -> ')}`);
    }
    if (problems.length > 0) throw new InvalidTaskSetError(problems);
  }

  static of(request: SubmitTaskSetRequest): TaskSetDefinition {
    return new TaskSetDefinition(request);
  }

  get listed(): number {
    return this.request.tasks.length;
  }

  groupOf(index: number): Group {
    // Listed tasks are groups 0..listed-1; generators follow in order (few of them).
    if (index < this.listed) return this.groups[index]!;
    for (let g = this.listed; g < this.groups.length; g++) {
      const group = this.groups[g]!;
      if (index < group.start + group.count) return group;
    }
    throw new RangeError(`task index ${index} is outside the set (${this.total} tasks)`);
  }

  nameOf(index: number): string {
    const g = this.groupOf(index);
    return g.generated ? `${g.prefix}${index - g.start}` : g.template.name;
  }

  indexOf(name: string): number | undefined {
    return this.listedByName.get(name) ?? this.generatedIndex(name);
  }

  /** The full spec of task `index` (a generated copy gets its index merged into the template's params). */
  specOf(index: number): TaskSpec {
    const g = this.groupOf(index);
    if (!g.generated) return g.template;
    const i = index - g.start;
    const params = g.template.input?.paramsJson ? (JSON.parse(g.template.input.paramsJson) as Record<string, unknown>) : {};
    const input = { scenarioId: '', dataVersion: '', scale: 0, ...g.template.input, paramsJson: JSON.stringify({ ...params, index: i }) };
    return { ...g.template, name: `${g.prefix}${i}`, input };
  }

  stageName(stage: number): string {
    return this.stages[stage] ?? '';
  }

  private generatedIndex(name: string): number | undefined {
    for (const [prefix, g] of this.generatorByPrefix) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (!/^(0|[1-9]\d*)$/.test(rest)) continue;
      const i = Number(rest);
      if (i < g.count) return g.start + i;
    }
    return undefined;
  }

  /** A cycle through task dependencies and stage order, as names, or undefined. */
  private findCycle(): string[] | undefined {
    // Nodes: groups and stages. A group waits for the groups it depends on and for the stages its stage
    // waits for; a stage "waits" for every group in it.
    const G = this.groups.length;
    const node = (k: number) => (k < G ? (this.groups[k]!.generated ? `generator ${this.groups[k]!.prefix}` : this.groups[k]!.template.name) : `stage ${this.stages[k - G]}`);
    const edges: number[][] = Array.from({ length: G + this.stages.length }, () => []);
    this.groups.forEach((g, k) => {
      for (const d of g.dependsOn) edges[k]!.push(this.groupIndexOf(d));
      for (const s of this.stageAfter[g.stage]!) edges[k]!.push(G + s);
      edges[G + g.stage]!.push(k);
    });
    const color = new Uint8Array(edges.length);
    const path: number[] = [];
    for (let root = 0; root < edges.length; root++) {
      if (color[root]) continue;
      const stack: Array<[number, number]> = [[root, 0]];
      color[root] = 1;
      path.push(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const [v, i] = top;
        if (i < edges[v]!.length) {
          top[1]++;
          const w = edges[v]![i]!;
          if (color[w] === 1) return [...path.slice(path.indexOf(w)), w].map(node);
          if (color[w] === 0) {
            color[w] = 1;
            path.push(w);
            stack.push([w, 0]);
          }
        } else {
          color[v] = 2;
          path.pop();
          stack.pop();
        }
      }
    }
    return undefined;
  }

  private groupIndexOf(index: number): number {
    if (index < this.listed) return index;
    return this.groups.indexOf(this.groupOf(index));
  }
}

function checkSpec(t: TaskSpec, where: string, problems: string[]): void {
  if (!PROGRAM.test(t.program)) problems.push(`${where}: program ${JSON.stringify(t.program)} is not "name@version"`);
  if (t.deadlineMs < 0) problems.push(`${where}: deadline_ms is negative`);
  if (t.criticality < 0 || t.criticality > 1) problems.push(`${where}: criticality ${t.criticality} is outside 0..1`);
  if ((t.retry?.maxAttempts ?? 0) > 100) problems.push(`${where}: retry.max_attempts ${t.retry?.maxAttempts} is more than 100`);
  if (t.input?.paramsJson) {
    try {
      const v: unknown = JSON.parse(t.input.paramsJson);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) problems.push(`${where}: input.params_json is not a JSON object`);
    } catch (e) {
      problems.push(`${where}: input.params_json is not JSON (${(e as Error).message})`);
    }
  }
}
