import { context, SpanKind, trace } from '@opentelemetry/api';
import { registerUnavailabilityRule } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { busMetrics, consumerLag, outgoingHeaders, throwIfStalled } from './instrumentation';
import { BatchProcessor, resolveOptions, type ProcessResult, type ResolvedOptions } from './processor';
import type { TopicSpec } from './topics';
import type { InboundBatch, InboundMessage, MessageBus, OutboundMessage, SubscribeOptions, Subscription, SubscriptionStats } from './types';

export interface KafkaBusOptions {
  service: string;
  clientId: string;
  brokers: string[];
  log: Logger;
  /** Replication factor for topics created by ensureTopics (1 on a single broker). */
  replicationFactor?: number;
  /** Partitions handled concurrently by one subscription. */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * Keep fetching while earlier records are handled (default false): a fetch returns once its records
   * are admitted to the in-flight bounds, they are handled in the background, and each partition's
   * offsets are committed in order as the records below them settle. false: the next fetch waits
   * until every record of the last one settled.
   */
  pipelined?: boolean;
}

const tracer = trace.getTracer('gridstation.bus');

// kafkajs marks errors it would retry itself; the ones that end its own retries (a broker unreachable
// for longer than its retry budget) are the broker being unavailable too. A record too large or a topic
// that does not exist are not.
const KAFKA_UNAVAILABLE = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);
registerUnavailabilityRule('kafkajs', (e) => {
  const name = (e as { name?: unknown })?.name;
  if (typeof name !== 'string' || !name.startsWith('KafkaJS')) return false;
  return KAFKA_UNAVAILABLE.has(name) || (e as { retriable?: unknown }).retriable === true;
});

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const fields = { ...rest, component: 'kafkajs' };
      if (level === KafkaLogLevel.ERROR) log.error(fields, message);
      else if (level === KafkaLogLevel.WARN) log.warn(fields, message);
      else log.debug(fields, message);
    };
}

