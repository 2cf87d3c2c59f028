import { DeadLetter } from '@gridstation/contracts';
import { TOPICS } from './topics';
import { recordValue } from './record-value';
import type { InboundMessage, OutboundMessage } from './types';

export interface DeadLetterReason {
  code: string;
  reason: string;
  frameId?: string;
  byteOffset?: number;
}

export interface DeadLetterFields extends DeadLetterReason {
  service: string;
  /** The rejected bytes (a whole record, or one frame of it). */
  payload: Uint8Array;
  key: string | Buffer | null;
  consumerGroup?: string;
  /** Where the bytes came from, when they came from the bus. */
  source?: { topic: string; partition: number; offset: string };
  headers?: Record<string, string>;
}

/** Longest reason kept: a dependency's error text (a database's internal dump, say) is cut, not copied whole into every dead letter. */
export const MAX_REASON = 2000;

const boundedReason = (r: string) => (r.length > MAX_REASON ? `${r.slice(0, MAX_REASON)}… (${r.length} characters)` : r);

/** A dead-letter record: the rejected bytes, where they came from, and why. */
export function buildDeadLetter(f: DeadLetterFields): OutboundMessage {
  const key = f.key === null ? Buffer.alloc(0) : Buffer.from(f.key);
  const value = recordValue(DeadLetter.encode({
    code: f.code,
    reason: boundedReason(f.reason),
    service: f.service,
    consumerGroup: f.consumerGroup ?? '',
    sourceTopic: f.source?.topic ?? '',
    sourcePartition: f.source?.partition ?? -1,
    sourceOffset: f.source ? Number(f.source.offset) : -1,
    key,
    payload: Buffer.from(f.payload),
    headers: f.headers ?? {},
    frameId: f.frameId ?? '',
    byteOffset: f.byteOffset ?? -1,
    failedAtMs: Date.now(),
  }));
  return {
    key: f.key,
    value,
    headers: { 'gs-dead-letter-code': f.code },
  };
}

/** The dead-letter record for one rejected bus message. */
export function deadLetterRecord(message: InboundMessage, why: DeadLetterReason, service: string, groupId: string): OutboundMessage {
  return buildDeadLetter({
    ...why,
    service,
    consumerGroup: groupId,
    key: message.key,
    payload: message.value,
    headers: message.headers,
    source: { topic: message.topic, partition: message.partition, offset: message.offset },
  });
}

export const DEAD_LETTER_TOPIC = TOPICS.deadLetter;
