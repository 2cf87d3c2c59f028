import { SubmitTaskSetRequest, TaskSpec, TaskState, type TaskSet } from '@gridstation/contracts';
import { InvalidTaskSetError, TaskSetDefinition } from './definition';
import { OpenSet, type Change } from './open-set';

const S = TaskState;
const spec = (o: Partial<TaskSpec> = {}): TaskSpec => TaskSpec.fromPartial({ program: 'noop@1', ...o });
const request = (o: Partial<SubmitTaskSetRequest>) => SubmitTaskSetRequest.fromPartial({ name: 'x', service: 'test', ...o });
const setOf = (id = 'ts1'): TaskSet => ({ id, name: 'x', service: 'test', context: undefined, stages: [], createdAtMs: 1, finishedAtMs: 0, cancelled: false, counts: {}, total: 0, deadlineMisses: 0, seq: 0 });

function open(req: SubmitTaskSetRequest): OpenSet {
  const o = new OpenSet(TaskSetDefinition.of(req), setOf());
  o.settle(1);
  return o;
}

const run = (o: OpenSet, i: number, attempt = o.attempt[i]! + 1): Change[] => o.apply({ index: i, to: S.TASK_STATE_EXECUTING, attempt, at: 10, worker: 'w1' });
const succeed = (o: OpenSet, i: number): Change[] => o.apply({ index: i, to: S.TASK_STATE_SUCCESS, attempt: o.attempt[i]!, at: 20 });
const fail = (o: OpenSet, i: number): Change[] => o.apply({ index: i, to: S.TASK_STATE_FAILED, attempt: o.attempt[i]!, at: 20, failureCode: 'X' });

describe('a task set definition', () => {
  it('names generated tasks <prefix><i>, merges the index into their params, and finds them by name', () => {
    const def = TaskSetDefinition.of(request({ tasks: [spec({ name: 'prepare' })], generators: [{ prefix: 'day-', count: 365, template: spec({ input: { scenarioId: 's', dataVersion: 'v3', paramsJson: '{"year":2025}', scale: 24 } }) }] }));
    expect(def.total).toBe(366);
    expect(def.nameOf(0)).toBe('prepare');
    expect(def.nameOf(1)).toBe('day-0');
    expect(def.indexOf('day-364')).toBe(365);
    expect(def.indexOf('day-365')).toBeUndefined();
    expect(def.indexOf('day-01')).toBeUndefined();
    expect(JSON.parse(def.specOf(12).input!.paramsJson)).toEqual({ year: 2025, index: 11 });
    expect(def.specOf(12).input!.dataVersion).toBe('v3');
  });

  it('refuses a set with every problem named: unknown dependency, duplicate name, bad program, undeclared stage, a cycle', () => {
    const bad = () =>
      TaskSetDefinition.of(
        request({
          stages: [{ name: 'a', afterStages: ['b'] }, { name: 'b', afterStages: [] }],
          tasks: [spec({ name: 't1', stage: 'a', dependsOn: ['nope'] }), spec({ name: 't1', stage: 'c' }), spec({ name: 't3', program: 'no version' })],
        }),
      );
    expect(bad).toThrow(InvalidTaskSetError);
    try {
      bad();
    } catch (e) {
      const problems = (e as InvalidTaskSetError).problems.join('\n');
      expect(problems).toMatch(/depends on nope, which is not a task of this set/);
      expect(problems).toMatch(/name t1 is used twice/);
      expect(problems).toMatch(/stage c is not declared/);
      expect(problems).toMatch(/program "no version" is not "name@version"/);
    }
    expect(() => TaskSetDefinition.of(request({ tasks: [spec({ name: 'a', dependsOn: ['b'] }), spec({ name: 'b', dependsOn: ['a'] })] }))).toThrow(/dependency cycle: a -> b -> a/);
    // A task that waits for a task of a later stage, whose stage waits for the first one's: a cycle too.
    expect(() =>
      TaskSetDefinition.of(request({ stages: [{ name: 'uc', afterStages: [] }, { name: 'apd', afterStages: ['uc'] }], tasks: [spec({ name: 'u', stage: 'uc', dependsOn: ['p'] }), spec({ name: 'p', stage: 'apd' })] })),
    ).toThrow(/dependency cycle/);
    expect(() => TaskSetDefinition.of(request({}))).toThrow(/the set has no tasks/);
  });
});

