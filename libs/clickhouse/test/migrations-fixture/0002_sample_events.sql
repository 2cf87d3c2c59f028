CREATE TABLE IF NOT EXISTS sample_events (
  device_id String,
  occurred_at DateTime,
  kind String
) ENGINE = MergeTree()
ORDER BY (device_id, occurred_at);
