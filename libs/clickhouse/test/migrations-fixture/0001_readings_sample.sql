-- A small table exercising the types the station uses, written to work on 18.16 and current servers.
CREATE TABLE IF NOT EXISTS sample_readings (
  meter_id String,
  quantity String,
  data_time DateTime,
  value Float64,
  received_at_ms UInt64,
  quality UInt32
) ENGINE = ReplacingMergeTree(received_at_ms)
PARTITION BY toYYYYMM(data_time)
ORDER BY (meter_id, quantity, data_time);
