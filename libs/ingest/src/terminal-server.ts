import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Direction, Protocol, type RawFrame } from '@gridstation/contracts';
import { buildDeadLetter, TOPICS, type MessageBus } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import type { dlt698, qgdw1376 } from '@gridstation/protocols';
import type { Logger } from '@gridstation/telemetry';
import { FramePublisher, type FrameSource } from './frame-publisher';
import { commMetrics as metrics } from './metrics';
import type { ConnectionRegistry } from './registry';
import { DEFAULT_SESSION, LOGIN_REFUSALS, TerminalSession, type SessionDecision, type SessionOptions } from './terminal-session';

// The terminal side of the communication service: accepts connections (limits, idle timeout), runs one
// TerminalSession per connection and carries out what it decides: frames to the FramePublisher
// (confirmed after the bus acknowledged them), login checks against the archive, registry claims,
// refusals, dead letters for undecodable input, and replies to downlink requests.


/** Pending connections the kernel may queue for accept. */
const LISTEN_BACKLOG = 8192;
export interface TerminalServerOptions {
  host: string;
  port: number;
  instanceId: string;
  /** Where this instance's DownlinkService can be reached (stored in the registry). */
  grpcAddress: string;
  maxConnections: number;
  idleTimeoutMs: number;
  frameRatePerSec: number;
  frameBurst: number;
  bufferFrames: number;
  publishBatchFrames: number;
  publishLingerMs: number;
  /** Registry entries expire after this long without a heartbeat. */
  registryTtlMs: number;
  /** A connection that has not logged in (or registered as a gateway) by then is closed. */
  loginDeadlineMs: number;
  /** Refused frames after which a connection is closed. */
  maxRefusals: number;
  /** Gateways known by source address: address -> gateway id. */
  gatewayAddresses: Record<string, string>;
  /** Registration packets of gateway models: a pattern over the first bytes, the id in group `id`. */
  gatewayModels: ReadonlyArray<{ name: string; pattern: string }>;
  /** File descriptors left for everything else (stores, Kafka, gRPC, logs) when the connection limit is derived from the process's limit. */
  reservedFds: number;
}

export const DEFAULT_TERMINAL_SERVER: Omit<TerminalServerOptions, 'host' | 'port' | 'instanceId' | 'grpcAddress'> = {
  maxConnections: 20_000,
  idleTimeoutMs: 30 * 60_000,
  frameRatePerSec: 100,
  frameBurst: 500,
  bufferFrames: 50_000,
  publishBatchFrames: 2_000,
  publishLingerMs: 20,
  registryTtlMs: 45 * 60_000,
  loginDeadlineMs: 30_000,
  maxRefusals: DEFAULT_SESSION.maxRefusals,
  gatewayAddresses: {},
  gatewayModels: DEFAULT_SESSION.gatewayModels.map((m) => ({ name: m.name, pattern: m.pattern.source })),
  reservedFds: 512,
};

/** The soft limit on open files of this process (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection limit that leaves file descriptors for the rest of the process: a limit equal to the
 * open-file limit lets silent sockets starve the stores (LevelDB "Too many open files").
 */
export function connectionLimit(configured: number, fileLimit: number | undefined, reserved: number): number {
  if (fileLimit === undefined) return configured;
  const headroom = Math.max(reserved, Math.ceil(fileLimit * 0.1));
  return Math.max(1, Math.min(configured, fileLimit - headroom));
}

export interface ServerStats {
  /** Undecodable input by code (a corrupted frame also leaves the bytes after its start as GARBAGE). */
  badByCode: Record<string, number>;
  connections: number;
  /** Connections identified as a terminal or gateway. */
  loggedIn: number;
  framesReceived: number;
  framesPublished: number;
  /** Logins and gateway registrations refused. */
  refusedLogins: number;
  /** Frames refused from connections not entitled to send them. */
  refusedFrames: number;
  badInput: number;
  /** Bad input counted but not dead-lettered (the connection's dead-letter budget was spent). */
  suppressed: number;
  /** Connections closed for not logging in within the login deadline. */
  loginDeadlineClosed: number;
  buffered: number;
  /** The connection limit in force (configured, lowered to fit the open-file limit). */
  maxConnections: number;
}

interface Waiting<T> {
  match(reply: T): boolean;
  resolve(r: { reply: T; bytes: Uint8Array; atMs: number }): void;
}

/** Requests sent to one terminal waiting for their reply (1376.1 frames or 698.45 APDUs). */
class Replies<T> {
  private readonly waiting = new Set<Waiting<T>>();