function toHeaders(h: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

/** How often a fetch waiting for in-flight room heartbeats (well inside the 10 s session timeout). */
const HEARTBEAT_WHILE_WAITING_MS = 1000;

class KafkaSubscription implements Subscription {
  readonly processor: BatchProcessor;
  private paused = false;
  private closed = false;
  private readonly assigned = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Partitions being delivered one message at a time to isolate a message that makes the handler throw. */
  private readonly narrowed = new Set<string>();
  /** When the fetch loop last asked the broker for records; kafkajs fetches continuously while running. */
  private lastFetchAt = Date.now();
  private crashed: string | undefined;
  /**
   * Per partition, the batches handed on and not yet settled, settled strictly in offset order: `tail`
   * is the settlement of the newest. A retry or isolation bumps `epoch`; the outcomes of batches handed
   * on before that are dropped (they are fetched and handled again from the retry offset).
   */
  private readonly lanes = new Map<string, { epoch: number; tail: Promise<void> }>();
  private closing = false;
  /** The group-bound commit of the latest batch payload (see eachBatch for why not consumer.commitOffsets). */
  private commit?: EachBatchPayload['commitOffsetsIfNecessary'];
  pipelined = false;

  constructor(
    private readonly consumer: Consumer,
    readonly options: ResolvedOptions,
    service: string,
    publish: (topic: string, m: OutboundMessage[]) => Promise<void>,
    private readonly log: Logger,
    private readonly onGone: (s: KafkaSubscription) => void,
  ) {
    this.processor = new BatchProcessor(options, service, publish, log, {
      onSaturated: () => {
        this.paused = true;
        consumer.pause(options.topics.map((topic) => ({ topic })));
      },
      onDrained: () => {
        this.paused = false;
        consumer.resume(options.topics.map((topic) => ({ topic })));
      },
    });
    const { GROUP_JOIN, FETCH_START, CRASH } = consumer.events;
    consumer.on(FETCH_START, () => (this.lastFetchAt = Date.now()));
    consumer.on(CRASH, (e) => {
      if (!e.payload.restart) this.crashed = `consumer crashed and will not restart: ${String(e.payload.error)}`;
    });
    consumer.on(GROUP_JOIN, (e) => {
      this.assigned.clear();
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) {
        for (const p of parts) this.assigned.add(`${topic}/${p}`);
      }
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitionsConcurrently),
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  partitionsConcurrently = 1;

  private lane(key: string): { epoch: number; tail: Promise<void> } {
    let l = this.lanes.get(key);
    if (!l) this.lanes.set(key, (l = { epoch: 0, tail: Promise.resolve() }));
    return l;
  }

  private inbound(topic: string, partition: number, chunk: readonly KafkaMessage[]): InboundMessage[] {
    return chunk.map((m) => ({
      topic,
      partition,
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? Buffer.alloc(0),
      headers: toHeaders(m.headers),
      timestamp: Number(m.timestamp),
    }));
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const all = batch.messages;
    const key = `${topic}/${partition}`;
    this.commit = payload.commitOffsetsIfNecessary;
    if (all.length > 0) consumerLag.record(this.groupId, topic, partition, BigInt(batch.highWatermark), BigInt(all[0]!.offset));
    if (!this.pipelined || this.narrowed.has(key)) {
      // Whatever was handed on before must settle first: offsets are committed in order.
      await this.lane(key).tail;
      return this.eachBatchInTurn(payload);
    }
    const lane = this.lane(key);
    for (let i = 0; i < all.length; i += this.options.maxBatchSize) {
      if (!isRunning() || isStale() || this.closing || this.processor.aborted) return;
      const chunk = all.slice(i, i + this.options.maxBatchSize);
      const inbound = { topic, partition, messages: this.inbound(topic, partition, chunk) };
      // Waits while the subscription's in-flight bounds are full: that is what bounds fetching.
      if (!(await this.admitBeating(inbound, payload.heartbeat))) return;
      const epoch = lane.epoch;
      if (!isRunning() || isStale() || this.closing || this.narrowed.has(key)) {
        this.processor.release(inbound);
        return;
      }
      const result = this.processor.process(inbound, true);
      lane.tail = lane.tail.then(() => this.settle(lane, epoch, topic, partition, BigInt(batch.highWatermark), result));
      // The next fetch of this partition starts after this chunk; nothing is committed before it settles.
      payload.resolveOffset(chunk[chunk.length - 1]!.offset);
    }
    await payload.heartbeat();
  }

  /**
   * Admission that keeps the group membership alive: kafkajs heartbeats only when asked to from inside
   * eachBatch, and room can take longer than the session timeout to free up when a store is slow. A
   * heartbeat that fails (a rebalance) ends the wait; room granted later is given back.
   */
  private async admitBeating(inbound: InboundBatch, heartbeat: () => Promise<void>): Promise<boolean> {
    const admission = this.processor.admit(inbound);
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), HEARTBEAT_WHILE_WAITING_MS)));
      const r = await Promise.race([admission, tick]);
      clearTimeout(timer);
      if (r !== 'tick') return r;
      try {
        await heartbeat();
      } catch (e) {
        void admission.then((ok) => ok && this.processor.release(inbound));
        throw e;
      }
    }
  }

  /** One handed-on batch settled, in offset order: commit, or go back to retry from where it failed. */
  private async settle(lane: { epoch: number }, epoch: number, topic: string, partition: number, highWatermark: bigint, pending: Promise<ProcessResult | undefined>): Promise<void> {
    const result = await pending;
    if (result === undefined || this.processor.aborted || lane.epoch !== epoch) return;
    const key = `${topic}/${partition}`;
    if (result.narrow) this.narrowed.add(key);
    else this.narrowed.delete(key);
    if (result.commitTo !== undefined && this.commit) {
      try {
        await this.commit({ topics: [{ topic, partitions: [{ partition, offset: result.commitTo.toString() }] }] });
        consumerLag.record(this.groupId, topic, partition, highWatermark, result.commitTo);
      } catch (e) {
        // Lost the partition in a rebalance: the new owner re-reads from the last commit (at-least-once).
        this.log.warn({ err: e, topic, partition }, 'offset commit failed');
      }
    }
    if (result.retryFrom !== undefined) {
      // Everything handed on after this batch is dropped and fetched again from the retry offset.
      lane.epoch++;
      const tp = [{ topic, partitions: [partition] }];
      this.consumer.pause(tp);
      this.consumer.seek({ topic, partition, offset: result.retryFrom.toString() });
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        if (!this.closed) this.consumer.resume(tp);
      }, result.delayMs);
      this.retryTimers.add(t);
    }
  }

  /** Without pipelining (and for a partition isolating a failure): each chunk settled before the next. */
  private async eachBatchInTurn(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    const all = batch.messages;
    const key = `${topic}/${partition}`;
    let i = 0;
    while (i < all.length) {
      if (!isRunning() || isStale() || this.processor.aborted) return;
      const take = this.narrowed.has(key) ? 1 : this.options.maxBatchSize;
      const chunk = all.slice(i, i + take);
      const messages = this.inbound(topic, partition, chunk);
      const result = await this.processor.process({ topic, partition, messages });
      if (result === undefined || this.processor.aborted) return;
      if (result.narrow) this.narrowed.add(key);
      else this.narrowed.delete(key);
      if (result.commitTo !== undefined) {
        resolveOffset((result.commitTo - 1n).toString());
        try {
          // Not consumer.commitOffsets: kafkajs silently skips that once the consumer is stopping, which
          // would lose the commit of the batch being drained on shutdown. The payload's variant commits
          // through the group directly.
          await commitOffsetsIfNecessary({
            topics: [{ topic, partitions: [{ partition, offset: result.commitTo.toString() }] }],
          });
        } catch (e) {
          // Lost the partition in a rebalance: the new owner re-reads from the last commit (at-least-once).
          this.log.warn({ err: e, topic, partition }, 'offset commit failed');
          return;
        }
        consumerLag.record(this.groupId, topic, partition, BigInt(batch.highWatermark), result.commitTo);
      }
      if (result.retryFrom !== undefined) {
        const resume = pause();
        this.consumer.seek({ topic, partition, offset: result.retryFrom.toString() });
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          if (!this.closed) resume();
        }, result.delayMs);
        this.retryTimers.add(t);
        return;
      }
      i += chunk.length;
      await heartbeat();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    // Batches handed on settle and commit while this member still belongs to the group.
    await Promise.all([...this.lanes.values()].map((l) => l.tail));
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    // kafkajs waits for the running batches to finish before leaving the group.
    await this.consumer.disconnect();
    consumerLag.forget(this.groupId);
    this.onGone(this);
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.processor.abort();
    await this.close();
  }

  stalled(): string | undefined {
    const now = Date.now();
    // A fetch loop that is paused on purpose (backpressure, a retry back-off) is not stalled; one that is
    // neither paused nor fetching is, and so is a consumer kafkajs gave up restarting.
    const silent = !this.paused && this.retryTimers.size === 0 && now - this.lastFetchAt > this.options.stallAfterMs;
    const adapter = this.crashed ?? (silent ? `no fetch for ${((now - this.lastFetchAt) / 1000).toFixed(1)} s` : undefined);
    return this.closed ? undefined : this.processor.stalled(now, adapter);
  }

  stats(): SubscriptionStats {
    return {
      ...this.processor.counters,
      inFlight: this.processor.gate.inFlight,
      pauses: this.processor.gate.pauses,
      paused: this.paused,
      assigned: [...this.assigned].map((k) => {
        const i = k.lastIndexOf('/');
        return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
      }),
    };
  }
}

