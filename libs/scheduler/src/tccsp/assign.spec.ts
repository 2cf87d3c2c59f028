import { seeded } from '../../test/seeded';
import { assign, assignExact, assignGreedy, objectiveOf, penaltyOf, type Candidate, type ContainerSlot } from './assign';

const o = { cycleMs: 100, bufferMs: 1000, maxExactPairs: 400 };

describe('A3: assignment of ready tasks to idle containers', () => {
  it('puts the heavy-weight task on the fast container (exact), one task per container', async () => {
    const containers: ContainerSlot[] = [{ id: 'slow', cpu: 1 }, { id: 'fast', cpu: 4 }];
    const tasks: Candidate[] = [
      { id: 'light', weight: 1, deadlineMs: 0, durations: [1000, 400] },
      { id: 'heavy', weight: 5, deadlineMs: 0, durations: [1000, 400] },
      { id: 'third', weight: 1, deadlineMs: 0, durations: [1000, 400] },
    ];
    const r = await assignExact(tasks, containers, 0, o);
    const byTask = new Map(r.pairs.map(([t, p]) => [tasks[t]!.id, containers[p]!.id]));
    expect(byTask.get('heavy')).toBe('fast');
    expect(r.pairs).toHaveLength(2);
    expect(new Set(r.pairs.map(([, p]) => p)).size).toBe(2);
  });

  it('never assigns a task where it would miss its deadline, and reports urgent tasks it could not place (guarantee mode)', async () => {
    const containers: ContainerSlot[] = [{ id: 'c1', cpu: 1 }];
    const tasks: Candidate[] = [
      { id: 'due-now-1', weight: 1, deadlineMs: 1050, durations: [1000] },
      { id: 'due-now-2', weight: 1, deadlineMs: 1050, durations: [1000] },
      { id: 'cannot-make-it', weight: 1, deadlineMs: 500, durations: [1000] },
    ];
    for (const r of [await assignExact(tasks, containers, 0, o), assignGreedy(tasks, containers, 0, o)]) {
      expect(r.pairs).toHaveLength(1);
      expect(r.pairs[0]![0]).not.toBe(2);
      expect(r.unmetUrgent).toHaveLength(1);
    }
  });

  it('the greedy heuristic stays close to the exact optimum on random small instances', async () => {
    // 300 instances: most are solved optimally by the heuristic, a few are far off (the worst measured
    // over 600 instances was 21-26 %), so the bound is on the mean and on the 95th percentile.
    const random = seeded(7);
    const gaps: number[] = [];
    for (let k = 0; k < 300; k++) {
      const containers = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, i) => ({ id: `c${i}`, cpu: [0.5, 1, 2][Math.floor(random() * 3)]! }));
      const tasks = Array.from({ length: 3 + Math.floor(random() * 8) }, (_, i): Candidate => {
        const base = 100 + random() * 2000;
        return { id: `t${i}`, weight: 0.5 + random() * 4, deadlineMs: 0, durations: containers.map((c) => base / c.cpu) };
      });
      const exact = await assignExact(tasks, containers, 0, o);
      const greedy = assignGreedy(tasks, containers, 0, o);
      expect(exact.objective).toBeLessThanOrEqual(greedy.objective + 1e-6);
      gaps.push((greedy.objective - exact.objective) / exact.objective);
    }
    gaps.sort((a, b) => a - b);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeLessThan(0.01);
    expect(gaps[Math.floor(gaps.length * 0.95)]).toBeLessThan(0.03);
  });

  it('uses the exact solver on small instances and the heuristic on large ones', async () => {
    const containers = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, cpu: 1 }));
    const tasks = Array.from({ length: 100 }, (_, i): Candidate => ({ id: `t${i}`, weight: 1, deadlineMs: 0, durations: containers.map(() => 100 + i) }));
    expect((await assign(tasks.slice(0, 10), containers.slice(0, 10), 0, o)).method).toBe('exact');
    expect((await assign(tasks, containers, 0, o)).method).toBe('greedy');
  });

  it('takes interchangeable tasks in order without a solver, at the exact optimum', async () => {
    const containers = Array.from({ length: 4 }, (_, i) => ({ id: `c${i}`, cpu: 1 }));
    const same = Array.from({ length: 10 }, (_, i): Candidate => ({ id: `t${i}`, weight: 2, deadlineMs: 0, durations: [50, 50, 50, 50] }));
    const r = await assign(same, containers, 0, o);
    expect(r.method).toBe('uniform');
    expect(r.pairs).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
    expect(r.objective).toBeCloseTo((await assignExact(same, containers, 0, o)).objective, 6);
    // One task unlike the others, or containers unlike each other: the solver decides.
    expect((await assign([...same.slice(0, 3), { ...same[0]!, id: 'heavy', weight: 5 }], containers, 0, o)).method).toBe('exact');
    expect((await assign(same.map((t) => ({ ...t, durations: [50, 25, 50, 50] })), containers, 0, o)).method).toBe('exact');
  });

  it('solves one container by its cheapest pair, as the MIP would', async () => {
    const random = seeded(3);
    for (let k = 0; k < 50; k++) {
      const tasks = Array.from({ length: 2 + Math.floor(random() * 10) }, (_, i): Candidate => ({ id: `t${i}`, weight: 0.5 + random() * 4, deadlineMs: 0, durations: [100 + random() * 2000] }));
      const fast = await assignExact(tasks, [{ id: 'only', cpu: 1 }], 0, o);
      const best = Math.min(...tasks.map((t, i) => objectiveOf(tasks, [[i, 0]], penaltyOf(tasks, o.bufferMs))));
      expect(fast.objective).toBeCloseTo(best, 6);
      expect(fast.pairs).toHaveLength(1);
    }
  });
});
