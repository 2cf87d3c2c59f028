import { DeadLetter } from '@gridstation/contracts';
import { TOPICS } from './topics';
import type { InboundMessage, OutboundMessage } from './types';

export interface DeadLetterReason {
  code: string;
  reason: string;
  frameId?: string;
  byteOffset?: number;
}

/** The dead-letter record for one rejected message: the original bytes, where they came from, and why. */
export function deadLetterRecord(message: InboundMessage, why: DeadLetterReason, service: string, groupId: string): OutboundMessage {
  const value = DeadLetter.encode({
    code: why.code,
    reason: why.reason,
    service,
    consumerGroup: groupId,
    sourceTopic: message.topic,
    sourcePartition: message.partition,
    sourceOffset: Number(message.offset),
    key: message.key ?? Buffer.alloc(0),
    payload: message.value,
    headers: message.headers,
    frameId: why.frameId ?? '',
    byteOffset: why.byteOffset ?? -1,
    failedAtMs: Date.now(),
  }).finish();
  return {
    key: message.key,
    value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    headers: { 'gs-dead-letter-code': why.code },
  };
}

export const DEAD_LETTER_TOPIC = TOPICS.deadLetter;
