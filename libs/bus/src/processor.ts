import { classifyError } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { deadLetterRecord, DEAD_LETTER_TOPIC, type DeadLetterReason } from './dead-letter';
import { InFlightGate } from './in-flight-gate';
import { busMetrics, withConsumerSpan } from './instrumentation';
import { planOutcomes } from './outcomes';
import type { InboundBatch, InboundMessage, OutboundMessage, SubscribeOptions } from './types';

export interface ProcessResult {
  /** Offset to commit (the next one to read), when some prefix of the batch was settled. */
  commitTo?: bigint;
  /** Offset to deliver again from, after `delayMs`. */
  retryFrom?: bigint;
  delayMs: number;
  /** Deliver the next attempt one message at a time, to isolate a message that fails for good. */
  narrow: boolean;
}

export interface ResolvedOptions extends Required<Omit<SubscribeOptions, 'topics' | 'handler' | 'groupId'>> {
  groupId: string;
  topics: readonly string[];
  handler: SubscribeOptions['handler'];
}

export function resolveOptions(o: SubscribeOptions): ResolvedOptions {
  const maxInFlight = o.maxInFlight ?? 1000;
  return {
    groupId: o.groupId,
    topics: o.topics,
    handler: o.handler,
    maxInFlight,
    maxInFlightBytes: o.maxInFlightBytes ?? 16 * 1024 * 1024,
    maxBatchSize: Math.min(o.maxBatchSize ?? maxInFlight, maxInFlight),
    retryDelayMs: o.retryDelayMs ?? 200,
    maxRetryDelayMs: o.maxRetryDelayMs ?? 30_000,
    stallAfterMs: o.stallAfterMs ?? 120_000,
    fromBeginning: o.fromBeginning ?? true,
  };
}

function sizeOf(batch: InboundBatch): { n: number; bytes: number } {
  let bytes = 0;
  for (const m of batch.messages) bytes += m.value.length;
  return { n: batch.messages.length, bytes };
}

export class AbortedError extends Error {
  readonly code = 'SUBSCRIPTION_ABORTED' as const;
}

/**
 * The delivery semantics shared by every adapter: bounded in-flight work, handler outcomes, dead-letter
 * publishing before commit, retry with backoff for what can recover, and isolation of the message that
 * cannot, so that one bad record never stalls its partition.
 */
export class BatchProcessor {
  readonly gate: InFlightGate;
  readonly counters = { delivered: 0, committed: 0, deadLettered: 0, dropped: 0, retries: 0 };
  /** Consecutive retries per partition at the same offset: the exponent of the back-off. */
  private readonly failures = new Map<string, { offset: bigint; count: number }>();
  /** Handler calls running now, by start time: a call running for too long is a stall. */
  private readonly running = new Map<number, { startedAt: number; where: string }>();
  private callSeq = 0;
  private stallReported = false;
  private abortSignal: Promise<never>;
  private rejectAbort!: (e: Error) => void;
  aborted = false;

  constructor(
    readonly options: ResolvedOptions,
    private readonly service: string,
    private readonly publish: (topic: string, messages: OutboundMessage[]) => Promise<void>,
    private readonly log: Logger,
    hooks: { onSaturated(): void; onDrained(): void },
  ) {
    this.gate = new InFlightGate(
      options.maxInFlight,
      {
        onSaturated: () => {
          busMetrics.pauses.add(1, { group: options.groupId });
          hooks.onSaturated();
        },
        onDrained: () => hooks.onDrained(),
      },
      options.maxInFlightBytes,
    );
    this.abortSignal = new Promise<never>((_, reject) => (this.rejectAbort = reject));
    this.abortSignal.catch(() => undefined);
  }

  /** Makes every pending and future `process` call end at once without settling anything. */
  abort(): void {
    this.aborted = true;
    this.rejectAbort(new AbortedError('subscription aborted'));
  }

  /**
   * Why this subscription is not making progress: a handler call running longer than stallAfterMs, or
   * what the adapter reports about its fetching. Counted once per stall.
   */
  stalled(now: number, adapterReason?: string): string | undefined {
    let reason = adapterReason;
    for (const r of this.running.values()) {
      if (now - r.startedAt > this.options.stallAfterMs) {
        reason = `handler running for ${((now - r.startedAt) / 1000).toFixed(1)} s on ${r.where}`;
        break;
      }
    }
    if (reason && !this.stallReported) {
      busMetrics.stalls.add(1, { group: this.options.groupId });
      this.log.error({ group: this.options.groupId, reason }, 'consumer stalled');
    }
    this.stallReported = reason !== undefined;
    return reason === undefined ? undefined : `consumer group ${this.options.groupId}: ${reason}`;
  }

  /**
   * Takes room for a batch in the in-flight bounds, waiting while they are full; false when the
   * subscription was aborted meanwhile. A batch admitted here is handed to process() with
   * `admitted`, or given back with release().
   */
  async admit(batch: InboundBatch): Promise<boolean> {
    const { n, bytes } = sizeOf(batch);
    await Promise.race([this.gate.acquire(n, bytes), this.abortSignal]).catch(() => undefined);
    // After an abort the room taken (if it was granted) no longer matters: nothing is admitted again.
    return !this.aborted;
  }

  /** Gives back the room of an admitted batch that will not be processed. */
  release(batch: InboundBatch): void {
    const { n, bytes } = sizeOf(batch);
    this.gate.release(n, bytes);
  }

