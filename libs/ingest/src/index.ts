export { TokenBucket } from './token-bucket';
export { RingBuffer } from './ring-buffer';
export { MemoryRegistry, RedisRegistry, CONNECTION_REGISTRY, type ConnectionOwner, type ConnectionRegistry } from './registry';
export { TerminalServer, TerminalConnection, DEFAULT_TERMINAL_SERVER, type TerminalServerOptions, type ServerStats } from './terminal-server';
export { TerminalSession, DEFAULT_SESSION, type SessionDecision, type SessionOptions, type RefusalReason } from './terminal-session';
export { FramePublisher, type FrameSource, type PendingFrame, type PublisherOptions } from './frame-publisher';
export { Downlink, DownlinkError, FORWARDED_HEADER } from './downlink';
export { DownlinkController } from './downlink.controller';
export { CommFeatureModule, type CommFeatureOptions } from './comm.module';
