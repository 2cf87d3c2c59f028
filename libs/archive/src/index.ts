export { CachedArchive, MemoryArchive, type DeviceArchive, type MeterRecord, type TerminalRecord } from './archive';
export { RedisArchive, redisArchiveProvider } from './redis-archive';
export { ARCHIVE, TOPOLOGY } from './token';
export { Topology, TopologyError, PARENT_LEVEL, type ElementLevel, type MeterPath, type TopologyElement, type TopologyMeter, type TopologySnapshot } from './topology';
export {
  archiveOf,
  CachedTopology,
  ClickHouseTopologySource,
  RedisTopologyCache,
  StaticTopology,
  TOPOLOGY_CHANNEL,
  TOPOLOGY_MIGRATIONS_DIR,
  managedTopology,
  publishTopology,
  type TopologyLog,
  type TopologyProvider,
} from './topology-store';
