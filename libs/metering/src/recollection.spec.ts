import { RecollectionLedger } from './recollection';

const q = 900_000;
const t0 = Date.UTC(2026, 11, 1);
const gap = { fromMs: t0, toMs: t0 + 4 * q, points: 4 };
const policy = { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 10_000, retentionMs: 30 * 86_400_000, deadlineMs: 3_600_000 };

describe('re-collection of gaps', () => {
  it('shrinks a gap as answers fill it and closes it when filled', () => {
    const l = new RecollectionLedger(policy);
    const r = l.open('m1', 'T1', 'power.active.total', q, gap, t0 + 86_400_000);
    expect(l.due(t0 + 86_400_000)).toHaveLength(1);
    l.attempted(r.id, { kind: 'answered', present: [t0, t0 + q] }, t0 + 86_400_000);
    expect(r).toMatchObject({ state: 'open', gap: { fromMs: t0 + 2 * q, toMs: t0 + 4 * q, points: 2 }, attempts: 1 });
    expect(r.detail).toMatch(/2 of 4 slots/);
    expect(l.due(t0 + 86_400_000 + 999)).toHaveLength(0); // backoff
    l.attempted(r.id, { kind: 'answered', present: [t0 + 2 * q, t0 + 3 * q] }, t0 + 86_400_000 + 1000);
    expect(r.state).toBe('filled');
  });

  it('gives up with a reason: no data in the terminal, too many timeouts, beyond retention', () => {
    const l = new RecollectionLedger(policy);
    const now = t0 + 86_400_000;
    const denied = l.open('m1', 'T1', 'p', q, gap, now);
    l.attempted(denied.id, { kind: 'denied' }, now);
    expect(denied).toMatchObject({ state: 'given_up', reason: 'NO_DATA_IN_TERMINAL' });
    const slow = l.open('m2', 'T1', 'p', q, gap, now);
    for (let k = 0; k < 3; k++) l.attempted(slow.id, { kind: 'timeout' }, now + k * 10_000);
    expect(slow).toMatchObject({ state: 'given_up', reason: 'MAX_ATTEMPTS', attempts: 3 });
    const old = l.open('m3', 'T1', 'p', q, gap, t0 + 40 * 86_400_000);
    expect(old).toMatchObject({ state: 'given_up', reason: 'BEYOND_TERMINAL_RETENTION' });
  });

  it('an offline terminal does not use up attempts; its requests are due again at login, or given up past the deadline', () => {
    const l = new RecollectionLedger(policy);
    const now = t0 + 86_400_000;
    const a = l.open('m1', 'T1', 'p', q, gap, now);
    const b = l.open('m2', 'T2', 'p', q, gap, now);
    l.attempted(a.id, { kind: 'offline' }, now);
    l.attempted(b.id, { kind: 'offline' }, now);
    expect(a).toMatchObject({ state: 'waiting_for_login', attempts: 0 });
    expect(l.due(now + 10 ** 6)).toHaveLength(0);
    expect(l.loggedIn('T1', now + 5000)).toBe(1);
    expect(l.due(now + 5000).map((r) => r.id)).toEqual([a.id]);
    expect(l.expire(now + 3_600_001)).toBe(1);
    expect(b).toMatchObject({ state: 'given_up', reason: 'TERMINAL_OFFLINE_PAST_DEADLINE' });
    expect(l.open('m1', 'T1', 'p', q, gap, now)).toBe(a); // idempotent
  });
});
