-- Task history: every event of the task layer (from gs.task-events.v1, at least once). One row per
-- event, identified by (task set, seq): ReplacingMergeTree folds a redelivered event into the same row.
-- Duration forecasts (A1) learn from the SUCCESS rows; operators query what happened to a task.
CREATE TABLE IF NOT EXISTS task_events (
  task_set_id String,
  seq UInt64,
  at_ms Int64,
  kind String,
  task_id String,
  task_index UInt32,
  from_state UInt8,
  to_state UInt8,
  attempt UInt16,
  worker String,
  failure_code String,
  failure_reason String,
  program String,
  scale Float64,
  worker_cpu Float64,
  duration_ms Float64,
  predicted_ms Float64,
  service String
) ENGINE = ReplacingMergeTree
ORDER BY (task_set_id, seq);
