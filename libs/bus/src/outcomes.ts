import type { InboundMessage, Outcome } from './types';

export interface OutcomePlan {
  /** Messages settled (ok, dropped or dead-lettered), a prefix of the batch. */
  settled: InboundMessage[];
  deadLetters: Array<{ message: InboundMessage; code: string; reason: string; frameId?: string; byteOffset?: number }>;
  dropped: Array<{ message: InboundMessage; reason: string }>;
  /** The first message to be delivered again, when the handler asked for a retry or an isolation. */
  retry?: { message: InboundMessage; reason: string; delayMs?: number; isolate: boolean };
}

export class OutcomeCountMismatchError extends Error {
  readonly code = 'OUTCOME_COUNT_MISMATCH' as const;
}

/**
 * Turns handler outcomes into what the adapter does: settle a prefix of the batch, dead-letter some of
 * it, and redeliver from the first retry on. Ordering inside a partition is preserved because nothing
 * after a retried message is settled.
 */
export function planOutcomes(messages: readonly InboundMessage[], result: Outcome | readonly Outcome[]): OutcomePlan {
  const outcomes: readonly Outcome[] = Array.isArray(result) ? result : messages.map(() => result as Outcome);
  if (outcomes.length !== messages.length) {
    throw new OutcomeCountMismatchError(`handler returned ${outcomes.length} outcomes for ${messages.length} messages`);
  }
  const plan: OutcomePlan = { settled: [], deadLetters: [], dropped: [] };
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const outcome = outcomes[i]!;
    switch (outcome.status) {
      case 'ok':
        plan.settled.push(message);
        break;
      case 'drop':
        plan.settled.push(message);
        plan.dropped.push({ message, reason: outcome.reason });
        break;
      case 'dead-letter': {
        plan.settled.push(message);
        const { code, reason, frameId, byteOffset } = outcome;
        plan.deadLetters.push({
          message,
          code,
          reason,
          ...(frameId === undefined ? {} : { frameId }),
          ...(byteOffset === undefined ? {} : { byteOffset }),
        });
        break;
      }
      case 'retry':
        plan.retry = { message, reason: outcome.reason, isolate: false, ...(outcome.delayMs === undefined ? {} : { delayMs: outcome.delayMs }) };
        return plan;
      case 'isolate':
        plan.retry = { message, reason: outcome.reason, isolate: true };
        return plan;
    }
  }
  return plan;
}
