-- The supply topology, the source of truth for outage localisation and area rollups. Every load is a
-- whole snapshot under a new version; a version becomes current only when its row lands in
-- topology_versions (written last), so readers never see half a load. Old versions stay for history
-- (which meters were under which transformer area on a given day) until dropped by month.
CREATE TABLE IF NOT EXISTS topology_elements (
  version UInt64,
  element_id String,
  level String,
  parent_id String,
  name String,
  capacity_kva Float64
) ENGINE = MergeTree()
ORDER BY (version, element_id);

CREATE TABLE IF NOT EXISTS topology_meters (
  version UInt64,
  meter_id String,
  box_id String,
  terminal_address String,
  pn UInt16,
  phase String
) ENGINE = MergeTree()
ORDER BY (version, meter_id);

CREATE TABLE IF NOT EXISTS topology_versions (
  version UInt64,
  loaded_at_ms Int64,
  elements UInt32,
  meters UInt32,
  source String
) ENGINE = MergeTree()
ORDER BY version;
