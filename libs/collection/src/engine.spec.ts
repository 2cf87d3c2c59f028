import type { SubmitTaskSetRequest, TaskSet } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';
import type { RecollectionRequest } from '@gridstation/metering';
import { testLogger } from '@gridstation/testing';
import { CollectionEngine, itemQuantity, itemWindow } from './engine';
import type { CollectedData, TaskOutcome, TaskSets } from './ports';
import { collectionReadProgram, type FrozenReader, type ReadInput } from './read-program';

// The engine against in-memory stand-ins for the store, the scheduler and the downlink (the
// integration test runs it on the real ones). The "terminal" holds every slot; the "store" has gaps.

const Q = 900_000;
const DAY = Date.UTC(2026, 11, 1) - 8 * 3_600_000;
const log = testLogger();

function rig(o: { offline?: Set<string>; holds?: (meter: string, t: number) => boolean; estimated?: RecollectionRequest[] } = {}) {
  let now = DAY + 86_400_000; // midnight after the day: the look-back window is exactly that day
  const stored = new Map<string, Set<number>>();
  const put = (m: string, t: number) => (stored.get(m) ?? stored.set(m, new Set()).get(m)!).add(t);
  for (const m of ['m1', 'm2', 'm3']) for (let k = 0; k < 96; k++) put(m, DAY + k * Q);
  const data: CollectedData = {
    dataTimes: async (ids, _q, from, to) => new Map(ids.map((id) => [id, [...(stored.get(id) ?? [])].filter((t) => t >= from && t < to).sort((a, b) => a - b)])),
    series: async () => [],
  };
  const meters: Record<string, Array<{ meterId: string; pn: number }>> = { '4101-00001': [{ meterId: 'm1', pn: 1 }, { meterId: 'm2', pn: 2 }], '4101-00002': [{ meterId: 'm3', pn: 1 }] };
  const byPn = (t: string, pn: number) => meters[t]!.find((m) => m.pn === pn)!.meterId;
  const reads: ReadInput[] = [];
  const reader: FrozenReader = {
    readFrozenData: async (req) => {
      if (o.offline?.has(req.terminalAddress)) throw new GsError('not-found', 'NOT_FOUND', `terminal ${req.terminalAddress} is not connected`);
      const readings = req.units.flatMap((u) =>
        Array.from({ length: u.points }, (_, i) => Number(u.startMs) + i * Q)
          .filter((t) => o.holds?.(byPn(req.terminalAddress, u.measurementPoint), t) ?? true)
          .map((t) => {
            put(byPn(req.terminalAddress, u.measurementPoint), t); // what the pipeline would store
            return { meterId: byPn(req.terminalAddress, u.measurementPoint), quantity: 'power.active.total', tariff: 0, value: 1, dataTimeMs: t } as never;
          }),
      );
      return { readings, replyFrame: Buffer.alloc(0), servedBy: 'comm-0', roundTripMs: 5, denied: readings.length === 0 };
    },
  };
  const program = collectionReadProgram(reader);
  const sets = new Map<string, { set: TaskSet; outcomes: TaskOutcome[] }>();
  const taskSets: TaskSets = {
    submit: async (req: SubmitTaskSetRequest) => {
      const outcomes: TaskOutcome[] = [];
      for (const t of req.tasks) {
        const input = JSON.parse(t.input!.paramsJson) as ReadInput;
        reads.push(input);
        outcomes.push({ name: t.name, ok: true, output: await program(input, new AbortController().signal) });
      }
      const set = { id: `set-${sets.size + 1}`, finishedAtMs: 1 } as TaskSet;
      sets.set(set.id, { set, outcomes });
      return set;
    },
    get: async (id) => sets.get(id)?.set,
    outcomes: async (id) => sets.get(id)!.outcomes,
  };
  const online = (t: string) => !o.offline?.has(t);
  const engine = new CollectionEngine(data, taskSets, { terminal: async (a) => (meters[a] ? { address: a, meters: meters[a]! } : undefined) }, { online: async (t) => online(t) }, { areaOf: (m) => (m === 'm3' ? 'area-B' : 'area-A') }, log, { now: () => now, policy: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 10_000, retentionMs: 30 * 86_400_000, deadlineMs: 6 * 3_600_000 }, ...(o.estimated ? { estimate: async (req: RecollectionRequest) => (o.estimated!.push(req), req.gap.points) } : {}) });
  engine.upsertPlan({ name: 'curves', terminals: ['4101-00001', '4101-00002'], lookbackMs: 86_400_000, settleMs: 0 });
  return { engine, stored, reads, advance: (ms: number) => (now += ms), drop: (m: string, ks: number[]) => ks.forEach((k) => stored.get(m)!.delete(DAY + k * Q)) };
}

