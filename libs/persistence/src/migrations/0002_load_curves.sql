-- 15-minute load curves per meter, aggregated by ClickHouse as readings are inserted (a materialized
-- view over `readings`): average, minimum and maximum of every power, current and voltage quantity per
-- quarter hour. Transformer-area curves are these rows summed over the area's meters (joined with the
-- current topology version at query time, so a meter moved to another area moves its history with it).
-- A redelivered reading is inserted again before ReplacingMergeTree collapses it, so `samples` can
-- count it twice; avg/min/max of identical values are unaffected.
CREATE TABLE IF NOT EXISTS load_curve_15m (
  meter_id String,
  quantity String,
  bucket_ms Int64,
  avg_value AggregateFunction(avg, Float64),
  min_value AggregateFunction(min, Float64),
  max_value AggregateFunction(max, Float64),
  samples AggregateFunction(count)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(toDate(toDateTime(intDiv(bucket_ms, 1000))))
ORDER BY (meter_id, quantity, bucket_ms);

CREATE MATERIALIZED VIEW IF NOT EXISTS load_curve_15m_mv TO load_curve_15m AS
SELECT
  meter_id,
  quantity,
  intDiv(data_time_ms, 900000) * 900000 AS bucket_ms,
  avgState(assumeNotNull(value)) AS avg_value,
  minState(assumeNotNull(value)) AS min_value,
  maxState(assumeNotNull(value)) AS max_value,
  countState() AS samples
FROM readings
WHERE value IS NOT NULL AND quality = 0 AND (quantity LIKE 'power.%' OR quantity LIKE 'current.%' OR quantity LIKE 'voltage.%')
GROUP BY meter_id, quantity, bucket_ms;
