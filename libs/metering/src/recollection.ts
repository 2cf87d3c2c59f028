import type { Gap } from './completeness';

// Re-collection: every gap found becomes a read request that is retried with backoff until its
// slots are filled or it is given up with a reason an operator can act on. An offline terminal's
// requests wait (they do not burn attempts) and become due again when the terminal logs in.

export type GiveUpReason =
  /** The terminal answered that it has no such data (denied / no valid data). */
  | 'NO_DATA_IN_TERMINAL'
  /** Older than the terminal keeps (curve memory is bounded, typically a few weeks). */
  | 'BEYOND_TERMINAL_RETENTION'
  /** Every attempt timed out or came back incomplete. */
  | 'MAX_ATTEMPTS'
  /** The terminal stayed offline past the plan's deadline. */
  | 'TERMINAL_OFFLINE_PAST_DEADLINE';

export type AttemptOutcome =
  | { kind: 'answered'; /** data times that came back (and were stored) */ present: number[] }
  | { kind: 'timeout' }
  | { kind: 'denied' }
  | { kind: 'offline' };

export interface RecollectionRequest {
  id: string;
  meterId: string;
  terminal: string;
  quantity: string;
  intervalMs: number;
  /** The slots still missing, [fromMs, toMs). */
  gap: Gap;
  /** The slots originally missing. */
  original: Gap;
  attempts: number;
  nextAtMs: number;
  state: 'open' | 'waiting_for_login' | 'filled' | 'given_up';
  reason?: GiveUpReason;
  /** The last thing that happened, for the operator. */
  detail: string;
}

export interface RecollectionPolicy {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Data older than this (at the time of the attempt) is not asked for. */
  retentionMs: number;
  /** A request still waiting for its terminal after this long (from creation) is given up. */
  deadlineMs: number;
}

export const DEFAULT_RECOLLECTION: RecollectionPolicy = { maxAttempts: 4, backoffMs: 60_000, maxBackoffMs: 3_600_000, retentionMs: 30 * 86_400_000, deadlineMs: 3 * 86_400_000 };

export class RecollectionLedger {
  private readonly requests = new Map<string, RecollectionRequest & { createdAtMs: number }>();

  constructor(private readonly policy: RecollectionPolicy = DEFAULT_RECOLLECTION) {}

  /** Opens a request for a gap (idempotent on meter, quantity and gap start). */
  open(meterId: string, terminal: string, quantity: string, intervalMs: number, gap: Gap, nowMs: number): RecollectionRequest {
    const id = `${meterId}|${quantity}|${gap.fromMs}`;
    const existing = this.requests.get(id);
    if (existing) return existing;
    const r = { id, meterId, terminal, quantity, intervalMs, gap: { ...gap }, original: { ...gap }, attempts: 0, nextAtMs: nowMs, state: 'open' as const, detail: 'found missing', createdAtMs: nowMs };
    if (nowMs - gap.toMs > this.policy.retentionMs) Object.assign(r, { state: 'given_up', reason: 'BEYOND_TERMINAL_RETENTION', detail: `ends ${Math.round((nowMs - gap.toMs) / 86_400_000)} days ago, beyond what the terminal keeps` });
    this.requests.set(id, r);
    return r;
  }

  /** Requests to send now, oldest data first. */
  due(nowMs: number): RecollectionRequest[] {
    return [...this.requests.values()].filter((r) => r.state === 'open' && r.nextAtMs <= nowMs).sort((a, b) => a.gap.fromMs - b.gap.fromMs);
  }

  /** Records what an attempt brought. */
  attempted(id: string, outcome: AttemptOutcome, nowMs: number): RecollectionRequest {
    const r = this.requests.get(id);
    if (!r) throw new Error(`no re-collection request ${id}`);
    if (r.state === 'filled' || r.state === 'given_up') return r;
    switch (outcome.kind) {
      case 'offline':
        r.state = 'waiting_for_login';
        r.detail = 'terminal offline; asked again when it logs in';
        if (nowMs - r.createdAtMs > this.policy.deadlineMs) this.giveUp(r, 'TERMINAL_OFFLINE_PAST_DEADLINE', 'terminal stayed offline past the deadline');
        return r;
      case 'denied':
        r.attempts++;
        this.giveUp(r, 'NO_DATA_IN_TERMINAL', 'the terminal answered it has no such data');
        return r;
      case 'timeout':
        r.attempts++;
        r.detail = `no answer (attempt ${r.attempts})`;
        break;
      case 'answered': {
        r.attempts++;
        const have = new Set(outcome.present);
        // The gap shrinks to the span between the first and last slot still missing.
        let first = -1;
        let last = -1;
        for (let t = r.gap.fromMs; t < r.gap.toMs; t += r.intervalMs) {
          if (have.has(t)) continue;
          if (first < 0) first = t;
          last = t;
        }
        if (first < 0) {
          r.state = 'filled';
          r.detail = `filled after ${r.attempts} attempt(s)`;
          return r;
        }
        r.gap = { fromMs: first, toMs: last + r.intervalMs, points: Math.round((last + r.intervalMs - first) / r.intervalMs) };
        r.detail = `answered with ${r.original.points - r.gap.points} of ${r.original.points} slots (attempt ${r.attempts})`;
        break;
      }
    }
    if (r.attempts >= this.policy.maxAttempts) {
      this.giveUp(r, 'MAX_ATTEMPTS', `${r.detail}; gave up after ${r.attempts} attempts`);
      return r;
    }
    r.nextAtMs = nowMs + Math.min(this.policy.backoffMs * 2 ** (r.attempts - 1), this.policy.maxBackoffMs);
    return r;
  }

  /** The terminal logged in: its waiting requests are due now. */
  loggedIn(terminal: string, nowMs: number): number {
    let n = 0;
    for (const r of this.requests.values()) {
      if (r.terminal !== terminal || r.state !== 'waiting_for_login') continue;
      r.state = 'open';
      r.nextAtMs = nowMs;
      r.detail = 'terminal logged in; asked again';
      n++;
    }
    return n;
  }

  /** Waiting requests past the deadline are given up (call periodically). */
  expire(nowMs: number): number {
    let n = 0;
    for (const r of this.requests.values()) {
      if (r.state === 'waiting_for_login' && nowMs - r.createdAtMs > this.policy.deadlineMs) {
        this.giveUp(r, 'TERMINAL_OFFLINE_PAST_DEADLINE', 'terminal stayed offline past the deadline');
        n++;
      }
    }
    return n;
  }

  get(id: string): RecollectionRequest | undefined {
    return this.requests.get(id);
  }

  all(): RecollectionRequest[] {
    return [...this.requests.values()];
  }

  private giveUp(r: RecollectionRequest, reason: GiveUpReason, detail: string): void {
    r.state = 'given_up';
    r.reason = reason;
    r.detail = detail;
  }
}
