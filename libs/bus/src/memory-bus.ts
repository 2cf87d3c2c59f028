import { DependencyUnavailableError } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { partitionKey, type DurableLog, type LogRecord } from './durable-log';
import { busMetrics, consumerLag, outgoingHeaders, throwIfStalled } from './instrumentation';
import { BatchProcessor, resolveOptions, type ResolvedOptions } from './processor';
import type { TopicSpec } from './topics';
import type { InboundMessage, MessageBus, OutboundMessage, SubscribeOptions, Subscription, SubscriptionStats } from './types';

// The in-process adapter of the embedded mode: the same contract as Kafka (partitions, per-key order,
// consumer groups with committed offsets, rebalancing, redelivery after a failed or crashed consumer),
// held in memory. Retention is bounded: once every group has committed past a record it is dropped, and
// a publisher waits while a partition holds `maxRetained` uncommitted records (backpressure, not growth).
// With a DurableLog, the topics named durable are written ahead to disk: publish resolves (and a record
// becomes visible to consumers) only once it is on disk, committed offsets are kept there too, and
// start() replays what a crash left, so an acknowledgement means the same as Kafka's.

interface StoredRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

class PartitionLog {
  private records: Array<StoredRecord | undefined> = [];
  private head = 0; // index of the first live record in `records`
  base = 0n; // offset of records[head]
  /** Bytes of the live records' values. */
  bytes = 0;
  private waiters: Array<() => void> = [];
  private spaceWaiters: Array<() => void> = [];

  get end(): bigint {
    return this.base + BigInt(this.records.length - this.head);
  }

  get size(): number {
    return this.records.length - this.head;
  }

  /** Starts an empty log at `offset` (the next offset to assign), as recovered from disk. */
  resetTo(offset: bigint): void {
    this.records = [];
    this.head = 0;
    this.base = offset;
    this.bytes = 0;
  }

  /** Whether a publisher must wait before adding to this partition. */
  full(maxRecords: number, maxBytes: number): boolean {
    return this.size >= maxRecords || (this.size > 0 && this.bytes >= maxBytes);
  }

  append(r: StoredRecord): void {
    this.records.push(r);
    this.bytes += r.value.length;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Up to `max` records (and about `maxBytes` of values, at least one record) from `from` on. */
  read(from: bigint, max: number, maxBytes = Number.POSITIVE_INFINITY): Array<{ offset: bigint; record: StoredRecord }> {
    const out: Array<{ offset: bigint; record: StoredRecord }> = [];
    const start = this.head + Number(from - this.base);
    let bytes = 0;
    for (let i = start; i < this.records.length && out.length < max && (out.length === 0 || bytes < maxBytes); i++) {
      out.push({ offset: this.base + BigInt(i - this.head), record: this.records[i]! });
      bytes += this.records[i]!.value.length;
    }
    return out;
  }

  trimBefore(offset: bigint): void {
    if (offset <= this.base) return;
    const drop = Number((offset < this.end ? offset : this.end) - this.base);
    for (let i = this.head; i < this.head + drop; i++) {
      this.bytes -= this.records[i]!.value.length;
      // Released now: a dropped record must not stay reachable until the array is compacted (4096 of
      // them per partition, a few MB each, held hundreds of MB in a loaded station).
      this.records[i] = undefined;
    }
    this.head += drop;
    this.base += BigInt(drop);
    // Compact occasionally so the array itself does not grow.
    if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    const w = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const fn of w) fn();
  }

  waitForAppend(stop: Promise<void>): Promise<void> {
    return Promise.race([new Promise<void>((r) => this.waiters.push(r)), stop]);
  }

  waitForSpace(): Promise<void> {
    return new Promise<void>((r) => this.spaceWaiters.push(r));
  }
}

class MemoryTopic {
  readonly partitions: PartitionLog[];
  private rr = 0;

  constructor(
    readonly name: string,
    count: number,
  ) {
    this.partitions = Array.from({ length: count }, () => new PartitionLog());
  }

  partitionFor(key: Buffer | null): number {
    if (key === null) return this.rr++ % this.partitions.length;
    // FNV-1a: stable, cheap, and spreads terminal/meter ids evenly.
    let h = 0x811c9dc5;
    for (const b of key) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % this.partitions.length;
  }
}

