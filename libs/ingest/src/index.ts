export { TokenBucket } from './token-bucket';
export { RingBuffer } from './ring-buffer';
export { MemoryRegistry, RedisRegistry, CONNECTION_REGISTRY, type ConnectionOwner, type ConnectionRegistry } from './registry';
export { TerminalServer, TerminalSession, DEFAULT_TERMINAL_SERVER, type TerminalServerOptions, type ServerStats } from './terminal-server';
export { Downlink, DownlinkError, FORWARDED_HEADER } from './downlink';
export { DownlinkController } from './downlink.controller';
export { CommFeatureModule, type CommFeatureOptions } from './comm.module';