/** The Kafka adapter (kafkajs): acks=all producer, manual offset commits after the handler settled. */
export class KafkaBus implements MessageBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private producerReady: Promise<void> | undefined;
  private adminReady: Promise<void> | undefined;
  private readonly subscriptions = new Set<KafkaSubscription>();

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: kafkaLogCreator(options.log),
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    this.admin = this.kafka.admin();
  }

  private connectProducer(): Promise<void> {
    this.producerReady ??= this.producer.connect().catch((e: unknown) => {
      this.producerReady = undefined;
      throw e;
    });
    return this.producerReady;
  }

  private connectAdmin(): Promise<void> {
    this.adminReady ??= this.admin.connect().catch((e: unknown) => {
      this.adminReady = undefined;
      throw e;
    });
    return this.adminReady;
  }

  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connectProducer();
    const span = tracer.startSpan(`${topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': messages.length },
    });
    const ctx = trace.setSpan(context.active(), span);
    try {
      await this.producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: outgoingHeaders(m.headers, ctx),
        })),
      });
      busMetrics.published.add(messages.length, { topic });
    } finally {
      span.end();
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const resolved = resolveOptions(options);
    const consumer = this.kafka.consumer({
      groupId: resolved.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1000,
      // Low fetch wait: the pipeline's latency budget is sub-second, and retries re-fetch immediately.
      maxWaitTimeInMs: 100,
      rebalanceTimeout: 30_000,
      retry: { retries: 8 },
    });
    const sub = new KafkaSubscription(
      consumer,
      resolved,
      this.options.service,
      (t, m) => this.publish(t, m),
      this.options.log,
      (s) => this.subscriptions.delete(s),
    );
    sub.partitionsConcurrently = this.options.partitionsConsumedConcurrently ?? 32;
    sub.pipelined = this.options.pipelined ?? false;
    await sub.start();
    this.subscriptions.add(sub);
    return sub;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.connectAdmin();
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: this.options.replicationFactor ?? 1,
        configEntries: s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }],
      })),
    });
  }

  /** Highest offset + 1 of each partition of a topic (the log end), for lag and tests. */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    await this.connectAdmin();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  async healthCheck(): Promise<void> {
    await this.connectAdmin();
    await this.admin.describeCluster();
    throwIfStalled(this.subscriptions);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.producerReady) await this.producer.disconnect();
    if (this.adminReady) await this.admin.disconnect();
    this.producerReady = undefined;
    this.adminReady = undefined;
  }
}