interface PartitionRef {
  topic: MemoryTopic;
  partition: number;
  log: PartitionLog;
}

class MemoryGroup {
  readonly members: MemorySubscription[] = [];
  readonly committed = new Map<string, bigint>();
  private rebalancing: Promise<void> = Promise.resolve();

  constructor(readonly id: string) {}

  /** Serialised so that joins and leaves arriving together produce one consistent assignment each. */
  rebalance(bus: MemoryBus): Promise<void> {
    this.rebalancing = this.rebalancing.then(async () => {
      await Promise.all(this.members.map((m) => m.revokeAll()));
      const live = this.members.filter((m) => !m.isGone);
      if (live.length === 0) return;
      const topics = [...new Set(live.flatMap((m) => m.options.topics))].sort();
      const parts: PartitionRef[] = [];
      for (const name of topics) {
        const t = bus.topic(name);
        t.partitions.forEach((log, partition) => parts.push({ topic: t, partition, log }));
      }
      parts.forEach((p, i) => live[i % live.length]!.assign(p));
    });
    return this.rebalancing;
  }
}

/** What a partition nobody reads keeps (the newest records). */
const UNREAD_RECORDS = 1000;
const UNREAD_BYTES = 1024 * 1024;

const sleep = (ms: number, stop: Promise<void>) =>
  Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), stop]);