  async process(batch: InboundBatch, admitted = false): Promise<ProcessResult | undefined> {
    const { groupId } = this.options;
    const attrs = { topic: batch.topic, group: groupId };
    const { n, bytes } = sizeOf(batch);
    if (!admitted && !(await this.admit(batch))) return undefined;
    if (this.aborted) return undefined;
    this.counters.delivered += n;
    const started = performance.now();
    const call = ++this.callSeq;
    const key = `${batch.topic}/${batch.partition}`;
    this.running.set(call, { startedAt: Date.now(), where: `${key} at offset ${batch.messages[0]?.offset ?? '?'}` });
    try {
      let plan;
      try {
        const result = await Promise.race([withConsumerSpan(batch, groupId, () => this.options.handler(batch)), this.abortSignal]);
        plan = planOutcomes(batch.messages, result);
      } catch (e) {
        if (this.aborted) return undefined;
        return await this.onThrow(batch, key, e);
      }
      if (this.aborted) return undefined;
      let retry = plan.retry;
      if (retry?.isolate && retry.message === batch.messages[batch.messages.length - 1] && plan.settled.length === n - 1) {
        // The failing message is alone at the end of what was delivered: it is the culprit.
        plan.deadLetters.push({ message: retry.message, code: 'PERMANENT_FAILURE', reason: retry.reason });
        plan.settled.push(retry.message);
        retry = undefined;
      }
      if (plan.deadLetters.length > 0 && !(await this.sendDeadLetters(plan.deadLetters, attrs))) {
        return this.retryAt(batch, key, BigInt(batch.messages[0]!.offset), 'dead-letter publish failed', undefined);
      }
      const result: ProcessResult = { delayMs: 0, narrow: false };
      if (plan.settled.length > 0) {
        result.commitTo = BigInt(plan.settled[plan.settled.length - 1]!.offset) + 1n;
        this.counters.committed += plan.settled.length;
        busMetrics.consumed.add(plan.settled.length, attrs);
        if (plan.dropped.length > 0) {
          this.counters.dropped += plan.dropped.length;
          busMetrics.dropped.add(plan.dropped.length, attrs);
          this.log.debug({ ...attrs, count: plan.dropped.length, first: plan.dropped[0]!.reason }, 'records dropped');
        }
        this.failures.delete(key);
      }
      if (retry) {
        const r = retry.isolate
          ? this.isolateFrom(batch, BigInt(retry.message.offset), retry.reason)
          : this.retryAt(batch, key, BigInt(retry.message.offset), retry.reason, retry.delayMs);
        return { ...r, ...(result.commitTo === undefined ? {} : { commitTo: result.commitTo }) };
      }
      return result;
    } finally {
      this.running.delete(call);
      this.gate.release(n, bytes);
      busMetrics.handlerSeconds.record((performance.now() - started) / 1000, attrs);
    }
  }

  private async sendDeadLetters(list: ReadonlyArray<DeadLetterReason & { message: InboundMessage }>, attrs: { topic: string; group: string }): Promise<boolean> {
    const records = list.map((d) => deadLetterRecord(d.message, d, this.service, this.options.groupId));
    try {
      await this.publish(DEAD_LETTER_TOPIC, records);
    } catch (e) {
      this.log.warn({ err: e, ...attrs }, 'dead-letter publish failed; the batch will be delivered again');
      return false;
    }
    for (const d of list) busMetrics.deadLettered.add(1, { ...attrs, code: d.code });
    this.counters.deadLettered += list.length;
    this.log.warn({ ...attrs, count: list.length, first: list[0]!.code, reason: list[0]!.reason }, 'records dead-lettered');
    return true;
  }

  private async onThrow(batch: InboundBatch, key: string, e: unknown): Promise<ProcessResult> {
    const first = batch.messages[0]!;
    const offset = BigInt(first.offset);
    const c = classifyError(e);
    this.log.warn({ err: e, topic: batch.topic, partition: batch.partition, offset: first.offset, retriable: c.retriable }, 'handler threw');
    if (c.retriable) return this.retryAt(batch, key, offset, c.reason, undefined);
    if (batch.messages.length > 1) return this.isolateFrom(batch, offset, c.reason);
    // A single message made the handler fail for good: record it and move on.
    if (!(await this.sendDeadLetters([{ message: first, code: 'HANDLER_ERROR', reason: c.reason }], { topic: batch.topic, group: this.options.groupId }))) {
      return this.retryAt(batch, key, offset, c.reason, undefined);
    }
    this.failures.delete(key);
    this.counters.committed += 1;
    return { commitTo: offset + 1n, delayMs: 0, narrow: false };
  }

  private isolateFrom(batch: InboundBatch, from: bigint, reason: string): ProcessResult {
    busMetrics.isolations.add(1, { topic: batch.topic, group: this.options.groupId });
    this.log.debug({ topic: batch.topic, partition: batch.partition, from: String(from), reason }, 'isolating a permanent failure');
    return { retryFrom: from, delayMs: 0, narrow: true };
  }

  private retryAt(batch: InboundBatch, key: string, from: bigint, reason: string, delayMs: number | undefined): ProcessResult {
    const prev = this.failures.get(key);
    const attempt = prev && prev.offset === from ? prev.count + 1 : 1;
    this.failures.set(key, { offset: from, count: attempt });
    this.counters.retries += 1;
    busMetrics.retries.add(1, { topic: batch.topic, group: this.options.groupId });
    const backoff = Math.min(this.options.retryDelayMs * 2 ** Math.min(attempt - 1, 20), this.options.maxRetryDelayMs);
    this.log.debug({ topic: batch.topic, partition: batch.partition, from: String(from), reason, attempt }, 'retry scheduled');
    return { retryFrom: from, delayMs: delayMs ?? backoff, narrow: false };
  }
}
