import { TaskState } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';
import { gsMeter } from '@gridstation/telemetry';

// The one state machine of a task (BOS: pending, executing, success, failed, retrying). Every change
// of a task goes through `checkTransition`; a change it does not allow is refused with the reason and
// counted, whoever asked for it (a late result of a superseded attempt, a second success, a scheduler
// that lost its partition but has not noticed yet).

const ALLOWED: Readonly<Record<TaskState, readonly TaskState[]>> = {
  [TaskState.TASK_STATE_UNSPECIFIED]: [TaskState.TASK_STATE_PENDING],
  [TaskState.TASK_STATE_PENDING]: [TaskState.TASK_STATE_EXECUTING, TaskState.TASK_STATE_FAILED],
  [TaskState.TASK_STATE_EXECUTING]: [TaskState.TASK_STATE_SUCCESS, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_RETRYING],
  [TaskState.TASK_STATE_RETRYING]: [TaskState.TASK_STATE_EXECUTING, TaskState.TASK_STATE_FAILED],
  [TaskState.TASK_STATE_SUCCESS]: [],
  [TaskState.TASK_STATE_FAILED]: [],
  [TaskState.UNRECOGNIZED]: [],
};

export const TERMINAL: ReadonlySet<TaskState> = new Set([TaskState.TASK_STATE_SUCCESS, TaskState.TASK_STATE_FAILED]);

export const stateName = (s: TaskState): string => (TaskState[s] ?? String(s)).replace('TASK_STATE_', '');

const illegal = gsMeter('scheduler').createCounter('gs_scheduler_illegal_transitions_total', { description: 'Task state changes refused by the state machine, by from and to state' });

export class IllegalTransitionError extends GsError {
  constructor(
    readonly taskId: string,
    readonly from: TaskState,
    readonly to: TaskState,
    why: string,
  ) {
    super('failed-precondition', 'ILLEGAL_TRANSITION', `task ${taskId}: ${stateName(from)} -> ${stateName(to)} is not allowed (${why})`);
    this.name = 'IllegalTransitionError';
  }
}

/** Why a change is not allowed, or undefined when it is. `attempt`: the attempt the change is about. */
export function whyNot(current: { state: TaskState; attempt: number }, to: TaskState, attempt: number): string | undefined {
  if (!ALLOWED[current.state].includes(to)) return TERMINAL.has(current.state) ? 'the task has finished' : 'not a step of the task state machine';
  // A new attempt must be the next number; a result must name the attempt running now (a late result
  // of an earlier attempt is refused, so a task that ran twice is counted once).
  if (to === TaskState.TASK_STATE_EXECUTING && attempt !== current.attempt + 1) return `attempt ${attempt} is not the next one after ${current.attempt}`;
  if (current.state === TaskState.TASK_STATE_EXECUTING && attempt !== current.attempt) return `attempt ${attempt} is not the one running (${current.attempt})`;
  return undefined;
}

/** Throws IllegalTransitionError (counted) unless the change is allowed. */
export function checkTransition(taskId: string, current: { state: TaskState; attempt: number }, to: TaskState, attempt: number): void {
  const why = whyNot(current, to, attempt);
  if (why === undefined) return;
  illegal.add(1, { from: stateName(current.state), to: stateName(to) });
  throw new IllegalTransitionError(taskId, current.state, to, why);
}