  /** Sends with `send` and resolves with the first reply `match` accepts, or rejects after `timeoutMs`. */
  wait(send: () => void, match: (reply: T) => boolean, timeoutMs: number, who: string): Promise<{ reply: T; bytes: Uint8Array; atMs: number }> {
    return new Promise((resolve, reject) => {
      const w: Waiting<T> = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          this.waiting.delete(w);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.delete(w);
        reject(new Error(`terminal ${who} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.add(w);
      send();
    });
  }

  /** A reply arrived: the first waiting request it answers gets it. */
  offer(reply: T, bytes: Uint8Array): void {
    for (const w of this.waiting) {
      if (w.match(reply)) {
        w.resolve({ reply, bytes, atMs: Date.now() });
        return;
      }
    }
  }
}

/** What went over one terminal's socket: one read or one write. */
export interface Traffic {
  atMs: number;
  up: boolean;
  bytes: Uint8Array;
  truncated: boolean;
}

/** Reads and writes a connection keeps for someone looking at it (TerminalService.WatchTraffic). */
export const TRAFFIC_KEPT = 16;
const TRAFFIC_MAX_BYTES = 4096;

/** One terminal connection: its socket, its session, and the downlink requests waiting for replies. */
export class TerminalConnection implements FrameSource {
  readonly connectedAtMs = Date.now();
  lastSeenMs = 0;
  framesReceived = 0;
  private readonly traffic: Traffic[] = [];
  private readonly watchers = new Set<{ traffic: (t: Traffic) => void; closed: () => void }>();
  private seq = 0;
  private frameNo = 0;
  private readonly replies = new Replies<qgdw1376.QgdwFrame>();
  private readonly replies698 = new Replies<dlt698.Apdu>();
  private piid = 0;
  private throttledUntil = 0;
  isClosed = false;
  /** Refusals of this connection logged at warn so far (then at debug: one noisy socket must not flood the log). */
  warned = 0;
  loginDeadline?: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly socket: Socket,
    readonly session: TerminalSession,
  ) {}

  get terminal(): string | undefined {
    return this.session.terminal;
  }

  get identity(): string | undefined {
    return this.session.identity?.id;
  }

  get address(): qgdw1376.QgdwAddress | undefined {
    return this.session.address;
  }

  /** Set when the terminal speaks DL/T 698.45: where requests to it are addressed. */
  get link698(): { server: dlt698.ServerAddress; client: number } | undefined {
    return this.session.link698;
  }

  /** The next DL/T 698.45 PIID (service number 0..63) for a request to this terminal. */
  nextPiid(): number {
    this.piid = (this.piid + 1) & 0x3f;
    return this.piid;
  }

  /** As request(), for a DL/T 698.45 terminal: resolves with the first response APDU `match` accepts. */
  async request698(bytes: Uint8Array, match: (a: dlt698.Apdu) => boolean, timeoutMs: number): Promise<{ apdu: dlt698.Apdu; bytes: Uint8Array; atMs: number }> {
    const r = await this.replies698.wait(() => this.write(bytes), match, timeoutMs, this.terminal ?? this.id);
    return { apdu: r.reply, bytes: r.bytes, atMs: r.atMs };
  }

  answer698(apdu: dlt698.Apdu, bytes: Uint8Array): void {
    this.replies698.offer(apdu, bytes);
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0}`;
  }

  nextFrameId(): string {
    return `${this.id}.${++this.frameNo}`;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0x0f;
    return this.seq;
  }

  write(bytes: Uint8Array): void {
    if (this.isClosed) return;
    this.socket.write(bytes);
    this.keep(false, bytes);
  }

  /** Bytes read from the socket. */
  heard(chunk: Buffer): void {
    this.lastSeenMs = Date.now();
    this.keep(true, chunk);
  }

  /** The reads and writes still held, oldest first. */
  recentTraffic(): readonly Traffic[] {
    return [...this.traffic];
  }

  /** Calls `traffic` with every read and write from now on, `closed` when the connection ends; returns the function that stops it. */
  watch(traffic: (t: Traffic) => void, closed: () => void): () => void {
    const w = { traffic, closed };
    if (this.isClosed) closed();
    else this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** The socket closed: watchers are told and let go. */
  ended(): void {
    for (const w of this.watchers) w.closed();
    this.watchers.clear();
  }

  private keep(up: boolean, bytes: Uint8Array): void {
    // A copy: socket chunks are slices of larger buffers that would otherwise stay alive.
    const t: Traffic = { atMs: Date.now(), up, bytes: Uint8Array.prototype.slice.call(bytes, 0, TRAFFIC_MAX_BYTES), truncated: bytes.length > TRAFFIC_MAX_BYTES };
    this.traffic.push(t);
    if (this.traffic.length > TRAFFIC_KEPT) this.traffic.shift();
    for (const w of this.watchers) w.traffic(t);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.isClosed) this.socket.resume();
  }

  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.throttledUntil) return;
    this.throttledUntil = until;
    this.socket.pause();
    setTimeout(() => this.resume(), ms).unref();
  }

  /** Sends a request and resolves with the first reply `match` accepts, or rejects after `timeoutMs`. */
  async request(bytes: Uint8Array, match: (f: qgdw1376.QgdwFrame) => boolean, timeoutMs: number): Promise<{ frame: qgdw1376.QgdwFrame; bytes: Uint8Array; atMs: number }> {
    const r = await this.replies.wait(() => this.write(bytes), match, timeoutMs, this.terminal ?? this.id);
    return { frame: r.reply, bytes: r.bytes, atMs: r.atMs };
  }

  /** A response frame arrived: the first waiting request it answers gets it. */
  answer(frame: qgdw1376.QgdwFrame, bytes: Uint8Array): void {
    this.replies.offer(frame, bytes);
  }

}

/** A terminal as the terminal server sees it (online here, or gone since). */
export interface TerminalPresenceInfo {
  address: string;
  online: boolean;
  protocol: Protocol;
  remote: string;
  connectedAtMs: number;
  lastSeenMs: number;
  framesReceived: number;
  disconnectedAtMs: number;
  disconnectReason: string;
}

/** Terminals remembered after they left (most recent kept). */
const DEPARTED_KEPT = 10_000;

export class TerminalServer {
  private server?: Server;
  private readonly connections = new Set<TerminalConnection>();
  private readonly byTerminal = new Map<string, TerminalConnection>();
  private readonly departed = new Map<string, TerminalPresenceInfo>();
  private readonly closeReasons = new WeakMap<TerminalConnection, string>();
  private readonly publisher: FramePublisher;
  private connSeq = 0;
  private readonly epoch = Date.now().toString(36);
  private readonly counts = { framesReceived: 0, refusedLogins: 0, refusedFrames: 0, badInput: 0, suppressed: 0, loginDeadlineClosed: 0 };
  private readonly sessionOptions: SessionOptions;
  readonly maxConnections: number;
  private readonly badByCode: Record<string, number> = {};
  private boundPort = 0;

  /** The port terminals connect to (known after start). */
  get port(): number {
    return this.boundPort;
  }

  constructor(
    readonly options: TerminalServerOptions,
    private readonly bus: MessageBus,
    private readonly archive: DeviceArchive,
    private readonly registry: ConnectionRegistry,
    private readonly log: Logger,
  ) {
    this.publisher = new FramePublisher({ ...options, producer: options.instanceId }, bus, log);
    this.sessionOptions = {
      ...DEFAULT_SESSION,
      frameRatePerSec: options.frameRatePerSec,
      frameBurst: options.frameBurst,
      maxRefusals: options.maxRefusals,
      gatewayModels: options.gatewayModels.map((m) => ({ name: m.name, pattern: new RegExp(m.pattern) })),
    };
    this.maxConnections = connectionLimit(options.maxConnections, openFileLimit(), options.reservedFds);
    metrics.connectionLimit.addCallback((r) => r.observe(this.maxConnections));
  }

  /** Resolves with the bound port. */
  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.maxConnections;
    if (this.maxConnections < this.options.maxConnections) {
      this.log.warn({ configured: this.options.maxConnections, limit: this.maxConnections, openFiles: openFileLimit() }, 'connection limit lowered to leave file descriptors for the rest of the process');
    }
    server.on('drop', () => metrics.refused.add(1, { reason: 'connection_limit' }));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep accept queue: after a station restart or a network recovery every terminal of a region
      // reconnects within seconds, and connections beyond Node's default backlog (511) wait for SYN
      // retransmits (1 s, 3 s, 7 s ...). The kernel caps it at net.core.somaxconn.
      server.listen({ port: this.options.port, host: this.options.host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.options.port;
    this.boundPort = port;
    this.log.info({ port, maxConnections: this.maxConnections }, 'terminal server listening');
    return port;
  }

  /** Stops accepting, closes connections, publishes what is buffered (and confirms it). */
  async stop(): Promise<void> {
    const closed = this.server ? new Promise<void>((r) => this.server!.close(() => r())) : Promise.resolve();
    for (const c of this.connections) c.socket.end();
    await this.publisher.drain();
    for (const c of this.connections) c.socket.destroy();
    await closed;
  }

  stats(): ServerStats {
    return {
      connections: this.connections.size,
      loggedIn: this.byTerminal.size,
      buffered: this.publisher.buffered,
      framesPublished: this.publisher.published,
      maxConnections: this.maxConnections,
      ...this.counts,
      badByCode: { ...this.badByCode },
    };
  }

  /** The connection holding `terminal` on this instance. */
  connectionOf(terminal: string): TerminalConnection | undefined {
    return this.byTerminal.get(terminal);
  }

  /** Terminals online here and those that left since start, by address. */
  terminals(): TerminalPresenceInfo[] {
    const out = [...this.byTerminal.entries()].map(([address, c]) => this.presence(address, c));
    for (const [address, d] of this.departed) if (!this.byTerminal.has(address)) out.push(d);
    return out;
  }

  private presence(address: string, c: TerminalConnection): TerminalPresenceInfo {
    const protocol = c.link698 ? Protocol.PROTOCOL_DLT698_45 : c.address ? Protocol.PROTOCOL_QGDW_1376_1 : Protocol.PROTOCOL_DLT645_2007;
    return { address, online: !c.isClosed, protocol, remote: c.remote, connectedAtMs: c.connectedAtMs, lastSeenMs: c.lastSeenMs, framesReceived: c.framesReceived, disconnectedAtMs: 0, disconnectReason: '' };
  }

  private accept(socket: Socket): void {
    const session = new TerminalSession(this.sessionOptions);
    const c = new TerminalConnection(`${this.options.instanceId}.${this.epoch}.${++this.connSeq}`, socket, session);
    this.connections.add(c);
    metrics.connections.add(1);
    metrics.accepted.add(1);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(this.options.idleTimeoutMs, () => this.close(c, 'idle timeout'));
    c.loginDeadline = setTimeout(() => {
      if (c.session.identity) return;
      this.counts.loginDeadlineClosed++;
      metrics.loginDeadline.add(1);
      this.close(c, `no login within ${this.options.loginDeadlineMs} ms`);
    }, this.options.loginDeadlineMs);
    c.loginDeadline.unref();
    socket.on('data', (chunk: Buffer) => {
      c.heard(chunk);
      this.carryOut(c, session.receive(chunk));
    });
    socket.on('end', () => {
      this.carryOut(c, session.finish());
      socket.end();
    });
    socket.on('error', (e) => this.log.debug({ connection: c.id, err: e }, 'socket error'));
    socket.on('close', () => this.onClose(c));
    const gateway = socket.remoteAddress ? this.options.gatewayAddresses[socket.remoteAddress.replace(/^::ffff:/, '')] : undefined;
    if (gateway) this.carryOut(c, session.identifyBySource(gateway));
  }

  /** Closes a connection on this side, reporting what its deframer still held (a garbage run not yet reported). */
  private close(c: TerminalConnection, reason: string): void {
    if (c.isClosed) return;
    this.log.info({ connection: c.id, identity: c.identity, remote: c.remote, reason }, 'closing connection');
    this.closeReasons.set(c, reason);
    this.carryOut(c, c.session.finish().filter((d) => d.kind !== 'close'));
    c.socket.destroy();
  }

  private onClose(c: TerminalConnection): void {
    const terminal = c.identity;
    clearTimeout(c.loginDeadline);
    c.isClosed = true;
    c.session.closed();
    c.ended();
    this.connections.delete(c);
    metrics.connections.add(-1);
    if (terminal && this.byTerminal.get(terminal) === c) {
      this.byTerminal.delete(terminal);
      this.departed.delete(terminal); // re-inserted: the map's order is the order of leaving
      this.departed.set(terminal, { ...this.presence(terminal, c), online: false, disconnectedAtMs: Date.now(), disconnectReason: this.closeReasons.get(c) ?? 'closed by the terminal' });
      if (this.departed.size > DEPARTED_KEPT) this.departed.delete(this.departed.keys().next().value!);
      this.registry.release(terminal, c.id).catch((e: unknown) => this.log.warn({ err: e, terminal }, 'registry release failed'));
    }
  }

  private carryOut(c: TerminalConnection, decisions: readonly SessionDecision[]): void {
    for (const d of decisions) {
      switch (d.kind) {
        case 'publish':
          this.counts.framesReceived++;
          c.framesReceived++;
          metrics.frames.add(1, { protocol: Protocol[d.protocol] ?? String(d.protocol) });
          this.publisher.enqueue({ key: d.key, frame: this.rawFrame(c, d.bytes, d.protocol, d.terminal), source: c, ...(d.confirm ? { onAck: () => c.write(d.confirm!) } : {}) });
          break;
        case 'send':
          c.write(d.bytes);
          break;
        case 'check-identity':
          this.checkIdentity(c, d.identity.id);
          break;
        case 'claim':
          this.claim(c, d.id);
          break;
        case 'refused':
          this.refused(c, d);
          break;
        case 'bad-input':
          if (d.report) this.badInput(c, d.code, d.reason, d.bytes, d.byteOffset);
          else this.suppress(d.code);
          break;
        case 'throttle':
          metrics.throttled.add(1);
          c.pauseFor(d.ms);
          break;
        case 'pause':
          c.pause();
          break;
        case 'resume':
          c.resume();
          break;
        case 'reply':
          c.answer(d.frame, d.bytes);
          break;
        case 'reply698':
          c.answer698(d.apdu, d.bytes);
          break;
        case 'close':
          this.log.info({ connection: c.id, remote: c.remote, reason: d.reason }, 'closing connection');
          this.closeReasons.set(c, d.reason);
          c.socket.end();
          c.socket.destroySoon();
          break;
      }
    }
  }

  /** Terminals and gateways are both archive entries: an address or gateway id with the meters bound to it. */
  private checkIdentity(c: TerminalConnection, id: string): void {
    this.archive.terminal(id).then(
      (known) => this.carryOut(c, c.session.identityChecked(known ? 'known' : 'unknown', known?.meters.map((m) => m.meterId))),
      (e: unknown) => {
        this.log.warn({ err: e, id }, 'archive lookup failed; refusing the login for now');
        this.carryOut(c, c.session.identityChecked('unavailable'));
      },
    );
  }

  private refused(c: TerminalConnection, d: Extract<SessionDecision, { kind: 'refused' }>): void {
    if (LOGIN_REFUSALS.has(d.reason)) this.counts.refusedLogins++;
    else this.counts.refusedFrames++;
    metrics.refused.add(1, { reason: d.reason });
    const fields = { connection: c.id, id: d.id, remote: c.remote, reason: d.reason, afn: d.afn };
    if (c.warned++ === 0) this.log.warn(fields, 'frame refused (further refusals of this connection are logged at debug)');
    else this.log.debug(fields, 'frame refused');
    if (d.deadLetter) this.badInput(c, `REFUSED_${d.reason.toUpperCase()}`, `${d.reason}: ${d.id}`, d.deadLetter, -1);
  }

  private suppress(code: string): void {
    this.counts.suppressed++;
    metrics.suppressed.add(1, { code });
  }

  /** This connection now holds the terminal here and in the registry; an older connection of it is closed (newest wins). */
  private claim(c: TerminalConnection, terminal: string): void {
    clearTimeout(c.loginDeadline);
    const previous = this.byTerminal.get(terminal);
    if (previous && previous !== c) {
      this.log.info({ terminal, old: previous.id, new: c.id }, 'terminal logged in again; closing its old connection');
      this.closeReasons.set(previous, 'the terminal logged in again on a new connection');
      previous.socket.destroy();
    }
    this.byTerminal.set(terminal, c);
    this.registry
      .claim(terminal, { instanceId: this.options.instanceId, grpcAddress: this.options.grpcAddress, connectionId: c.id, sinceMs: Date.now() }, this.options.registryTtlMs)
      .catch((e: unknown) => this.log.warn({ err: e, terminal }, 'registry claim failed'));
  }

  private rawFrame(c: TerminalConnection, bytes: Uint8Array, protocol: Protocol, terminal: string): RawFrame {
    return {
      frameId: c.nextFrameId(),
      protocol,
      payload: Buffer.from(bytes),
      terminalAddress: terminal,
      receivedAtMs: Date.now(),
      direction: Direction.DIRECTION_UPLINK,
      source: `tcp:${c.remote}`,
      connectionId: c.id,
    };
  }

  /** Undecodable or refused input: the dead-letter topic with its bytes (there is no frame to deny), counted. */
  private badInput(c: TerminalConnection, code: string, reason: string, bytes: Uint8Array, byteOffset: number): void {
    this.counts.badInput++;
    this.badByCode[code] = (this.badByCode[code] ?? 0) + 1;
    metrics.bad.add(1, { code });
    const record = buildDeadLetter({
      code,
      reason,
      byteOffset,
      service: 'comm',
      key: c.identity ?? c.id,
      payload: bytes,
      headers: { 'connection-id': c.id, remote: c.remote, terminal: c.identity ?? '' },
    });
    this.bus.publish(TOPICS.deadLetter, [record]).catch((e: unknown) => this.log.warn({ err: e, code }, 'dead-letter publish failed'));
  }
}
