import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { EdgeBatch, EdgeIngestServiceClient, type AgentMetadata, type EdgeQuantity, type EdgeStreamRequest, type EdgeStreamResponse } from '@gridstation/contracts';
import type { ZstdCodec } from './codec';
import { packRecords, type EdgeRecord } from './records';
import { Spool, SpoolFull } from './spool';
import { TokenBucket } from './token-bucket';

// The edge agent's data path: each window's records -> one batch (packed, compressed) -> the spool ->
// the station over one gRPC stream. A batch leaves the spool only when the station acknowledged it
// (durable in Kafka). After a reconnect, whatever is still in the spool is sent again in order. A
// rebalancing move (EdgeReconnect) switches the stream to the named pod: nothing new is sent on the
// old stream, its acknowledgements are awaited for a moment, and the rest is sent again on the new.

export interface AgentOptions {
  agentId: string;
  site: string;
  /** Station pods to use, first first; on failure the next is tried. */
  addresses: string[];
  quantities: EdgeQuantity[];
  /** zstd dictionary to use (0: plain zstd). */
  dictionaryId: number;
  /** Batches sent but not yet acknowledged, at most. */
  maxInFlight: number;
  /** Send rate limit, bytes/s (token bucket; 0 = none) and its burst. */
  rateBytesPerSec: number;
  burstBytes: number;
  reconnectMs: number;
  /** How long a move waits for the old stream's acknowledgements. */
  drainMs: number;
}

export interface AgentStats {
  batches: number;
  records: number;
  rawBytes: number;
  compressedBytes: number;
  acked: number;
  ackedRecords: number;
  rejected: number;
  resent: number;
  moves: number;
  reconnects: number;
  /** Windows not taken because the spool was full. */
  windowsDropped: number;
  connectedTo: string;
}

interface Sent {
  at: number;
  records: number;
}

export class EdgeAgent {
  readonly stats: AgentStats = { batches: 0, records: 0, rawBytes: 0, compressedBytes: 0, acked: 0, ackedRecords: 0, rejected: 0, resent: 0, moves: 0, reconnects: 0, windowsDropped: 0, connectedTo: '' };
  private seq: number;
  private stream?: ClientDuplexStream<EdgeStreamRequest, EdgeStreamResponse>;
  private client?: EdgeIngestServiceClient;
  private address: string;
  private nextAddress = 0;
  private ready = false;
  private readonly inFlight = new Map<number, Sent>();
  /** Batches made and spooled but not sent on the current stream yet, in order. */
  private queue: number[] = [];
  /** The send rate limit (bytes), when there is one. */
  private readonly bucket?: TokenBucket;
  private stopped = false;
  private pumping = false;
  private timer?: NodeJS.Timeout;
  private lastAckRtt = 0;
  private sentBytesWindow: Array<{ at: number; bytes: number }> = [];
  private recordsWindow: Array<{ at: number; n: number }> = [];
  /** Called when a batch is acknowledged (latency measurements). */
  onAck?: (seq: number, records: number, sentAtMs: number, windowStartMs: number) => void;
  private readonly windowStart = new Map<number, number>();

  constructor(
    readonly o: AgentOptions,
    private readonly codec: ZstdCodec,
    private readonly spool: Spool,
    private readonly meters: number,
  ) {
    this.seq = spool.lastSeq;
    this.address = o.addresses[0]!;
    if (o.rateBytesPerSec > 0) this.bucket = new TokenBucket(o.rateBytesPerSec, o.burstBytes, Date.now);
    this.queue = spool.seqs();
  }

  /** Connects and sends what the spool holds from a previous run. */
  start(): void {
    this.connect();
  }

