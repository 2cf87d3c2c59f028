import { PriorityClass } from '@gridstation/contracts';
import { priorityWeight } from './priority';

describe('A2: priority from criticality and deadline slack', () => {
  const now = 1_000_000;
  it('weighs a critical task above a normal one, and a task near its deadline above one with slack', () => {
    const normal = { priority: PriorityClass.PRIORITY_CLASS_NORMAL, criticality: 0, deadlineMs: 0, predictedMs: 1000 };
    expect(priorityWeight({ ...normal, priority: PriorityClass.PRIORITY_CLASS_CRITICAL }, now)).toBeGreaterThan(priorityWeight(normal, now));
    const near = priorityWeight({ ...normal, deadlineMs: now + 2000 }, now);
    const far = priorityWeight({ ...normal, deadlineMs: now + 10 * 3_600_000 }, now);
    expect(near).toBeGreaterThan(far);
    expect(far).toBe(priorityWeight(normal, now));
    expect(priorityWeight({ ...normal, deadlineMs: now - 1 }, now)).toBe(4); // late: the maximum urgency
  });
});
