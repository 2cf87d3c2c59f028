import { DependencyUnavailableError } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { busMetrics, consumerLag, outgoingHeaders, throwIfStalled } from './instrumentation';
import { BatchProcessor, resolveOptions, type ResolvedOptions } from './processor';
import type { TopicSpec } from './topics';
import type { InboundMessage, MessageBus, OutboundMessage, SubscribeOptions, Subscription, SubscriptionStats } from './types';

// The in-process adapter of the embedded mode: the same contract as Kafka (partitions, per-key order,
// consumer groups with committed offsets, rebalancing, redelivery after a failed or crashed consumer),
// held in memory. Retention is bounded: once every group has committed past a record it is dropped, and
// a publisher waits while a partition holds `maxRetained` uncommitted records (backpressure, not growth).

interface StoredRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

class PartitionLog {
  private records: StoredRecord[] = [];
  private head = 0; // index of the first live record in `records`
  base = 0n; // offset of records[head]
  private waiters: Array<() => void> = [];
  private spaceWaiters: Array<() => void> = [];

  get end(): bigint {
    return this.base + BigInt(this.records.length - this.head);
  }

  get size(): number {
    return this.records.length - this.head;
  }

  append(r: StoredRecord): void {
    this.records.push(r);
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  read(from: bigint, max: number): Array<{ offset: bigint; record: StoredRecord }> {
    const out: Array<{ offset: bigint; record: StoredRecord }> = [];
    const start = this.head + Number(from - this.base);
    for (let i = start; i < this.records.length && out.length < max; i++) {
      out.push({ offset: this.base + BigInt(i - this.head), record: this.records[i]! });
    }
    return out;
  }

  trimBefore(offset: bigint): void {
    if (offset <= this.base) return;
    const drop = Number((offset < this.end ? offset : this.end) - this.base);
    this.head += drop;
    this.base += BigInt(drop);
    // Compact occasionally so the array does not keep dropped records reachable.
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
      const records = log.read(position, narrow ? 1 : this.options.maxBatchSize);
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
        this.group.committed.set(key, result.commitTo);
        this.bus.trim(ref.topic, ref.partition);
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
}

export class MemoryBus implements MessageBus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, MemoryGroup>();
  private closed = false;

  constructor(private readonly options: MemoryBusOptions) {}

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
    const t = this.topic(topic);
    const max = this.options.maxRetained ?? 100_000;
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const p = t.partitionFor(key);
      const log = t.partitions[p]!;
      while (log.size >= max && this.consumedBy(topic)) await log.waitForSpace();
      if (log.size >= max) log.trimBefore(log.base + 1n); // nobody reads this topic: keep the newest `max`
      log.append({ key, value: m.value, headers: outgoingHeaders(m.headers), timestamp: Date.now() });
    }
    busMetrics.published.add(messages.length, { topic });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    const resolved = resolveOptions(options);
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new MemoryGroup(options.groupId);
      this.groups.set(options.groupId, group);
    }
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

  /** Drops records that every group reading the topic has committed. */
  trim(topic: MemoryTopic, partition: number): void {
    let min: bigint | undefined;
    for (const g of this.groups.values()) {
      if (!g.members.some((m) => m.options.topics.includes(topic.name))) continue;
      const c = g.committed.get(`${topic.name}/${partition}`) ?? 0n;
      if (min === undefined || c < min) min = c;
    }
    if (min !== undefined) topic.partitions[partition]!.trimBefore(min);
  }

  private consumedBy(topic: string): boolean {
    for (const g of this.groups.values()) if (g.members.some((m) => m.options.topics.includes(topic))) return true;
    return false;
  }

  async healthCheck(): Promise<void> {
    if (this.closed) throw new Error('in-process bus is closed');
    throwIfStalled([...this.groups.values()].flatMap((g) => g.members));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const g of this.groups.values()) for (const m of [...g.members]) await m.close();
    this.closed = true;
  }
}
