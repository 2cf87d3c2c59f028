-- Alerts: every published revision lands here (from gs.alerts.v1, at least once); ReplacingMergeTree
-- keyed by the alert id keeps the newest revision after merges, and queries pick it with argMax, so a
-- redelivered revision is harmless. The full alert is kept as its protobuf encoding (base64) next to
-- the columns queries filter on.
CREATE TABLE IF NOT EXISTS alerts (
  alert_id String,
  revision UInt32,
  kind UInt8,
  state UInt8,
  element_kind UInt8,
  element_id String,
  transformer_area_id String,
  feeder_id String,
  substation_id String,
  affected_meter_count UInt32,
  first_evidence_at_ms Int64,
  decisive_evidence_ingested_at_ms Int64,
  detected_at_ms Int64,
  cleared_at_ms Int64,
  confidence Float64,
  payload String
) ENGINE = ReplacingMergeTree(revision)
ORDER BY alert_id;
