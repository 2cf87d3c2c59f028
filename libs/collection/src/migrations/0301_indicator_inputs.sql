-- Inputs of the business-expansion indicators (see libs/metering/README.md): the areas with their
-- rated capacity, the meters with their area, role (the area's master meter or a user), phase and
-- contracted capacity, and one row per meter per day with the day's energy and peak demand (and the
-- phase currents at the peak). ORDER BY meter then day: the per-meter aggregation of the users'
-- indicators reads each meter's year as one range.
CREATE TABLE IF NOT EXISTS ind_areas (
  area_id UInt32,
  capacity_kva Float64
) ENGINE = MergeTree()
ORDER BY area_id;

CREATE TABLE IF NOT EXISTS ind_meters (
  meter_id UInt32,
  area_id UInt32,
  is_master UInt8,
  phase UInt8,
  contract_kw Float64
) ENGINE = MergeTree()
ORDER BY meter_id;

CREATE TABLE IF NOT EXISTS ind_load (
  meter_id UInt32,
  day Date,
  energy_kwh Float32,
  max_kw Float32,
  ia Float32,
  ib Float32,
  ic Float32
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (meter_id, day);
