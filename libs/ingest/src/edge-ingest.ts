import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { EdgeBatch, ReadingBatch, type AgentMetadata, type EdgeStreamRequest, type EdgeStreamResponse, type GetLoadResponse, type Reading } from '@gridstation/contracts';
import { buildDeadLetter, groupBy, recordValue, TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { EdgeBatchError, unpackRecords, type ZstdCodec } from '@gridstation/edge';
import { classifyError } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { commMetrics } from './metrics';
import { RingBuffer } from './ring-buffer';

// The station side of the edge agents' streams. Stateless: any pod accepts any agent, and all a pod
// knows of an agent is its open stream. Each batch goes into the ring between the streams and Kafka;
// the publisher drains it, decompresses and unpacks each batch into readings (the agent read its
// meters itself, so the batch is already values: it goes to gs.readings.v1, the readings contract,
// not to the raw-frame topic the parser reads) and acknowledges a batch to its agent only once Kafka
// has it. A batch that can never be read goes to the dead-letter topic and is rejected (the agent
// drops it); a Kafka that is away is waited for, holding the ring (the streams are paused when it is
// full). Rebalancing moves are a message on the agent's stream (EdgeReconnect).

export interface EdgeIngestOptions {
  /** This pod's id and the gRPC address agents reach it at. */
  pod: string;
  address: string;
  /** Batches held between the streams and Kafka. */
  ringBatches: number;
  /** Batches per Kafka publish. */
  publishBatches: number;
  /** Largest decompressed batch accepted. */
  maxBatchBytes: number;
}

interface Session {
  agentId: string;
  site: string;
  call: ServerDuplexStream<EdgeStreamRequest, EdgeStreamResponse>;
  connectedAtMs: number;
  metadata?: AgentMetadata;
  /** Records accepted per period, for the load report. */
  recordsThisPeriod: number;
  rate: number;
  paused: boolean;
  closed: boolean;
}

interface Pending {
  session: Session;
  batch: EdgeBatch;
  receivedAtMs: number;
}

const PERIOD_MS = 5_000;

export class EdgeIngest {
  private readonly sessions = new Map<string, Session>();
  private readonly ring: RingBuffer<Pending>;
  private draining = false;
  private stopping = false;
  private timer?: NodeJS.Timeout;
  private recordsThisPeriod = 0;
  private rate = 0;
  private cpu = 0;
  private lastCpu = process.cpuUsage();
  private lastPeriodAt = Date.now();
  /** The window the current rates cover (none before the first period ends). */
  private window = { from: 0, to: 0 };
  readonly stats = { batches: 0, records: 0, readings: 0, rejected: 0 };

  constructor(
    readonly options: EdgeIngestOptions,
    private readonly codec: ZstdCodec,
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {
    this.ring = new RingBuffer(options.ringBatches);
  }

  private readonly gauge = (r: { observe(v: number): void }) => r.observe(this.ring.size + this.waitingForRoom.length);

  start(): void {
    this.timer = setInterval(() => this.period(), PERIOD_MS);
    this.timer.unref();
    commMetrics.edgeQueue.addCallback(this.gauge);
  }

  /** Stops taking batches and publishes what the ring holds. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    commMetrics.edgeQueue.removeCallback(this.gauge);
    for (const s of this.sessions.values()) s.call.pause();
    while (this.ring.size > 0 || this.draining) {
      if (!this.draining) void this.drain();
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const s of [...this.sessions.values()]) this.close(s, status.UNAVAILABLE, 'the station pod is stopping');
  }

  get queueLength(): number {
    return this.ring.size + this.waitingForRoom.length;
  }

  get agents(): number {
    return this.sessions.size;
  }

  /** One agent's stream (EdgeIngestService.EdgeStream). */
  handle(call: ServerDuplexStream<EdgeStreamRequest, EdgeStreamResponse>): void {
    let session: Session | undefined;
    call.on('data', (m: EdgeStreamRequest) => {
      const c = m.message;
      if (c?.$case === 'hello') {
        if (session || !c.hello.agentId) return this.refuse(call, status.INVALID_ARGUMENT, session ? 'hello sent twice' : 'hello without agent_id');
        if (this.stopping) return this.refuse(call, status.UNAVAILABLE, 'the station pod is stopping');
        session = { agentId: c.hello.agentId, site: c.hello.site, call, connectedAtMs: Date.now(), recordsThisPeriod: 0, rate: 0, paused: false, closed: false, ...(c.hello.metadata ? { metadata: c.hello.metadata } : {}) };
        // An agent that reconnects replaces its older stream here.
        const older = this.sessions.get(session.agentId);
        if (older) this.close(older, status.ABORTED, 'the agent opened a newer stream');
        this.sessions.set(session.agentId, session);
        commMetrics.edgeAgents.add(1);
        call.write({ message: { $case: 'welcome', welcome: { pod: this.options.pod, dictionaryIds: this.codec.dictionaryIds } } });
      } else if (c?.$case === 'batch') {
        if (!session) return this.refuse(call, status.FAILED_PRECONDITION, 'the first message of an EdgeStream must be a hello');
        if (c.batch.metadata) session.metadata = c.batch.metadata;
        this.enqueue({ session, batch: c.batch, receivedAtMs: Date.now() });
      }
    });
    const end = () => {
      if (!session || session.closed) return;
      session.closed = true;
      if (this.sessions.get(session.agentId) === session) {
        this.sessions.delete(session.agentId);
        commMetrics.edgeAgents.add(-1);
      }
    };
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('error', end);
    call.on('cancelled', end);
  }

  /** The load the rebalancer reads. */
  load(): GetLoadResponse {
    return {
      pod: this.options.pod,
      address: this.options.address,
      recordsPerSecond: this.rate,
      queueLength: this.queueLength,
      cpu: this.cpu,
      atMs: Date.now(),
      measuredFromMs: this.window.from,
      measuredToMs: this.window.to,
      agents: [...this.sessions.values()].map((s) => ({ agentId: s.agentId, site: s.site, recordsPerSecond: s.rate, connectedAtMs: s.connectedAtMs, metadata: s.metadata })),
    };
  }

  /** Tells these agents to reconnect to `target`; returns those this pod holds. */
  move(agentIds: readonly string[], target: string, reason: string, decisionId: string): string[] {
    const moved: string[] = [];
    for (const id of agentIds) {
      const s = this.sessions.get(id);
      if (!s || s.closed) continue;
      s.call.write({ message: { $case: 'reconnect', reconnect: { address: target, reason, decisionId } } });
      moved.push(id);
    }
    if (moved.length) {
      commMetrics.edgeMoves.add(moved.length);
      this.log.info({ agents: moved.length, target, decision: decisionId }, 'agents told to move');
    }
    return moved;
  }

  private period(): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.lastPeriodAt) / 1000);
    this.rate = this.recordsThisPeriod / secs;
    this.recordsThisPeriod = 0;
    for (const s of this.sessions.values()) {
      s.rate = s.recordsThisPeriod / secs;
      s.recordsThisPeriod = 0;
    }
    const cpu = process.cpuUsage(this.lastCpu);
    this.cpu = (cpu.user + cpu.system) / 1e6 / secs;
    this.lastCpu = process.cpuUsage();
    this.window = { from: this.lastPeriodAt, to: now };
    this.lastPeriodAt = now;
  }

  private refuse(call: ServerDuplexStream<EdgeStreamRequest, EdgeStreamResponse>, code: status, details: string): void {
    call.emit('error', { code, details });
  }

  private close(s: Session, code: status, details: string): void {
    if (s.closed) return;
    s.closed = true;
    if (this.sessions.get(s.agentId) === s) {
      this.sessions.delete(s.agentId);
      commMetrics.edgeAgents.add(-1);
    }
    s.call.emit('error', { code, details });
  }

  private enqueue(p: Pending): void {
    if (!this.ring.push(p)) {
      // Full: the batch waits (in order) for room and every stream is paused until the ring has it;
      // HTTP/2 flow control and TCP backpressure hold the agents meanwhile.
      commMetrics.ringFull.add(1);
      p.session.call.pause();
      p.session.paused = true;
      this.pauseAll();
      this.waitingForRoom.push(p);
    }
    void this.drain();
  }

  private readonly waitingForRoom: Pending[] = [];

  private pauseAll(): void {
    for (const s of this.sessions.values()) {
      if (!s.paused) {
        s.call.pause();
        s.paused = true;
      }
    }
  }

  private resumeAll(): void {
    while (this.waitingForRoom.length && this.ring.free > 0) this.ring.push(this.waitingForRoom.shift()!);
    if (this.waitingForRoom.length || this.stopping) return;
    for (const s of this.sessions.values()) {
      if (s.paused && !s.closed) {
        s.call.resume();
        s.paused = false;
      }
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.ring.size > 0) {
        const items = this.ring.take(this.options.publishBatches);
        await this.publish(items);
        this.resumeAll();
      }
    } finally {
      this.draining = false;
    }
  }

  /** Decodes each batch; publishes the readable ones together, then acknowledges each in order. */
  private async publish(items: Pending[]): Promise<void> {
    const good: Array<{ p: Pending; readings: Reading[] }> = [];
    for (const p of items) {
      try {
        good.push({ p, readings: this.readingsOf(p) });
      } catch (e) {
        await this.reject(p, e);
      }
    }
    if (good.length === 0) return;
    const createdAtMs = Date.now();
    const records: OutboundMessage[] = [];
    for (const [meterId, list] of groupBy(
      good.flatMap((g) => g.readings),
      (r) => r.meterId,
    ))
      records.push({ key: meterId, value: recordValue(ReadingBatch.encode({ readings: list, producer: this.options.pod, createdAtMs, frames: [] })) });
    let delay = 100;
    for (;;) {
      try {
        await this.bus.publish(TOPICS.readings, records);
        break;
      } catch (e) {
        const c = classifyError(e);
        if (!c.retriable) {
          for (const g of good) await this.reject(g.p, e);
          return;
        }
        this.log.warn({ err: e, batches: good.length, retryInMs: delay }, 'publishing edge readings failed; holding them and retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    for (const g of good) {
      const s = g.p.session;
      s.recordsThisPeriod += g.p.batch.records;
      this.recordsThisPeriod += g.p.batch.records;
      this.stats.batches++;
      this.stats.records += g.p.batch.records;
      this.stats.readings += g.readings.length;
      commMetrics.edgeBatches.add(1, { outcome: 'acked' });
      commMetrics.edgeRecords.add(g.p.batch.records);
      if (!s.closed) s.call.write({ message: { $case: 'ack', ack: { seq: g.p.batch.seq } } });
    }
  }

  private readingsOf(p: Pending): Reading[] {
    const b = p.batch;
    if (b.rawBytes > this.options.maxBatchBytes) throw new EdgeBatchError('EDGE_PAYLOAD_TOO_LARGE', `batch of ${b.rawBytes} bytes, at most ${this.options.maxBatchBytes}`);
    const raw = this.codec.decompress({ codec: b.codec, dictionaryId: b.dictionaryId, payload: b.payload }, this.options.maxBatchBytes);
    const { quantities, records } = unpackRecords(raw);
    if (records.length !== b.records) throw new EdgeBatchError('EDGE_BATCH_COUNT_MISMATCH', `the batch says ${b.records} records and holds ${records.length}`);
    const frameId = `edge:${p.session.agentId}:${b.seq}`;
    const out: Reading[] = [];
    records.forEach((r, index) => {
      r.values.forEach((v, k) => {
        if (v === undefined) return;
        const q = quantities[k]!;
        out.push({ meterId: r.meterId, terminalAddress: p.session.agentId, measurementPoint: 0, quantity: q.quantity, tariff: 0, unit: q.unit, value: v, dataTimeMs: r.timestampMs, receivedAtMs: p.receivedAtMs, quality: 0, source: { frameId, topic: '', partition: 0, offset: 0, indexInBatch: index } });
      });
    });
    return out;
  }

  private async reject(p: Pending, e: unknown): Promise<void> {
    const code = e instanceof EdgeBatchError ? e.code : classifyError(e).code;
    const reason = e instanceof Error ? e.message : String(e);
    this.stats.rejected++;
    commMetrics.edgeBatches.add(1, { outcome: 'rejected' });
    this.log.warn({ agent: p.session.agentId, seq: Number(p.batch.seq), code, reason }, 'edge batch rejected; dead-lettered');
    const dead = buildDeadLetter({ code, reason, service: 'comm', key: p.session.agentId, payload: EdgeBatch.encode(p.batch).finish(), frameId: `edge:${p.session.agentId}:${p.batch.seq}`, headers: { agent: p.session.agentId } });
    await this.bus.publish(TOPICS.deadLetter, [dead]).catch((err: unknown) => this.log.warn({ err }, 'dead-letter publish failed'));
    if (!p.session.closed) p.session.call.write({ message: { $case: 'rejected', rejected: { seq: p.batch.seq, code, reason } } });
  }
}
