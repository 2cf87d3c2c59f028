import { createServer, type Server, type Socket } from 'node:net';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { Direction, Protocol, RawFrameBatch, type RawFrame } from '@gridstation/contracts';
import { buildDeadLetter, recordValue, TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import { createAutoDeframer, qgdw1376, type DeframeEvent, type Deframer } from '@gridstation/protocols';
import { gsMeter, type Logger } from '@gridstation/telemetry';
import type { ConnectionRegistry } from './registry';
import { RingBuffer } from './ring-buffer';
import { TokenBucket } from './token-bucket';

// The terminal side of the communication service. Per connection: a deframer, a token bucket, login
// against the archive, heartbeats, an idle timeout, and correlation of replies to downlink requests.
// Between the sockets and Kafka sits one bounded ring buffer; the publisher drains it in batches
// (RawFrameBatch per terminal, keyed by terminal address) and only after Kafka acknowledged a batch are
// the confirmations (AFN 00 F1) the terminals asked for sent. When the ring is full, sockets are paused
// (TCP backpressure) instead of dropping frames.

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
  /** DL/T 645 frames from serial-to-TCP gateways are accepted without a login. */
  acceptDlt645: boolean;
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
  acceptDlt645: true,
};

const meter = gsMeter('comm');
const metrics = {
  connections: meter.createUpDownCounter('gs_comm_connections', { description: 'Open terminal connections' }),
  accepted: meter.createCounter('gs_comm_connections_accepted_total', { description: 'Connections accepted' }),
  refused: meter.createCounter('gs_comm_logins_refused_total', { description: 'Logins refused, by reason' }),
  frames: meter.createCounter('gs_comm_frames_received_total', { description: 'Frames received, by protocol' }),
  published: meter.createCounter('gs_comm_frames_published_total', { description: 'Frames acknowledged by the bus' }),
  bad: meter.createCounter('gs_comm_bad_input_total', { description: 'Undecodable bytes or frames, by code' }),
  throttled: meter.createCounter('gs_comm_throttled_total', { description: 'Times a connection was paused by its token bucket' }),
  ringFull: meter.createCounter('gs_comm_buffer_full_total', { description: 'Times a connection was paused because the publish buffer was full' }),
};

interface Pending {
  frame: RawFrame;
  key: string;
  /** Sent to the terminal once the bus acknowledged the frame (the confirmation it asked for). */
  confirm?: Uint8Array;
  session: TerminalSession;
}

interface Waiting {
  match(f: qgdw1376.QgdwFrame): boolean;
  resolve(r: { frame: qgdw1376.QgdwFrame; bytes: Uint8Array; atMs: number }): void;
}

export interface ServerStats {
  /** Undecodable input by code (a corrupted frame also leaves the bytes after its start as GARBAGE). */
  badByCode: Record<string, number>;
  connections: number;
  loggedIn: number;
  framesReceived: number;
  framesPublished: number;
  refused: number;
  badInput: number;
  buffered: number;
}

export class TerminalSession {
  terminal?: string;
  address?: qgdw1376.QgdwAddress;
  readonly overflow: Pending[] = [];
  private readonly deframer: Deframer = createAutoDeframer();
  private readonly bucket: TokenBucket;
  private seq = 0;
  private frameNo = 0;
  private readonly waiting = new Set<Waiting>();
  private throttledUntil = 0;
  closed = false;

