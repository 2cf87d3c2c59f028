import type { Logger } from '@gridstation/telemetry';
import { deadLetterRecord, DEAD_LETTER_TOPIC } from './dead-letter';
import { InFlightGate } from './in-flight-gate';
import { busMetrics, withConsumerSpan } from './instrumentation';
import { planOutcomes } from './outcomes';
import type { InboundBatch, OutboundMessage, SubscribeOptions } from './types';

export interface ProcessResult {
  /** Offset to commit (the next one to read), when some prefix of the batch was settled. */
  commitTo?: bigint;
  /** Offset to deliver again from, after `delayMs`. */
  retryFrom?: bigint;
  delayMs: number;
  /** Deliver the next attempt one message at a time, to isolate a message that keeps failing. */
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
    maxBatchSize: Math.min(o.maxBatchSize ?? maxInFlight, maxInFlight),
    retryDelayMs: o.retryDelayMs ?? 200,
    maxRetryDelayMs: o.maxRetryDelayMs ?? 30_000,
    maxHandlerErrors: o.maxHandlerErrors ?? 5,
    fromBeginning: o.fromBeginning ?? true,
  };
}

export class AbortedError extends Error {
  readonly code = 'SUBSCRIPTION_ABORTED' as const;
}

/**
 * The delivery semantics shared by every adapter: bounded in-flight work, handler outcomes, dead-letter
 * publishing before commit, retry with backoff, and isolation of messages that make the handler throw.
 */
export class BatchProcessor {
  readonly gate: InFlightGate;
  readonly counters = { delivered: 0, committed: 0, deadLettered: 0, retries: 0 };
  private readonly failures = new Map<string, { offset: bigint; count: number }>();
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
    this.gate = new InFlightGate(options.maxInFlight, {
      onSaturated: () => {
        busMetrics.pauses.add(1, { group: options.groupId });
        hooks.onSaturated();
      },
      onDrained: () => hooks.onDrained(),
    });
    this.abortSignal = new Promise<never>((_, reject) => (this.rejectAbort = reject));
    this.abortSignal.catch(() => undefined);
  }

  /** Makes every pending and future `process` call end at once without settling anything. */
  abort(): void {
    this.aborted = true;
    this.rejectAbort(new AbortedError('subscription aborted'));
  }

  async process(batch: InboundBatch): Promise<ProcessResult | undefined> {
    const { groupId } = this.options;
    const attrs = { topic: batch.topic, group: groupId };
    const n = batch.messages.length;
    await Promise.race([this.gate.acquire(n), this.abortSignal]).catch(() => undefined);
    if (this.aborted) return undefined;
    this.counters.delivered += n;
    const started = performance.now();
    const key = `${batch.topic}/${batch.partition}`;
    try {
      let plan;
      try {
        const result = await Promise.race([withConsumerSpan(batch, groupId, () => this.options.handler(batch)), this.abortSignal]);
        plan = planOutcomes(batch.messages, result);
      } catch (e) {
        if (this.aborted) return undefined;
        return this.onThrow(batch, key, e);
      }
      if (this.aborted) return undefined;
      if (plan.deadLetters.length > 0) {
        const records = plan.deadLetters.map((d) => deadLetterRecord(d.message, d, this.service, groupId));
        try {
          await this.publish(DEAD_LETTER_TOPIC, records);
        } catch (e) {
          this.log.warn({ err: e, ...attrs }, 'dead-letter publish failed; the batch will be delivered again');
          return this.retryAt(batch, BigInt(batch.messages[0]!.offset), `dead-letter publish failed: ${String(e)}`, undefined);
        }
        for (const d of plan.deadLetters) busMetrics.deadLettered.add(1, { ...attrs, code: d.code });
        this.counters.deadLettered += plan.deadLetters.length;
        this.log.warn({ ...attrs, count: plan.deadLetters.length, first: plan.deadLetters[0]!.code }, 'records dead-lettered');
      }
      const result: ProcessResult = { delayMs: 0, narrow: false };
      if (plan.settled.length > 0) {
        result.commitTo = BigInt(plan.settled[plan.settled.length - 1]!.offset) + 1n;
        this.counters.committed += plan.settled.length;
        busMetrics.consumed.add(plan.settled.length, attrs);
        this.failures.delete(key);
      }
      if (plan.retry) {
        const r = this.retryAt(batch, BigInt(plan.retry.message.offset), plan.retry.reason, plan.retry.delayMs);
        return { ...r, ...(result.commitTo === undefined ? {} : { commitTo: result.commitTo }) };
      }
      return result;
    } finally {
      this.gate.release(n);
      busMetrics.handlerSeconds.record((performance.now() - started) / 1000, attrs);
    }
  }

  private onThrow(batch: InboundBatch, key: string, e: unknown): ProcessResult | Promise<ProcessResult | undefined> {
    const first = batch.messages[0]!;
    const offset = BigInt(first.offset);
    const prev = this.failures.get(key);
    const count = prev && prev.offset === offset ? prev.count + 1 : 1;
    this.failures.set(key, { offset, count });
    const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.log.warn({ err: e, topic: batch.topic, partition: batch.partition, offset: first.offset, attempt: count }, 'handler threw');
    if (count < this.options.maxHandlerErrors) {
      return this.retryAt(batch, offset, reason, undefined, count);
    }
    if (batch.messages.length > 1) {
      // Some message in this batch keeps failing: go one by one to find it.
      return { ...this.retryAt(batch, offset, reason, undefined, count), narrow: true };
    }
    this.failures.delete(key);
    // The single message has failed maxHandlerErrors times: it is the poison; record it and move on.
    const settle = async (): Promise<ProcessResult | undefined> => {
      const record = deadLetterRecord(first, { code: 'HANDLER_ERROR', reason }, this.service, this.options.groupId);
      try {
        await this.publish(DEAD_LETTER_TOPIC, [record]);
      } catch {
        return this.retryAt(batch, offset, reason, undefined, count);
      }
      busMetrics.deadLettered.add(1, { topic: batch.topic, group: this.options.groupId, code: 'HANDLER_ERROR' });
      this.counters.deadLettered += 1;
      this.counters.committed += 1;
      return { commitTo: offset + 1n, delayMs: 0, narrow: false };
    };
    return settle();
  }

  private retryAt(batch: InboundBatch, from: bigint, reason: string, delayMs: number | undefined, attempt = 1): ProcessResult {
    this.counters.retries += 1;
    busMetrics.retries.add(1, { topic: batch.topic, group: this.options.groupId });
    const backoff = Math.min(this.options.retryDelayMs * 2 ** (attempt - 1), this.options.maxRetryDelayMs);
    this.log.debug({ topic: batch.topic, partition: batch.partition, from: String(from), reason }, 'retry scheduled');
    return { retryFrom: from, delayMs: delayMs ?? backoff, narrow: false };
  }
}
