export { CachedArchive, MemoryArchive, type DeviceArchive, type MeterRecord, type TerminalRecord } from './archive';
export { RedisArchive } from './redis-archive';
export { ARCHIVE } from './token';
