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
 * - retry: a dependency is unavailable; the message (and everything after it in the partition) is
 *   delivered again after a delay, for as long as it takes. Nothing is committed past it.
 * - dead-letter: the message itself is bad; it goes to the dead-letter topic with the reason and the
 *   partition moves on.
 * A thrown error is treated as a retry a bounded number of times, then the message is dead-lettered
 * with code HANDLER_ERROR, so one poison message cannot stop a partition forever.
 */
export type Outcome =
  | { status: 'ok' }
  | { status: 'retry'; reason: string; delayMs?: number }
  | { status: 'dead-letter'; code: string; reason: string; frameId?: string; byteOffset?: number };

export const OK: Outcome = { status: 'ok' };
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
  /** Most messages per handler call (default: maxInFlight). */
  maxBatchSize?: number;
  /** First delay before a retry; doubles per consecutive failure up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Thrown errors tolerated for one message before it is dead-lettered (default 5). */
  maxHandlerErrors?: number;
  /** Where a group without committed offsets starts: earliest (default) or latest. */
  fromBeginning?: boolean;
}

export interface SubscriptionStats {
  delivered: number;
  committed: number;
  deadLettered: number;
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