describe('collection engine', () => {
  it('finds the gaps, reads them per terminal in one task set, and closes the requests the reads filled', async () => {
    const r = rig();
    r.drop('m1', [10, 11, 12, 40]);
    r.drop('m3', [0]);
    const before = await r.engine.successRates('curves', DAY, 'area');
    expect(before.map((x) => [x.key, x.present, x.expected])).toEqual([['area-A', 188, 192], ['area-B', 95, 96]]);
    const report = await r.engine.runRound('curves');
    expect(report).toMatchObject({ meters: 3, gapsFound: 3, requestsSent: 3, waiting: 0 });
    expect(report.window.toMs - report.window.fromMs).toBe(86_400_000);
    // Terminal 1: two gaps of m1 in one read; terminal 2: m3's gap.
    expect(r.reads.map((x) => [x.terminal, x.units.map((u) => [u.pn, (u.fromMs - DAY) / Q, u.points])]).sort()).toEqual([
      ['4101-00001', [[1, 10, 3], [1, 40, 1]]],
      ['4101-00002', [[1, 0, 1]]],
    ]);
    await r.engine.settleFinished();
    expect(r.engine.ledger.all().map((x) => x.state)).toEqual(['filled', 'filled', 'filled']);
    expect((await r.engine.successRates('curves', DAY, 'terminal')).every((x) => x.rate === 1)).toBe(true);
  });

  it('an offline terminal\'s gaps wait for its login, then are read; what the terminal does not hold is given up with the reason', async () => {
    const offline = new Set(['4101-00002']);
    const r = rig({ offline, holds: (m, t) => !(m === 'm1' && t === DAY + 5 * Q) });
    r.drop('m3', [20, 21, 22, 23]);
    r.drop('m1', [5]);
    const first = await r.engine.runRound('curves');
    expect(first).toMatchObject({ requestsSent: 1, waiting: 1 });
    await r.engine.settleFinished();
    const byMeter = (m: string) => r.engine.ledger.all().find((x) => x.meterId === m)!;
    expect(byMeter('m3')).toMatchObject({ state: 'waiting_for_login', attempts: 0 });
    expect(byMeter('m1')).toMatchObject({ state: 'given_up', reason: 'NO_DATA_IN_TERMINAL' });
    offline.delete('4101-00002');
    r.advance(60_000);
    const second = await r.engine.runRound('curves');
    expect(second.requestsSent).toBe(1);
    await r.engine.settleFinished();
    expect(byMeter('m3').state).toBe('filled');
    const gaps = await r.engine.gaps('curves', DAY, DAY + 86_400_000);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ meterId: 'm1', request: { state: 'given_up', reason: 'NO_DATA_IN_TERMINAL' } });
  });

  it('estimates the slots of a request given up, once', async () => {
    const estimated: RecollectionRequest[] = [];
    const r = rig({ estimated, holds: (m, t) => !(m === 'm1' && t >= DAY + 5 * Q && t < DAY + 7 * Q) });
    r.drop('m1', [5, 6]);
    await r.engine.runRound('curves');
    await r.engine.tick(); // settles the round (the terminal denies the read: given up), then estimates
    expect(estimated.map((x) => [x.meterId, (x.gap.fromMs - DAY) / Q, x.gap.points, x.reason])).toEqual([['m1', 5, 2, 'NO_DATA_IN_TERMINAL']]);
    expect(r.engine.stats.estimated).toBe(2);
    await r.engine.tick();
    expect(estimated).toHaveLength(1);
  });

  it('a plan put over the API waits one period for its first automatic round; one loaded at start catches up at once; rounds never overlap', async () => {
    const r = rig();
    r.drop('m1', [3]);
    r.engine.upsertPlan({ name: 'put', terminals: ['4101-00001'], lookbackMs: 86_400_000, settleMs: 0, everyMs: 3_600_000 }, true);
    const roundsOf = (plan: string) => r.engine.reports.filter((x) => x.planId === plan);
    await r.engine.tick(); // 'curves' (loaded: no period started) runs; 'put' does not
    expect(roundsOf('put')).toEqual([]);
    expect(roundsOf('curves')).toHaveLength(1);
    r.advance(3_600_000);
    await r.engine.tick();
    expect(roundsOf('put').map((x) => x.round)).toEqual([1]);
    // Two rounds asked for at once run one after the other, each finishing before the next starts.
    r.drop('m2', [7]);
    const [a, b] = await Promise.all([r.engine.runRound('put'), r.engine.runRound('put')]);
    expect([a.round, b.round]).toEqual([2, 3]);
    expect(roundsOf('put').map((x) => x.round)).toEqual([1, 2, 3]);
    // Round 2 found the new gap and read it (the stand-in store holds it at once); round 3 looked after.
    expect(a.gapsFound).toBe(1);
    expect(b.gapsFound).toBe(0);
  });

  it('a daily freeze has one slot per local midnight, due once its day is over, stored under its own quantity', () => {
    const daily = { fn: 161, intervalMs: 86_400_000 };
    // From 10:00 on day 1 to 01:00 on day 3: day 2's freeze (its day ended at day 3's midnight) is due; day 3's is not.
    expect(itemWindow(daily, DAY + 10 * 4 * Q, DAY + 2 * 86_400_000 + 4 * Q)).toEqual({ fromMs: DAY + 86_400_000, toMs: DAY + 2 * 86_400_000 });
    expect(itemWindow(daily, DAY, DAY + 86_400_000)).toEqual({ fromMs: DAY, toMs: DAY + 86_400_000 });
    expect(itemWindow({ fn: 81, intervalMs: Q }, DAY + Q, DAY + 5 * Q)).toEqual({ fromMs: DAY + Q, toMs: DAY + 5 * Q });
    expect(itemQuantity(161)).toBe('energy.active.import.daily');
    expect(itemQuantity(101)).toBe('energy.active.import');
  });

  it('refuses a plan it cannot run, saying why', () => {
    const r = rig();
    expect(() => r.engine.upsertPlan({ name: 'Bad Name', terminals: [] })).toThrow(/name: lower-case.*terminals: at least one/);
    expect(() => r.engine.upsertPlan({ name: 'x', terminals: ['4101-00001'], items: [{ fn: 7, intervalMs: 900_000 }] })).toThrow(/F7 is not an AFN 0DH item/);
    expect(() => r.engine.upsertPlan({ name: 'x', terminals: ['4101-00001'], items: [{ fn: 161, intervalMs: 900_000 }] })).toThrow(/F161: a daily freeze has one slot a day/);
    expect(() => r.engine.upsertPlan({ name: 'x', terminals: ['4101-00001'], items: [{ fn: 81, intervalMs: 86_400_000 }] })).toThrow(/F81: curves are collected at 15 minutes/);
  });
});