  constructor(
    readonly id: string,
    readonly socket: Socket,
    private readonly server: TerminalServer,
  ) {
    this.bucket = new TokenBucket(server.options.frameRatePerSec, server.options.frameBurst);
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

  onData(chunk: Buffer): void {
    for (const ev of this.deframer.push(chunk)) this.onEvent(ev);
  }

  onEnd(): void {
    for (const ev of this.deframer.finish()) this.onEvent(ev);
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends a request and resolves with the first frame `match` accepts, or rejects after `timeoutMs`. */
  request(bytes: Uint8Array, match: (f: qgdw1376.QgdwFrame) => boolean, timeoutMs: number): Promise<{ frame: qgdw1376.QgdwFrame; bytes: Uint8Array; atMs: number }> {
    return new Promise((resolve, reject) => {
      const w: Waiting = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          this.waiting.delete(w);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.delete(w);
        reject(new Error(`terminal ${this.terminal ?? this.id} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.add(w);
      this.write(bytes);
    });
  }

  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.throttledUntil) return;
    this.throttledUntil = until;
    this.socket.pause();
    setTimeout(() => {
      if (this.overflow.length === 0 && !this.closed) this.socket.resume();
    }, ms).unref();
  }

  private onEvent(ev: DeframeEvent): void {
    if (ev.type === 'error') {
      this.server.badInput(this, `DEFRAME_${ev.code}`, `${ev.message} at stream offset ${ev.offset} (${ev.length} bytes)`, undefined, ev.offset);
      return;
    }
    const bytes = Uint8Array.from(ev.bytes);
    const wait = this.bucket.take();
    if (wait > 0) {
      metrics.throttled.add(1);
      this.pauseFor(wait);
    }
    if (ev.protocol === 'dlt645') {
      this.server.onDlt645(this, bytes);
      return;
    }
    const d = qgdw1376.decodeQgdwFrame(bytes);
    if (!d.ok) {
      this.server.badInput(this, `DECODE_${d.error.code}`, d.error.message, bytes, d.error.offset);
      return;
    }
    const f = d.value;
    if (!f.control.up) {
      this.server.badInput(this, 'UNEXPECTED_DIRECTION', 'a downlink frame (DIR = 0) arrived from a terminal', bytes);
      return;
    }
    if (!f.control.prm) {
      for (const w of this.waiting) {
        if (w.match(f)) {
          w.resolve({ frame: f, bytes, atMs: Date.now() });
          break;
        }
      }
    }
    void this.server.onQgdw(this, f, bytes);
  }
}

export class TerminalServer {
  private server?: Server;
  private readonly sessions = new Set<TerminalSession>();
  private readonly byTerminal = new Map<string, TerminalSession>();
  private readonly ring: RingBuffer<Pending>;
  private readonly blocked = new Set<TerminalSession>();
  private flushing = false;
  private lingerTimer?: NodeJS.Timeout;
  private connSeq = 0;
  private readonly epoch = Date.now().toString(36);
  private readonly counts = { framesReceived: 0, framesPublished: 0, refused: 0, badInput: 0 };
  private readonly badByCode: Record<string, number> = {};
  private readonly tracer = trace.getTracer('gridstation.comm');
  private stopping = false;
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
    this.ring = new RingBuffer(options.bufferFrames);
  }

  /** Resolves with the bound port. */
  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections;
    server.on('drop', () => metrics.refused.add(1, { reason: 'connection_limit' }));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.options.port;
    this.boundPort = port;
    this.log.info({ port, maxConnections: this.options.maxConnections }, 'terminal server listening');
    return port;
  }

  /** Stops accepting, closes connections, publishes what is buffered (and confirms it). */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = this.server ? new Promise<void>((r) => this.server!.close(() => r())) : Promise.resolve();
    for (const s of this.sessions) s.socket.end();
    await this.drain();
    for (const s of this.sessions) s.socket.destroy();
    await closed;
  }

  stats(): ServerStats {
    return { connections: this.sessions.size, loggedIn: this.byTerminal.size, buffered: this.ring.size, ...this.counts, badByCode: { ...this.badByCode } };
  }

  sessionOf(terminal: string): TerminalSession | undefined {
    return this.byTerminal.get(terminal);
  }

  private accept(socket: Socket): void {
    const session = new TerminalSession(`${this.options.instanceId}.${this.epoch}.${++this.connSeq}`, socket, this);
    this.sessions.add(session);
    metrics.connections.add(1);
    metrics.accepted.add(1);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(this.options.idleTimeoutMs, () => {
      this.log.info({ connection: session.id, terminal: session.terminal }, 'idle timeout; closing');
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => session.onData(chunk));
    socket.on('end', () => {
      session.onEnd();
      socket.end();
    });
    socket.on('error', (e) => this.log.debug({ connection: session.id, err: e }, 'socket error'));
    socket.on('close', () => this.onClose(session));
  }

  private onClose(session: TerminalSession): void {
    session.closed = true;
    this.sessions.delete(session);
    metrics.connections.add(-1);
    if (session.terminal && this.byTerminal.get(session.terminal) === session) {
      this.byTerminal.delete(session.terminal);
      this.registry.release(session.terminal, session.id).catch((e: unknown) => this.log.warn({ err: e, terminal: session.terminal }, 'registry release failed'));
    }
  }

  async onQgdw(session: TerminalSession, f: qgdw1376.QgdwFrame, bytes: Uint8Array): Promise<void> {
    const terminal = qgdw1376.terminalKey(f.address);
    if (f.afn === qgdw1376.AFN.linkCheck && f.control.prm) {
      const kind = qgdw1376.decodeLinkCheck(f);
      if (!kind.ok) {
        this.badInput(session, `DECODE_${kind.error.code}`, kind.error.message, bytes, kind.error.offset);
        return;
      }
      if (kind.value === 'login') {
        const known = await this.archive.terminal(terminal).catch((e: unknown) => {
          this.log.warn({ err: e, terminal }, 'archive lookup failed; refusing the login for now');
          return null;
        });
        if (!known) {
          this.refuse(session, f, known === null ? 'archive_unavailable' : 'unknown_terminal', terminal);
          return;
        }
        const previous = this.byTerminal.get(terminal);
        if (previous && previous !== session) {
          this.log.info({ terminal, old: previous.id, new: session.id }, 'terminal logged in again; closing its old connection');
          previous.terminal = undefined;
          previous.socket.destroy();
        }
        session.terminal = terminal;
        session.address = f.address;
        this.byTerminal.set(terminal, session);
        this.claim(session);
        this.log.debug({ terminal, connection: session.id, remote: session.remote }, 'terminal logged in');
      } else if (kind.value === 'heartbeat' && session.terminal === terminal) {
        this.claim(session);
      }
    }
    if (session.terminal !== terminal) {
      this.refuse(session, f, session.terminal ? 'address_mismatch' : 'not_logged_in', terminal, false);
      return;
    }
    session.address = f.address;
    const confirm = f.seq.con && f.control.prm ? qgdw1376.encodeConfirmAll(f) : undefined;
    this.enqueue({
      session,
      key: terminal,
      frame: this.rawFrame(session, bytes, Protocol.PROTOCOL_QGDW_1376_1, terminal),
      ...(confirm?.ok ? { confirm: confirm.value } : {}),
    });
  }

  onDlt645(session: TerminalSession, bytes: Uint8Array): void {
    if (!this.options.acceptDlt645) {
      this.badInput(session, 'DLT645_NOT_ACCEPTED', 'DL/T 645 frames are not accepted on this port', bytes);
      return;
    }
    // Meter address, A0 first on the wire -> most significant digit first.
    const address = Buffer.from(bytes.subarray(1, 7)).reverse().toString('hex');
    this.enqueue({ session, key: address, frame: this.rawFrame(session, bytes, Protocol.PROTOCOL_DLT645_2007, '') });
  }

  private rawFrame(session: TerminalSession, bytes: Uint8Array, protocol: Protocol, terminal: string): RawFrame {
    this.counts.framesReceived++;
    metrics.frames.add(1, { protocol: Protocol[protocol] ?? String(protocol) });
    return {
      frameId: session.nextFrameId(),
      protocol,
      payload: Buffer.from(bytes),
      terminalAddress: terminal,
      receivedAtMs: Date.now(),
      direction: Direction.DIRECTION_UPLINK,
      source: `tcp:${session.remote}`,
      connectionId: session.id,
    };
  }

  private claim(session: TerminalSession): void {
    const terminal = session.terminal!;
    this.registry
      .claim(terminal, { instanceId: this.options.instanceId, grpcAddress: this.options.grpcAddress, connectionId: session.id, sinceMs: Date.now() }, this.options.registryTtlMs)
      .catch((e: unknown) => this.log.warn({ err: e, terminal }, 'registry claim failed'));
  }

  private refuse(session: TerminalSession, f: qgdw1376.QgdwFrame, reason: string, terminal: string, close = true): void {
    this.counts.refused++;
    metrics.refused.add(1, { reason });
    this.log.warn({ terminal, remote: session.remote, reason, afn: f.afn }, 'frame refused');
    if (f.seq.con || f.afn === qgdw1376.AFN.linkCheck) {
      const deny = qgdw1376.encodeDenyAll(f);
      if (deny.ok) session.write(deny.value);
    }
    if (close) session.socket.end();
  }

  /** Undecodable input: the dead-letter topic (there is no frame to deny), counted, connection kept. */
  badInput(session: TerminalSession, code: string, reason: string, bytes?: Uint8Array, byteOffset = -1): void {
    this.counts.badInput++;
    this.badByCode[code] = (this.badByCode[code] ?? 0) + 1;
    metrics.bad.add(1, { code });
    const record = buildDeadLetter({
      code,
      reason,
      byteOffset,
      service: 'comm',
      key: session.terminal ?? session.id,
      payload: bytes ?? new Uint8Array(0),
      headers: { 'connection-id': session.id, remote: session.remote, terminal: session.terminal ?? '' },
    });
    this.bus.publish(TOPICS.deadLetter, [record]).catch((e: unknown) => this.log.warn({ err: e, code }, 'dead-letter publish failed'));
  }

  private enqueue(p: Pending): void {
    const s = p.session;
    if (s.overflow.length > 0 || !this.ring.push(p)) {
      s.overflow.push(p);
      if (!this.blocked.has(s)) {
        metrics.ringFull.add(1);
        this.blocked.add(s);
        s.socket.pause();
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.ring.size >= this.options.publishBatchFrames) {
      void this.flush();
    } else if (this.ring.size > 0 && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        void this.flush();
      }, this.options.publishLingerMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    try {
      while (this.ring.size > 0) {
        const items = this.ring.take(this.options.publishBatchFrames);
        this.unblock();
        await this.publish(items);
        if (this.ring.size < this.options.publishBatchFrames && !this.stopping) break;
      }
    } finally {
      this.flushing = false;
    }
    this.schedule();
  }

  /** Publishes until the bus accepts (records are never dropped), then sends the confirmations. */
  private async publish(items: Pending[]): Promise<void> {
    const groups = new Map<string, Pending[]>();
    for (const p of items) (groups.get(p.key) ?? groups.set(p.key, []).get(p.key)!).push(p);
    const createdAtMs = Date.now();
    const records: OutboundMessage[] = [...groups].map(([key, list]) => ({
      key,
      value: recordValue(RawFrameBatch.encode({ frames: list.map((p) => p.frame), producer: this.options.instanceId, createdAtMs })),
    }));
    const span = this.tracer.startSpan('terminal frames receive', {
      kind: SpanKind.SERVER,
      attributes: { 'gs.frames': items.length, 'gs.terminals': groups.size, 'gs.first_frame_id': items[0]?.frame.frameId ?? '' },
    });
    let delay = 100;
    try {
      for (;;) {
        try {
          await context.with(trace.setSpan(context.active(), span), () => this.bus.publish(TOPICS.rawFrames, records));
          break;
        } catch (e) {
          this.log.warn({ err: e, frames: items.length, retryInMs: delay }, 'publishing raw frames failed; holding them and retrying');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5000);
        }
      }
    } finally {
      span.end();
    }
    this.counts.framesPublished += items.length;
    metrics.published.add(items.length);
    for (const p of items) if (p.confirm) p.session.write(p.confirm);
  }

  private unblock(): void {
    for (const s of this.blocked) {
      while (s.overflow.length > 0 && this.ring.free > 0) this.ring.push(s.overflow.shift()!);
      if (s.overflow.length === 0) {
        this.blocked.delete(s);
        if (!s.closed) s.socket.resume();
      }
    }
  }

  /** Publishes everything buffered (including paused connections' overflow). */
  async drain(): Promise<void> {
    while (this.ring.size > 0 || this.blocked.size > 0 || this.flushing) {
      if (this.flushing) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      this.unblock();
      await this.flush();
    }
  }
}