  /** One window's records: packed, compressed, spooled, queued for sending. */
  async submit(records: readonly EdgeRecord[], windowStartMs: number): Promise<void> {
    if (records.length === 0) return;
    const raw = packRecords(records, this.o.quantities);
    const c = this.codec.compress(raw, this.o.dictionaryId);
    const seq = this.seq + 1;
    const batch = EdgeBatch.fromPartial({ seq, codec: c.codec, dictionaryId: c.dictionaryId, payload: Buffer.from(c.payload.buffer, c.payload.byteOffset, c.payload.byteLength), records: records.length, rawBytes: raw.length, windowStartMs, createdAtMs: Date.now(), metadata: this.metadata() });
    try {
      await this.spool.put(batch);
    } catch (e) {
      if (e instanceof SpoolFull) {
        this.stats.windowsDropped++;
        return;
      }
      throw e;
    }
    this.seq = seq;
    this.stats.batches++;
    this.stats.records += records.length;
    this.stats.rawBytes += raw.length;
    this.stats.compressedBytes += c.payload.length;
    this.recordsWindow.push({ at: Date.now(), n: records.length });
    this.windowStart.set(seq, windowStartMs);
    this.queue.push(seq);
    void this.pump();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get unacked(): number {
    return this.spool.count;
  }

  get spooledBytes(): number {
    return this.spool.bytes;
  }

  metadata(): AgentMetadata {
    const now = Date.now();
    this.sentBytesWindow = this.sentBytesWindow.filter((x) => now - x.at < 10_000);
    this.recordsWindow = this.recordsWindow.filter((x) => now - x.at < 10_000);
    const cpu = process.cpuUsage();
    return {
      cpu: (cpu.user + cpu.system) / 1e6 / Math.max(1, process.uptime()),
      memoryBytes: process.memoryUsage().rss,
      egressBytesPerSecond: this.sentBytesWindow.reduce((s, x) => s + x.bytes, 0) / 10,
      ackRttMs: this.lastAckRtt,
      unackedBatches: this.spool.count,
      spooledBytes: this.spool.bytes,
      recordsPerSecond: this.recordsWindow.reduce((s, x) => s + x.n, 0) / 10,
      meters: this.meters,
    };
  }

  /** Stops sending; what is not acknowledged stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.end();
    this.stream?.cancel();
    this.client?.close();
  }

  private connect(): void {
    if (this.stopped) return;
    this.client?.close();
    // Pings find a pod that vanished without closing the connection (a cut link): then the stream
    // breaks and the agent reconnects, sending what was not acknowledged again.
    this.client = new EdgeIngestServiceClient(this.address, credentials.createInsecure(), { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1 });
    const stream = this.client.edgeStream();
    this.stream = stream;
    this.ready = false;
    stream.on('data', (m: EdgeStreamResponse) => void this.onMessage(stream, m));
    const lost = () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.ready = false;
      if (this.stopped) return;
      // Everything sent on the lost stream is sent again on the next.
      this.requeueInFlight();
      this.nextAddress = (this.nextAddress + 1) % this.o.addresses.length;
      this.address = this.o.addresses[this.nextAddress]!;
      this.stats.reconnects++;
      this.timer = setTimeout(() => this.connect(), this.o.reconnectMs);
    };
    stream.on('error', lost);
    stream.on('end', lost);
    stream.write({ message: { $case: 'hello', hello: { agentId: this.o.agentId, site: this.o.site, metadata: this.metadata() } } });
  }

  private requeueInFlight(): void {
    const again = [...this.inFlight.keys()];
    this.inFlight.clear();
    this.stats.resent += again.length;
    this.queue = [...new Set([...again, ...this.queue])].sort((a, b) => a - b);
  }

  private async onMessage(stream: ClientDuplexStream<EdgeStreamRequest, EdgeStreamResponse>, m: EdgeStreamResponse): Promise<void> {
    const c = m.message;
    if (!c) return;
    if (c.$case === 'welcome') {
      this.stats.connectedTo = c.welcome.pod;
      this.ready = true;
      void this.pump();
    } else if (c.$case === 'ack' || c.$case === 'rejected') {
      const seq = Number(c.$case === 'ack' ? c.ack.seq : c.rejected.seq);
      const sent = this.inFlight.get(seq);
      this.inFlight.delete(seq);
      this.queue = this.queue.filter((s) => s !== seq);
      await this.spool.remove(seq);
      if (c.$case === 'ack') {
        this.stats.acked++;
        if (sent) {
          this.stats.ackedRecords += sent.records;
          this.lastAckRtt = Date.now() - sent.at;
          this.onAck?.(seq, sent.records, sent.at, this.windowStart.get(seq) ?? sent.at);
        }
      } else this.stats.rejected++;
      this.windowStart.delete(seq);
      void this.pump();
    } else if (c.$case === 'reconnect') {
      await this.move(stream, c.reconnect.address);
    }
  }

  /** A rebalancing move: stop sending here, wait for this stream's acknowledgements, then switch. */
  private async move(stream: ClientDuplexStream<EdgeStreamRequest, EdgeStreamResponse>, address: string): Promise<void> {
    if (this.stream !== stream || !address) return;
    this.ready = false;
    this.stats.moves++;
    const until = Date.now() + this.o.drainMs;
    while (this.inFlight.size > 0 && Date.now() < until && this.stream === stream) await new Promise((r) => setTimeout(r, 10));
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.requeueInFlight();
    stream.end();
    this.address = address;
    const known = this.o.addresses.indexOf(address);
    if (known >= 0) this.nextAddress = known;
    this.connect();
  }

  /** Sends queued batches while the window of unacknowledged ones and the token bucket allow. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ready && this.stream && this.queue.length > 0 && this.inFlight.size < this.o.maxInFlight) {
        const seq = this.queue[0]!;
        const batch = await this.spool.read(seq).catch(() => undefined);
        if (!batch) {
          this.queue.shift(); // acknowledged meanwhile
          continue;
        }
        const wait = this.bucket?.take(batch.payload.length) ?? 0;
        if (wait > 0) {
          setTimeout(() => void this.pump(), wait).unref();
          return;
        }
        if (!this.ready || !this.stream) return;
        this.queue.shift();
        this.inFlight.set(seq, { at: Date.now(), records: batch.records });
        this.sentBytesWindow.push({ at: Date.now(), bytes: batch.payload.length });
        this.stream.write({ message: { $case: 'batch', batch } });
      }
    } finally {
      this.pumping = false;
    }
  }
}
