import { TaskState } from '@gridstation/contracts';
import { checkTransition, IllegalTransitionError, whyNot } from './state-machine';

const S = TaskState;

describe('the task state machine', () => {
  it('walks the paper\'s five states: pending -> executing -> retrying -> executing -> success', () => {
    expect(whyNot({ state: S.TASK_STATE_PENDING, attempt: 0 }, S.TASK_STATE_EXECUTING, 1)).toBeUndefined();
    expect(whyNot({ state: S.TASK_STATE_EXECUTING, attempt: 1 }, S.TASK_STATE_RETRYING, 1)).toBeUndefined();
    expect(whyNot({ state: S.TASK_STATE_RETRYING, attempt: 1 }, S.TASK_STATE_EXECUTING, 2)).toBeUndefined();
    expect(whyNot({ state: S.TASK_STATE_EXECUTING, attempt: 2 }, S.TASK_STATE_SUCCESS, 2)).toBeUndefined();
  });

  it('refuses a second success, a late result of an earlier attempt, and a skipped attempt number', () => {
    expect(() => checkTransition('t1', { state: S.TASK_STATE_SUCCESS, attempt: 1 }, S.TASK_STATE_SUCCESS, 1)).toThrow(/SUCCESS -> SUCCESS is not allowed \(the task has finished\)/);
    expect(() => checkTransition('t1', { state: S.TASK_STATE_EXECUTING, attempt: 2 }, S.TASK_STATE_SUCCESS, 1)).toThrow(/attempt 1 is not the one running \(2\)/);
    expect(() => checkTransition('t1', { state: S.TASK_STATE_RETRYING, attempt: 1 }, S.TASK_STATE_EXECUTING, 3)).toThrow(IllegalTransitionError);
  });

  it('refuses what is not a step: pending straight to success, success back to pending', () => {
    expect(whyNot({ state: S.TASK_STATE_PENDING, attempt: 0 }, S.TASK_STATE_SUCCESS, 0)).toBe('not a step of the task state machine');
    expect(whyNot({ state: S.TASK_STATE_SUCCESS, attempt: 1 }, S.TASK_STATE_PENDING, 1)).toBe('the task has finished');
    expect(whyNot({ state: S.TASK_STATE_FAILED, attempt: 3 }, S.TASK_STATE_RETRYING, 3)).toBe('the task has finished');
  });
});
