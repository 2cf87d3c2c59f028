import { gsMeter, SECONDS_BUCKETS } from '@gridstation/telemetry';

// The scheduler's instruments, created once per process (several schedulers in one test share them).
let instruments: ReturnType<typeof create> | undefined;

function create() {
  const m = gsMeter('scheduler');
  return {
    submitted: m.createCounter('gs_scheduler_tasks_submitted_total', { description: 'Tasks registered, by submitting service' }),
    dispatched: m.createCounter('gs_scheduler_dispatches_total', { description: 'Tasks assigned to a worker (scheduling decisions), by worker pool' }),
    transitions: m.createCounter('gs_scheduler_transitions_total', { description: 'Task state changes committed, by new state' }),
    passes: m.createCounter('gs_scheduler_assignment_passes_total', { description: 'Assignment passes (A3), by method: exact (HiGHS), greedy, uniform (interchangeable tasks, no solver), fifo or edf (baselines)' }),
    staleResults: m.createCounter('gs_scheduler_stale_results_total', { description: 'Results of an attempt that was no longer running (finished, cancelled or superseded); acknowledged, not applied' }),
    workerLost: m.createCounter('gs_scheduler_worker_lost_total', { description: 'Running tasks whose worker went away (retried)' }),
    commitRetries: m.createCounter('gs_scheduler_commit_retries_total', { description: 'Task store commits retried because the store was unavailable' }),
    commitSeconds: m.createHistogram('gs_scheduler_commit_seconds', { description: 'Time to write one commit to the task store', unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
    workers: m.createUpDownCounter('gs_scheduler_workers', { description: 'Workers connected, by pool (trial or production)' }),
  };
}

export const schedulerMetrics = () => (instruments ??= create());
