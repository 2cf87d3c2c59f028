import type { TopicSpec } from './topics';

export interface OutboundMessage {
  /** Records with the same key stay in order on one partition. */
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface InboundMessage {
  topic: string;
  partition: number;
  /** Kafka offset as decimal text (int64 does not fit a JS number in general). */
  offset: string;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/** Consecutive messages of one partition, in offset order. */
export interface InboundBatch {
  topic: string;
  partition: number;
  messages: readonly InboundMessage[];
}

/**
 * What a handler says about a message. Handlers return outcomes instead of throwing:
 * - ok: processed; its offset may be committed.
 * - drop: deliberately ignored (counted by reason); its offset may be committed.
 * - retry: a dependency is unavailable; the message (and everything after it in the partition) is
 *   delivered again after a delay, for as long as it takes. Nothing is committed past it.
 * - dead-letter: the message itself is bad; it goes to the dead-letter topic with the reason and the
 *   partition moves on.
 * - isolate: something in this batch failed for good and the handler cannot tell which message caused
 *   it: the batch is delivered again one message at a time, so the culprit can be dead-lettered alone.
 * A thrown error is classified (libs/errors): a dependency that is unavailable is retried; anything else
 * isolates the batch, and a single message that throws is dead-lettered with code HANDLER_ERROR.
 */
export type Outcome =
  | { status: 'ok' }
  | { status: 'drop'; reason: string }
  | { status: 'retry'; reason: string; delayMs?: number }
  | { status: 'dead-letter'; code: string; reason: string; frameId?: string; byteOffset?: number }
  | { status: 'isolate'; reason: string };

export const OK: Outcome = { status: 'ok' };
export const drop = (reason: string): Outcome => ({ status: 'drop', reason });
export const isolate = (reason: string): Outcome => ({ status: 'isolate', reason });
export const retry = (reason: string, delayMs?: number): Outcome =>
  delayMs === undefined ? { status: 'retry', reason } : { status: 'retry', reason, delayMs };
export const deadLetter = (code: string, reason: string, extra: { frameId?: string; byteOffset?: number } = {}): Outcome => ({
  status: 'dead-letter',
  code,
  reason,
  ...extra,
});

/** One outcome for the whole batch, or one per message in the same order. */
export type BatchHandler = (batch: InboundBatch) => Promise<Outcome | readonly Outcome[]>;

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  handler: BatchHandler;
  /** Most messages handed to the handler and not yet settled, over all partitions (default 1000). */
  maxInFlight?: number;
  /** Most bytes of message values handed to the handler and not yet settled (default 16 MiB). */
  maxInFlightBytes?: number;
  /** Most messages per handler call (default: maxInFlight). */
  maxBatchSize?: number;
  /** First delay before a retry; doubles per consecutive failure up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * A handler call running longer than this, or a fetch loop silent for longer while records wait, marks
   * the subscription stalled: the bus health check (and so /readyz) fails and the stall is counted.
   */
  stallAfterMs?: number;
  /** Where a group without committed offsets starts: earliest (default) or latest. */
  fromBeginning?: boolean;
}

export interface SubscriptionStats {
  delivered: number;
  committed: number;
  deadLettered: number;
  dropped: number;
  retries: number;
  inFlight: number;
  /** Times fetching was paused because maxInFlight was reached. */
  pauses: number;
  paused: boolean;
  assigned: Array<{ topic: string; partition: number }>;
}

export interface Subscription {
  readonly groupId: string;
  /** Graceful: stops fetching, lets in-flight handlers finish, commits, then leaves the group. */
  close(): Promise<void>;
  /** Abrupt: stops at once without committing anything more, as if the process had died. */
  abort(): Promise<void>;
  stats(): SubscriptionStats;
  /** Why the subscription is not making progress, or undefined while it is. */
  stalled(): string | undefined;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'memory';
  /** Resolves once the records are durably accepted (Kafka: acknowledged by all in-sync replicas). */
  publish(topic: string, messages: readonly OutboundMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Throws when the bus cannot currently serve requests. */
  healthCheck(): Promise<void>;
  /** Drains every subscription, then disconnects. */
  close(): Promise<void>;
}
