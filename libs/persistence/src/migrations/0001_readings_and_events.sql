-- Readings: one row per (meter, quantity, tariff, data time).
-- ORDER BY puts one meter's values together and sorted by quantity then time, so "a meter's curve"
-- and "a meter's latest values" read one small range of the primary index. PARTITION BY month of the
-- data time: old months are dropped or moved whole, and a late reading touches only its own month.
-- ReplacingMergeTree(stored_at_ms) collapses rows with the same sorting key (a retried batch, a
-- redelivered Kafka record); queries read with FINAL so a not-yet-merged duplicate is never returned.
CREATE TABLE IF NOT EXISTS readings (
  meter_id String,
  quantity String,
  tariff UInt8,
  data_time_ms Int64,
  value Nullable(Float64),
  unit UInt8,
  quality UInt32,
  received_at_ms Int64,
  terminal_address String,
  measurement_point UInt16,
  frame_id String,
  source_topic String,
  source_partition Int32,
  source_offset Int64,
  stored_at_ms Int64,
  data_date Date MATERIALIZED toDate(toDateTime(intDiv(data_time_ms, 1000)))
) ENGINE = ReplacingMergeTree(stored_at_ms)
PARTITION BY toYYYYMM(data_date)
ORDER BY (meter_id, quantity, tariff, data_time_ms);

-- Device events: identity is the event id (stable across repeated reports of the same record).
CREATE TABLE IF NOT EXISTS device_events (
  device_id String,
  occurred_at_ms Int64,
  event_id String,
  device_kind UInt8,
  type UInt8,
  code String,
  ended_at_ms Int64,
  received_at_ms Int64,
  terminal_address String,
  measurement_point UInt16,
  attributes_json String,
  frame_id String,
  stored_at_ms Int64,
  occurred_date Date MATERIALIZED toDate(toDateTime(intDiv(occurred_at_ms, 1000)))
) ENGINE = ReplacingMergeTree(stored_at_ms)
PARTITION BY toYYYYMM(occurred_date)
ORDER BY (device_id, occurred_at_ms, event_id);
