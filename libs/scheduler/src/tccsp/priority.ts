import { PriorityClass } from '@gridstation/contracts';

// A2, the task priority: a weight from the business criticality of the task's service and the urgency
// of its deadline. A task whose deadline is near compared with what it still needs gets more weight; a
// task that can no longer make its deadline keeps the maximum urgency (it is late, not forgotten).

export interface PriorityOptions {
  /** Weight of each priority class (criticality when the task declares none). */
  classWeight: Readonly<Record<PriorityClass, number>>;
  /** Slack (ms) beyond which a deadline adds no urgency. */
  horizonMs: number;
  /** Most a deadline can multiply the weight by. */
  maxUrgency: number;
}

export const DEFAULT_PRIORITY: PriorityOptions = {
  classWeight: {
    [PriorityClass.PRIORITY_CLASS_UNSPECIFIED]: 1,
    [PriorityClass.PRIORITY_CLASS_LOW]: 0.5,
    [PriorityClass.PRIORITY_CLASS_NORMAL]: 1,
    [PriorityClass.PRIORITY_CLASS_HIGH]: 2,
    [PriorityClass.PRIORITY_CLASS_CRITICAL]: 4,
    [PriorityClass.UNRECOGNIZED]: 1,
  },
  horizonMs: 3_600_000,
  maxUrgency: 4,
};

export interface PriorityInput {
  priority: PriorityClass;
  /** 0..1; 0 = not given (the class weight alone). */
  criticality: number;
  deadlineMs: number;
  predictedMs: number;
}

/** The weight B(t) of formula (1): higher is more important. */
export function priorityWeight(t: PriorityInput, now: number, o: PriorityOptions = DEFAULT_PRIORITY): number {
  const base = o.classWeight[t.priority] * (1 + Math.min(1, Math.max(0, t.criticality)));
  if (!t.deadlineMs) return base;
  const slack = t.deadlineMs - now - t.predictedMs;
  const urgency = slack <= 0 ? o.maxUrgency : 1 + (o.maxUrgency - 1) * Math.max(0, 1 - slack / o.horizonMs);
  return base * urgency;
}