describe('an open task set', () => {
  it('releases a stage only when the stage it waits for has finished, in order', () => {
    const o = open(
      request({
        stages: [{ name: 'uc', afterStages: [] }, { name: 'apd', afterStages: ['uc'] }, { name: 'rpd', afterStages: ['apd'] }],
        generators: [
          { prefix: 'uc-', count: 3, template: spec({ stage: 'uc' }) },
          { prefix: 'apd-', count: 2, template: spec({ stage: 'apd' }) },
          { prefix: 'rpd-', count: 4, template: spec({ stage: 'rpd' }) },
        ],
      }),
    );
    expect(o.peekReady(100, 0)).toEqual([0, 1, 2]);
    run(o, 0);
    run(o, 1);
    expect(o.peekReady(100, 0)).toEqual([2]);
    succeed(o, 0);
    succeed(o, 1);
    run(o, 2);
    expect(o.peekReady(100, 0)).toEqual([]);
    succeed(o, 2);
    expect(o.peekReady(100, 0)).toEqual([3, 4]);
    for (const i of [3, 4]) {
      run(o, i);
      succeed(o, i);
    }
    expect(o.peekReady(100, 0)).toEqual([5, 6, 7, 8]);
  });

  it('fails what waits for a failed task (DEPENDENCY_FAILED), transitively, and finishes the set', () => {
    const o = open(request({ tasks: [spec({ name: 'a' }), spec({ name: 'b', dependsOn: ['a'] }), spec({ name: 'c', dependsOn: ['b'] }), spec({ name: 'd' })] }));
    expect(o.peekReady(10, 0)).toEqual([0, 3]);
    run(o, 0);
    const changes = fail(o, 0);
    expect(changes.map((c) => [c.index, c.failureCode])).toEqual([
      [0, 'X'],
      [1, 'DEPENDENCY_FAILED'],
      [2, 'DEPENDENCY_FAILED'],
    ]);
    expect(changes[1]!.failureReason).toBe('a failed');
    expect(o.finished).toBe(false);
    run(o, 3);
    succeed(o, 3);
    expect(o.finished).toBe(true);
    expect(o.snapshot(30).counts).toEqual({ SUCCESS: 1, FAILED: 3 });
  });

  it('a retried task waits out its backoff; a late result of the superseded attempt is refused', () => {
    const o = open(request({ tasks: [spec({ name: 'a' })] }));
    run(o, 0);
    o.apply({ index: 0, to: S.TASK_STATE_RETRYING, attempt: 1, at: 100, backoffMs: 1000 });
    expect(o.peekReady(10, 500)).toEqual([]);
    expect(o.peekReady(10, 1100)).toEqual([0]);
    run(o, 0, 2);
    expect(() => o.apply({ index: 0, to: S.TASK_STATE_SUCCESS, attempt: 1, at: 1200 })).toThrow(/attempt 1 is not the one running \(2\)/);
    succeed(o, 0);
    expect(() => succeed(o, 0)).toThrow(/the task has finished/);
    expect(o.counts.get(S.TASK_STATE_SUCCESS)).toBe(1);
  });

  it('restored from stored states: running tasks stay running, finished dependencies count, the rest is ready', () => {
    const req = request({ tasks: [spec({ name: 'a' }), spec({ name: 'b', dependsOn: ['a'] })], generators: [{ prefix: 'g', count: 4, template: spec({ dependsOn: ['a'] }) }] });
    const state = new Uint8Array([S.TASK_STATE_SUCCESS, S.TASK_STATE_PENDING, S.TASK_STATE_SUCCESS, S.TASK_STATE_EXECUTING, S.TASK_STATE_PENDING, S.TASK_STATE_RETRYING]);
    const attempt = new Uint8Array([1, 0, 1, 1, 0, 1]);
    const o = new OpenSet(TaskSetDefinition.of(req), setOf(), { state, attempt, running: new Map([[3, { worker: 'w9', startedAt: 5 }]]) });
    o.settle(10);
    expect(o.peekReady(10, 10).sort()).toEqual([1, 4, 5]);
    expect(o.runningOn(3)?.worker).toBe('w9');
  });

  it('cancel fails every unfinished task, running ones included, and nothing is ready afterwards', () => {
    const o = open(request({ generators: [{ prefix: 'g', count: 5, template: spec() }] }));
    run(o, 0);
    succeed(o, 0);
    run(o, 1);
    const changes = o.cancel(50, 'by test');
    expect(changes.map((c) => c.index)).toEqual([1, 2, 3, 4]);
    expect(changes.every((c) => c.failureCode === 'CANCELLED')).toBe(true);
    expect(o.peekReady(10, 60)).toEqual([]);
    expect(o.finished).toBe(true);
  });

  it('holds a million generated tasks in typed arrays and hands them out in order', () => {
    const o = open(request({ generators: [{ prefix: 't', count: 1_000_000, template: spec() }] }));
    expect(o.readyCount(0)).toBe(1_000_000);
    for (let i = 0; i < 1000; i++) run(o, i);
    expect(o.peekReady(3, 0)).toEqual([1000, 1001, 1002]);
  });
});