class MemorySubscription implements Subscription {
  readonly processor: BatchProcessor;
  private readonly loops = new Map<string, { stop: () => void; done: Promise<void>; ref: PartitionRef }>();
  private gone = false;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];

  constructor(
    private readonly bus: MemoryBus,
    private readonly group: MemoryGroup,
    readonly options: ResolvedOptions,
    service: string,
    log: Logger,
  ) {
    this.processor = new BatchProcessor(options, service, (t, m) => bus.publish(t, m), log, {
      onSaturated: () => (this.paused = true),
      onDrained: () => {
        this.paused = false;
        const w = this.resumeWaiters;
        this.resumeWaiters = [];
        for (const fn of w) fn();
      },
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get isGone(): boolean {
    return this.gone;
  }

  assign(ref: PartitionRef): void {
    let stopFn!: () => void;
    const stopped = new Promise<void>((r) => (stopFn = r));
    let stopping = false;
    const done = this.run(ref, stopped, () => stopping);
    this.loops.set(`${ref.topic.name}/${ref.partition}`, {
      stop: () => {
        stopping = true;
        stopFn();
      },
      done,
      ref,
    });
  }

  async revokeAll(): Promise<void> {
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const l of loops) l.stop();
    await Promise.all(loops.map((l) => l.done));
  }

  private async run(ref: PartitionRef, stopped: Promise<void>, isStopping: () => boolean): Promise<void> {
    const key = `${ref.topic.name}/${ref.partition}`;
    const { log } = ref;
    let position = this.group.committed.get(key) ?? (this.options.fromBeginning ? log.base : log.end);
    let narrow = false;
    while (!isStopping() && !this.processor.aborted) {
      if (this.paused) {
        await Promise.race([new Promise<void>((r) => this.resumeWaiters.push(r)), stopped]);
        continue;
      }
      if (position < log.base) position = log.base;
      if (position >= log.end) {
        consumerLag.record(this.groupId, ref.topic.name, ref.partition, log.end, this.group.committed.get(key) ?? log.base);
        await log.waitForAppend(stopped);
        continue;
      }
      consumerLag.record(this.groupId, ref.topic.name, ref.partition, log.end, this.group.committed.get(key) ?? log.base);
      // Batches of at most a quarter of the byte bound, so that several partitions are worked on at once.
      const records = log.read(position, narrow ? 1 : this.options.maxBatchSize, this.options.maxInFlightBytes / 4);
      const messages: InboundMessage[] = records.map(({ offset, record }) => ({
        topic: ref.topic.name,
        partition: ref.partition,
        offset: offset.toString(),
        key: record.key,
        value: record.value,
        headers: record.headers,
        timestamp: record.timestamp,
      }));
      const result = await this.processor.process({ topic: ref.topic.name, partition: ref.partition, messages });
      if (result === undefined || this.processor.aborted) return;
      narrow = result.narrow;
      if (result.commitTo !== undefined) {
        position = result.commitTo;
        this.bus.committed(this.group, ref.topic, ref.partition, result.commitTo);
      }
      consumerLag.record(this.groupId, ref.topic.name, ref.partition, log.end, this.group.committed.get(key) ?? log.base);
      if (result.retryFrom !== undefined) {
        position = result.retryFrom;
        await sleep(result.delayMs, stopped);
      }
    }
  }

  async close(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    await this.bus.leave(this);
  }

  async abort(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    this.processor.abort();
    await this.bus.leave(this);
  }

  stalled(): string | undefined {
    return this.gone ? undefined : this.processor.stalled(Date.now());
  }

  stats(): SubscriptionStats {
    const c = this.processor.counters;
    return {
      ...c,
      inFlight: this.processor.gate.inFlight,
      pauses: this.processor.gate.pauses,
      paused: this.paused,
      assigned: [...this.loops.values()].map((l) => ({ topic: l.ref.topic.name, partition: l.ref.partition })),
    };
  }
}

export interface MemoryBusOptions {
  service: string;
  log: Logger;
  /** Partitions of a topic published to before ensureTopics named it. */
  defaultPartitions?: number;
  /** Uncommitted records a partition may hold before publishers wait. */
  maxRetained?: number;
  /** Bytes of uncommitted records a partition may hold before publishers wait (default 8 MiB). */
  maxRetainedBytes?: number;
  /** Write-ahead log for `durableTopics` (see the note at the top). */
  durable?: { log: DurableLog; topics: readonly string[] };
}

export class MemoryBus implements MessageBus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, MemoryGroup>();
  private readonly durableTopics: ReadonlySet<string>;
  /** Offsets assigned to durable records not yet on disk, per "topic/partition" (the next one to assign). */
  private readonly assigned = new Map<string, bigint>();
  private closed = false;

  constructor(private readonly options: MemoryBusOptions) {
    this.durableTopics = new Set(options.durable?.topics ?? []);
  }

  /**
   * With a durable log: replays what it holds (records not yet committed by every group, and the groups'
   * committed offsets), so consumers resume where they were, before anything new is published.
   */
  async recover(specs: readonly TopicSpec[]): Promise<{ records: number }> {
    await this.ensureTopics(specs);
    const d = this.options.durable;
    if (!d) return { records: 0 };
    const { records, offsets } = d.log.open();
    for (const [k, next] of Object.entries(offsets.next)) {
      const i = k.lastIndexOf('/');
      const t = this.topic(k.slice(0, i));
      t.partitions[Number(k.slice(i + 1))]?.resetTo(BigInt(next));
    }
    const first = new Map<string, bigint>();
    for (const r of records) {
      const k = partitionKey(r.topic, r.partition);
      if (!first.has(k)) first.set(k, r.offset);
    }
    for (const [k, offset] of first) {
      const i = k.lastIndexOf('/');
      this.topic(k.slice(0, i)).partitions[Number(k.slice(i + 1))]?.resetTo(offset);
    }
    for (const r of records) {
      const log = this.topic(r.topic).partitions[r.partition];
      if (log && r.offset === log.end) log.append({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
    }
    for (const [groupId, byPartition] of Object.entries(offsets.committed)) {
      const g = this.group(groupId);
      for (const [k, offset] of Object.entries(byPartition)) g.committed.set(k, BigInt(offset));
    }
    return { records: records.length };
  }

  private group(id: string): MemoryGroup {
    let group = this.groups.get(id);
    if (!group) {
      group = new MemoryGroup(id);
      this.groups.set(id, group);
    }
    return group;
  }

  /** A group committed: recorded in the durable log too, for topics it keeps. */
  committed(group: MemoryGroup, topic: MemoryTopic, partition: number, offset: bigint): void {
    group.committed.set(`${topic.name}/${partition}`, offset);
    if (this.durableTopics.has(topic.name)) this.options.durable!.log.commit(group.id, topic.name, partition, offset);
    this.trim(topic, partition);
  }

  topic(name: string): MemoryTopic {
    let t = this.topics.get(name);
    if (!t) {
      t = new MemoryTopic(name, this.options.defaultPartitions ?? 3);
      this.topics.set(name, t);
    }
    return t;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const s of specs) if (!this.topics.has(s.name)) this.topics.set(s.name, new MemoryTopic(s.name, s.partitions));
  }

  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (this.closed) throw new DependencyUnavailableError('bus', 'the in-process bus is closed');
    if (this.durableTopics.has(topic)) return this.publishDurable(topic, messages);
    const t = this.topic(topic);
    const [max, maxBytes] = this.limits();
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const p = t.partitionFor(key);
      const log = t.partitions[p]!;
      const consumed = this.consumedBy(topic);
      while (consumed && log.full(max, maxBytes)) await log.waitForSpace();
      // Nobody reads this topic (yet): keep only the newest few, for a subscriber that joins from the start.
      while (!consumed && log.full(UNREAD_RECORDS, UNREAD_BYTES)) log.trimBefore(log.base + 1n);
      log.append({ key, value: m.value, headers: outgoingHeaders(m.headers), timestamp: Date.now() });
    }
    busMetrics.published.add(messages.length, { topic });
  }

  private limits(): [records: number, bytes: number] {
    return [this.options.maxRetained ?? 100_000, this.options.maxRetainedBytes ?? 8 * 1024 * 1024];
  }

  /** Assigns offsets, waits until the records are on disk, then makes them visible in offset order. */
  private async publishDurable(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    const t = this.topic(topic);
    const [max, maxBytes] = this.limits();
    const records: LogRecord[] = [];
    const now = Date.now();
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const partition = t.partitionFor(key);
      const log = t.partitions[partition]!;
      while (log.full(max, maxBytes)) await log.waitForSpace();
      const k = partitionKey(topic, partition);
      const offset = this.assigned.get(k) ?? log.end;
      this.assigned.set(k, offset + 1n);
      records.push({ topic, partition, offset, key, value: m.value, headers: outgoingHeaders(m.headers), timestamp: now });
    }
    await this.options.durable!.log.append(records);
    for (const r of records) {
      const log = t.partitions[r.partition]!;
      log.append({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
      const k = partitionKey(topic, r.partition);
      if (this.assigned.get(k) === log.end) this.assigned.delete(k);
    }
    busMetrics.published.add(messages.length, { topic });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    const resolved = resolveOptions(options);
    const group = this.group(options.groupId);
    for (const t of options.topics) this.topic(t);
    const sub = new MemorySubscription(this, group, resolved, this.options.service, this.options.log);
    group.members.push(sub);
    await group.rebalance(this);
    return sub;
  }

  async leave(sub: MemorySubscription): Promise<void> {
    const group = this.groups.get(sub.groupId);
    if (!group) return;
    const i = group.members.indexOf(sub);
    if (i >= 0) group.members.splice(i, 1);
    await sub.revokeAll();
    await group.rebalance(this);
    if (group.members.length === 0) consumerLag.forget(group.id);
  }

  /** Drops records that every group reading the topic has committed (from memory, and from the log's old segments). */
  trim(topic: MemoryTopic, partition: number): void {
    let min: bigint | undefined;
    for (const g of this.groups.values()) {
      if (!g.members.some((m) => m.options.topics.includes(topic.name))) continue;
      const c = g.committed.get(`${topic.name}/${partition}`) ?? 0n;
      if (min === undefined || c < min) min = c;
    }
    if (min !== undefined) topic.partitions[partition]!.trimBefore(min);
    if (this.durableTopics.has(topic.name)) this.options.durable!.log.trim((k) => this.lowWater(k));
  }

  /** The lowest offset any group that ever committed on this partition still needs (undefined: none did). */
  private lowWater(k: string): bigint | undefined {
    let min: bigint | undefined;
    for (const g of this.groups.values()) {
      const c = g.committed.get(k);
      if (c !== undefined && (min === undefined || c < min)) min = c;
    }
    return min;
  }

  private consumedBy(topic: string): boolean {
    for (const g of this.groups.values()) if (g.members.some((m) => m.options.topics.includes(topic))) return true;
    return false;
  }

  async healthCheck(): Promise<void> {
    if (this.closed) throw new Error('in-process bus is closed');
    this.options.durable?.log.healthCheck();
    throwIfStalled([...this.groups.values()].flatMap((g) => g.members));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const g of this.groups.values()) for (const m of [...g.members]) await m.close();
    this.closed = true;
    await this.options.durable?.log.close();
  }
}
