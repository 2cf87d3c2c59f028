import { PriorityClass, SubmitTaskSetRequest, TaskSpec } from '@gridstation/contracts';
import { invalidArgument, notFound } from '@gridstation/errors';
import { areaLoss, checkSlots, requestWindows, RecollectionLedger, successRates, type AreaLoss, type Gap, type MeterDay, type RecollectionPolicy, type RecollectionRequest, type SuccessRate } from '@gridstation/metering';
import { qgdw1376 } from '@gridstation/protocols';
import type { Logger } from '@gridstation/telemetry';
import type { CollectedData, MeterPlaces, TaskSets, TerminalMeters, TerminalPresence } from './ports';
import { collectionMetrics } from './metrics';
import { READ_PROGRAM, type ReadInput, type ReadOutput } from './read-program';
import { SYNC_PROGRAM } from './sync-program';
import { CLOCK_PROGRAM } from './clock-program';

// Collection plans, run on the scheduler. Each round of a plan checks what the plan's meters should
// have delivered over its look-back window against what is stored, opens a re-collection request for
// every gap, and submits the requests that are due as one task set: one task per terminal batch, each
// an AFN 0DH read through the downlink. When the set has finished, every request is updated from what
// its read brought (filled, shrunk, timed out, denied, terminal offline) and retried with backoff,
// waits for the terminal's next login, or is given up with its reason.

export interface PlanItem {
  /**
   * AFN 0DH Fn: curves (81 total active power, 89-91 phase voltages, 101 energy readings) or the
   * daily freeze (161 forward active energy, frozen at the day's start).
   */
  fn: number;
  /** Interval of the item's slots: 15 minutes for curves, a day for daily freezes. */
  intervalMs: number;
}

const DAY_MS = 86_400_000;
/** Local midnight is UTC+8 for the daily freezes' slots. */
const UTC_OFFSET_MS = 8 * 3_600_000;

/** The quantity an item's values are stored under (daily freezes get their own). */
export function itemQuantity(fn: number): string {
  const def = qgdw1376.CLASS2[fn]!;
  return def.kind === 'daily' ? `${def.quantity}.daily` : def.quantity;
}

/**
 * The item's slots of [fromMs, toMs): curves every interval; daily freezes at each local midnight
 * whose day had ended by `toMs` (the freeze of a day is read after it).
 */
export function itemWindow(item: PlanItem, fromMs: number, toMs: number): { fromMs: number; toMs: number } {
  if (qgdw1376.CLASS2[item.fn]?.kind !== 'daily') return { fromMs, toMs };
  const from = Math.ceil((fromMs + UTC_OFFSET_MS) / DAY_MS) * DAY_MS - UTC_OFFSET_MS;
  // Day D is due when D + 1 day <= toMs, i.e. D < the last midnight at or before toMs.
  const to = Math.floor((toMs + UTC_OFFSET_MS) / DAY_MS) * DAY_MS - UTC_OFFSET_MS;
  return { fromMs: from, toMs: Math.max(from, to) };
}

export interface CollectionPlan {
  id: string;
  name: string;
  terminals: string[];
  items: PlanItem[];
  /** A round every this long. */
  everyMs: number;
  /** How far back each round looks for gaps. */
  lookbackMs: number;
  /** Slots younger than this are not due yet (terminals report curves hourly). */
  settleMs: number;
  /** The round's reads must be done within this long of the round's start. */
  deadlineMs: number;
  /** Points per curve read (a terminal answers up to 255; smaller reads fail less on bad channels). */
  maxPointsPerRead: number;
  /** Units per read frame. */
  maxUnitsPerRead: number;
  readTimeoutMs: number;
}

export const PLAN_DEFAULTS: Omit<CollectionPlan, 'id' | 'name' | 'terminals'> = {
  items: [{ fn: 81, intervalMs: 900_000 }],
  everyMs: 900_000,
  lookbackMs: 86_400_000,
  settleMs: 75 * 60_000,
  deadlineMs: 600_000,
  maxPointsPerRead: 96,
  maxUnitsPerRead: 8,
  readTimeoutMs: 10_000,
};

export interface RoundReport {
  planId: string;
  round: number;
  startedAtMs: number;
  window: { fromMs: number; toMs: number };
  meters: number;
  gapsFound: number;
  requestsSent: number;
  /** Requests of terminals that are offline now (they wait for a login). */
  waiting: number;
  taskSetId: string;
  settled: boolean;
}

interface Pending {
  plan: CollectionPlan;
  report: RoundReport;
  /** Task name -> the requests its read carries. */
  tasks: Map<string, string[]>;
}

export interface EngineOptions {
  policy: RecollectionPolicy;
  now: () => number;
  /** Estimates (and stores) the slots of a request re-collection gave up on; returns how many. */
  estimate?: (r: RecollectionRequest) => Promise<number>;
}

export class CollectionEngine {
  private readonly plans = new Map<string, CollectionPlan>();
  private readonly rounds = new Map<string, number>();
  private readonly lastRoundAt = new Map<string, number>();
  private roundChain: Promise<void> = Promise.resolve();
  private readonly pending = new Map<string, Pending>();
  readonly reports: RoundReport[] = [];
  readonly ledger: RecollectionLedger;
  private readonly now: () => number;
  private readonly estimate?: (r: RecollectionRequest) => Promise<number>;
  /** Given-up requests whose slots were estimated. */
  private readonly estimated = new Set<string>();
  readonly stats = { rounds: 0, reads: 0, settled: 0, estimated: 0 };
  /** Per plan: stored / expected slots over its window at its last round. */
  readonly windowRatio = new Map<string, number>();
  private readonly m = collectionMetrics();
  private readonly gauges = { windowRatio: () => this.windowRatio, requests: () => this.ledger.all() };

  constructor(
    private readonly data: CollectedData,
    private readonly taskSets: TaskSets,
    private readonly archive: TerminalMeters,
    private readonly presence: TerminalPresence,
    private readonly places: MeterPlaces,
    private readonly log: Logger,
    o: Partial<EngineOptions> = {},
  ) {
    this.ledger = new RecollectionLedger(o.policy);
    this.now = o.now ?? Date.now;
    if (o.estimate) this.estimate = o.estimate;
    this.m.sources.add(this.gauges);
  }

  /**
   * Adds or replaces a plan. A plan new here has its first automatic round one period from now when
   * `startPeriod` is set (a plan put over the API; RunRound runs one at once), or at the next tick when
   * it is not (plans loaded at start: their last round is not known, so they catch up).
   */
  upsertPlan(p: Partial<CollectionPlan> & { name: string; terminals: string[] }, startPeriod = false): CollectionPlan {
    const plan: CollectionPlan = { ...PLAN_DEFAULTS, ...p, id: p.id || p.name };
    const problems: string[] = [];
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(plan.id)) problems.push('name: lower-case letters, digits, . _ -, at most 64');
    if (plan.terminals.length === 0) problems.push('terminals: at least one');
    for (const t of plan.terminals) if (!/^\d{4}-\d{5}$/.test(t)) problems.push(`terminal ${JSON.stringify(t)} is not "A1-A2"`);
    if (plan.items.length === 0) problems.push('items: at least one');
    for (const i of plan.items) {
      const def = qgdw1376.CLASS2[i.fn];
      if (!def) problems.push(`item F${i.fn} is not an AFN 0DH item this station reads`);
      else if (def.kind === 'monthly') problems.push(`item F${i.fn}: monthly freezes are read on demand (ReadFrozenData), not planned yet`);
      else if (def.kind === 'curve' && i.intervalMs !== 900_000) problems.push(`item F${i.fn}: curves are collected at 15 minutes (interval ${i.intervalMs} ms)`);
      else if (def.kind === 'daily' && i.intervalMs !== DAY_MS) problems.push(`item F${i.fn}: a daily freeze has one slot a day (interval ${DAY_MS} ms, not ${i.intervalMs})`);
    }
    if (!(plan.everyMs >= 1000)) problems.push('every: at least a second');
    if (!(plan.lookbackMs >= 900_000)) problems.push('lookback: at least 15 minutes');
    if (!(plan.maxPointsPerRead >= 1 && plan.maxPointsPerRead <= 255)) problems.push('max points per read: 1..255');
    if (!(plan.maxUnitsPerRead >= 1 && plan.maxUnitsPerRead <= 16)) problems.push('max units per read: 1..16');
    if (problems.length) throw invalidArgument('INVALID_PLAN', `the plan is not valid: ${problems.join('; ')}`);
    if (startPeriod && !this.plans.has(plan.id) && !this.lastRoundAt.has(plan.id)) this.lastRoundAt.set(plan.id, this.now());
    this.plans.set(plan.id, plan);
    return plan;
  }

  listPlans(): CollectionPlan[] {
    return [...this.plans.values()];
  }

  plan(id: string): CollectionPlan {
    const p = this.plans.get(id);
    if (!p) throw notFound('PLAN_NOT_FOUND', `collection plan ${id} does not exist`);
    return p;
  }

  /** Rounds due now, and the settling of finished ones (call periodically). */
  async tick(): Promise<void> {
    await this.settleFinished();
    const now = this.now();
    this.ledger.expire(now);
    await this.estimateGivenUp();
    for (const p of this.plans.values()) {
      const busy = [...this.pending.values()].some((x) => x.plan.id === p.id);
      if (busy || now - (this.lastRoundAt.get(p.id) ?? 0) < p.everyMs) continue;
      await this.runRound(p.id);
    }
  }

  /**
   * One round of a plan now: find gaps, open requests, submit the due reads as a task set. Rounds run
   * one at a time (an automatic one and one asked for over the API would open the same requests twice).
   */
  runRound(planId: string): Promise<RoundReport> {
    const plan = this.plan(planId);
    const run = this.roundChain.then(() => this.round(plan));
    this.roundChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async round(plan: CollectionPlan): Promise<RoundReport> {
    const now = this.now();
    const round = (this.rounds.get(plan.id) ?? 0) + 1;
    this.rounds.set(plan.id, round);
    this.lastRoundAt.set(plan.id, now);
    const toMs = Math.floor((now - plan.settleMs) / 900_000) * 900_000;
    const fromMs = Math.max(0, toMs - plan.lookbackMs);
    const meters = await this.metersOf(plan);
    let gapsFound = 0;
    let expected = 0;
    let missing = 0;
    for (const item of plan.items) {
      const quantity = itemQuantity(item.fn);
      const w = itemWindow(item, fromMs, toMs);
      if (w.toMs <= w.fromMs) continue;
      const present = await this.data.dataTimes(meters.map((m) => m.meterId), quantity, w.fromMs, w.toMs);
      for (const m of meters) {
        const c = checkSlots(present.get(m.meterId) ?? [], w.fromMs, w.toMs, item.intervalMs);
        expected += c.expected;
        for (const g of c.gaps) {
          gapsFound++;
          missing += g.points;
          this.ledger.open(m.meterId, m.terminal, quantity, item.intervalMs, g, now);
        }
      }
    }
    // Terminals back online: their waiting requests are due now.
    const terminals = [...new Set(meters.map((m) => m.terminal))];
    const online = new Map<string, boolean>();
    for (const t of terminals) {
      online.set(t, await this.presence.online(t));
      if (online.get(t)) this.ledger.loggedIn(t, now);
    }
    const byMeter = new Map(meters.map((m) => [m.meterId, m]));
    const due = this.ledger.due(now).filter((r) => byMeter.has(r.meterId));
    let waiting = 0;
    const perTerminal = new Map<string, RecollectionRequest[]>();
    for (const r of due) {
      if (!online.get(r.terminal)) {
        this.ledger.attempted(r.id, { kind: 'offline' }, now);
        waiting++;
        continue;
      }
      const list = perTerminal.get(r.terminal) ?? [];
      list.push(r);
      perTerminal.set(r.terminal, list);
    }
    const tasks: TaskSpec[] = [];
    const carried = new Map<string, string[]>();
    for (const [terminal, reqs] of perTerminal) {
      const units: Array<ReadInput['units'][number] & { request: string }> = [];
      for (const r of reqs) {
        const fn = plan.items.find((i) => itemQuantity(i.fn) === r.quantity)!.fn;
        // A daily freeze is one unit per day; curves up to the plan's points per read.
        const perRead = qgdw1376.CLASS2[fn]!.kind === 'daily' ? 1 : plan.maxPointsPerRead;
        for (const w of requestWindows([r.gap], r.intervalMs, perRead)) units.push({ pn: byMeter.get(r.meterId)!.pn, fn, fromMs: w.fromMs, points: w.points, request: r.id });
      }
      for (let k = 0; k < units.length; k += plan.maxUnitsPerRead) {
        const batch = units.slice(k, k + plan.maxUnitsPerRead);
        const name = `${terminal}:${k / plan.maxUnitsPerRead}`;
        const input: ReadInput = { terminal, units: batch.map((u) => ({ pn: u.pn, fn: u.fn, fromMs: u.fromMs, points: u.points })), timeoutMs: plan.readTimeoutMs };
        tasks.push(TaskSpec.fromPartial({ name, program: READ_PROGRAM, priority: PriorityClass.PRIORITY_CLASS_HIGH, deadlineMs: now + plan.deadlineMs, retry: { maxAttempts: 3, backoffMs: 2_000 }, input: { scenarioId: '', dataVersion: '', paramsJson: JSON.stringify(input), scale: batch.length } }));
        carried.set(name, [...new Set(batch.map((u) => u.request))]);
      }
    }
    const report: RoundReport = { planId: plan.id, round, startedAtMs: now, window: { fromMs, toMs }, meters: meters.length, gapsFound, requestsSent: due.length - waiting, waiting, taskSetId: '', settled: tasks.length === 0 };
    if (tasks.length > 0) {
      const set = await this.taskSets.submit(SubmitTaskSetRequest.fromPartial({ name: `collection ${plan.name} round ${round}`, service: 'collection', context: { user: 'collection', project: plan.id, scene: `round ${round}` }, tasks }));
      report.taskSetId = set.id;
      this.pending.set(set.id, { plan, report, tasks: carried });
      this.stats.reads += tasks.length;
    }
    this.stats.rounds++;
    this.windowRatio.set(plan.id, expected ? 1 - missing / expected : 1);
    this.m.rounds.add(1, { plan: plan.id });
    this.m.reads.add(tasks.length, { plan: plan.id });
    this.m.gaps.add(gapsFound, { plan: plan.id });
    this.reports.push(report);
    if (this.reports.length > 500) this.reports.shift();
    this.log.info({ plan: plan.id, round, meters: meters.length, gaps: gapsFound, reads: tasks.length, waiting, set: report.taskSetId }, 'collection round');
    return report;
  }

  /** Submits one archive-sync task per terminal (collection-sync@1); returns the task set id. */
  async syncTerminals(terminals: readonly string[]): Promise<string> {
    const list = [...new Set(terminals)];
    if (list.length === 0) throw invalidArgument('NO_TERMINALS', 'name at least one terminal, or a plan that has some');
    for (const t of list) if (!/^\d{4}-\d{5}$/.test(t)) throw invalidArgument('BAD_TERMINAL', `terminal ${JSON.stringify(t)} is not "A1-A2"`);
    const tasks = list.map((terminal) => TaskSpec.fromPartial({ name: `sync:${terminal}`, program: SYNC_PROGRAM, priority: PriorityClass.PRIORITY_CLASS_NORMAL, retry: { maxAttempts: 3, backoffMs: 5_000 }, input: { scenarioId: '', dataVersion: '', paramsJson: JSON.stringify({ terminal }), scale: 1 } }));
    const set = await this.taskSets.submit(SubmitTaskSetRequest.fromPartial({ name: `archive sync of ${list.length} terminal(s)`, service: 'collection', context: { user: 'collection', scene: 'archive sync' }, tasks }));
    this.log.info({ terminals: list.length, set: set.id }, 'archive sync submitted');
    return set.id;
  }

  /** Submits one clock check (and time set past `thresholdMs`) per terminal; returns the task set id. */
  async checkClocks(terminals: readonly string[], thresholdMs: number): Promise<string> {
    const list = [...new Set(terminals)];
    if (list.length === 0) throw invalidArgument('NO_TERMINALS', 'name at least one terminal, or a plan that has some');
    for (const t of list) if (!/^\d{4}-\d{5}$/.test(t)) throw invalidArgument('BAD_TERMINAL', `terminal ${JSON.stringify(t)} is not "A1-A2"`);
    const tasks = list.map((terminal) => TaskSpec.fromPartial({ name: `clock:${terminal}`, program: CLOCK_PROGRAM, priority: PriorityClass.PRIORITY_CLASS_NORMAL, retry: { maxAttempts: 3, backoffMs: 5_000 }, input: { scenarioId: '', dataVersion: '', paramsJson: JSON.stringify({ terminal, thresholdMs }), scale: 1 } }));
    const set = await this.taskSets.submit(SubmitTaskSetRequest.fromPartial({ name: `clock check of ${list.length} terminal(s)`, service: 'collection', context: { user: 'collection', scene: 'clock check' }, tasks }));
    return set.id;
  }

  /** Estimates the slots of requests given up since the last call (once per request). */
  async estimateGivenUp(): Promise<number> {
    if (!this.estimate) return 0;
    let n = 0;
    for (const r of this.ledger.all()) {
      if (r.state !== 'given_up' || this.estimated.has(r.id)) continue;
      n += await this.estimate(r);
      this.estimated.add(r.id);
    }
    this.stats.estimated += n;
    return n;
  }

  /** Updates the ledger from every finished round's reads. */
  async settleFinished(): Promise<number> {
    let n = 0;
    for (const [setId, p] of [...this.pending]) {
      const set = await this.taskSets.get(setId);
      if (!set || !(set.finishedAtMs > 0)) continue;
      const now = this.now();
      for (const o of await this.taskSets.outcomes(setId)) {
        const ids = p.tasks.get(o.name) ?? [];
        const out = o.ok ? (o.output as ReadOutput | undefined) : undefined;
        for (const id of ids) {
          const req = this.ledger.get(id);
          if (!req) continue;
          if (!out) this.ledger.attempted(id, { kind: 'timeout' }, now);
          else if (out.outcome === 'answered') this.ledger.attempted(id, { kind: 'answered', present: out.present.filter((x) => x.meterId === req.meterId && x.quantity === req.quantity).flatMap((x) => x.times) }, now);
          else this.ledger.attempted(id, { kind: out.outcome }, now);
        }
      }
      p.report.settled = true;
      this.pending.delete(setId);
      this.stats.settled++;
      n++;
    }
    return n;
  }

  /** The KPI: collection success per day and area or terminal, from what is stored. */
  async successRates(planId: string, dayStartMs: number, by: 'area' | 'terminal'): Promise<SuccessRate[]> {
    const plan = this.plan(planId);
    const meters = await this.metersOf(plan);
    const days: MeterDay[] = [];
    for (const item of plan.items) {
      const quantity = itemQuantity(item.fn);
      // The day's slots: its curve points, or its daily freeze (at its start).
      const w = qgdw1376.CLASS2[item.fn]!.kind === 'daily' ? { fromMs: dayStartMs, toMs: dayStartMs + 1 } : { fromMs: dayStartMs, toMs: dayStartMs + 86_400_000 };
      const present = await this.data.dataTimes(meters.map((m) => m.meterId), quantity, w.fromMs, w.toMs);
      for (const m of meters) {
        const c = checkSlots(present.get(m.meterId) ?? [], w.fromMs, w.toMs, item.intervalMs);
        days.push({ meterId: m.meterId, area: this.places.areaOf(m.meterId) ?? '(no area)', terminal: m.terminal, dayStartMs, expected: c.expected, present: c.present });
      }
    }
    return successRates(days, by);
  }

  /** The gaps of a plan's meters in a window, each with what re-collection did about it. */
  async gaps(planId: string, fromMs: number, toMs: number): Promise<Array<{ meterId: string; terminal: string; quantity: string; gap: Gap; request?: RecollectionRequest }>> {
    const plan = this.plan(planId);
    const meters = await this.metersOf(plan);
    const out: Array<{ meterId: string; terminal: string; quantity: string; gap: Gap; request?: RecollectionRequest }> = [];
    const requests = this.ledger.all();
    for (const item of plan.items) {
      const quantity = itemQuantity(item.fn);
      const w = itemWindow(item, fromMs, toMs);
      if (w.toMs <= w.fromMs) continue;
      const present = await this.data.dataTimes(meters.map((m) => m.meterId), quantity, w.fromMs, w.toMs);
      for (const m of meters) {
        for (const gap of checkSlots(present.get(m.meterId) ?? [], w.fromMs, w.toMs, item.intervalMs).gaps) {
          const request = requests.find((r) => r.meterId === m.meterId && r.quantity === quantity && r.original.fromMs <= gap.fromMs && r.original.toMs >= gap.toMs);
          out.push({ meterId: m.meterId, terminal: m.terminal, quantity, gap, ...(request ? { request } : {}) });
        }
      }
    }
    return out;
  }

  /** Stops reporting this engine's gauges. */
  close(): void {
    this.m.sources.delete(this.gauges);
  }

  /**
   * The day's line loss per area (in the archive an area is a terminal's meters; its master meter is
   * the one with role 'master'), from the forward active energy reads at the day's start and end.
   */
  async lineLoss(planId: string, dayStartMs: number): Promise<{ areas: AreaLoss[]; withoutMaster: string[] }> {
    const plan = this.plan(planId);
    const areas: AreaLoss[] = [];
    const withoutMaster: string[] = [];
    const readAt = async (meterId: string, t: number) => (await this.data.series(meterId, 'energy.active.import', t, t + 1))[0]?.v;
    for (const t of plan.terminals) {
      const rec = await this.archive.terminal(t);
      const master = rec?.meters.find((m) => m.role === 'master');
      if (!rec || !master) {
        withoutMaster.push(t);
        continue;
      }
      const freezes = new Map<string, { open?: number; close?: number }>();
      for (const m of rec.meters) {
        const open = await readAt(m.meterId, dayStartMs);
        const close = await readAt(m.meterId, dayStartMs + 86_400_000);
        freezes.set(m.meterId, { ...(open === undefined ? {} : { open }), ...(close === undefined ? {} : { close }) });
      }
      areas.push(areaLoss({ area: t, master: master.meterId, users: rec.meters.filter((m) => m !== master).map((m) => m.meterId) }, freezes));
    }
    return { areas, withoutMaster };
  }

  /** Rounds whose reads are still out. */
  get outstanding(): number {
    return this.pending.size;
  }

  private async metersOf(plan: CollectionPlan): Promise<Array<{ meterId: string; terminal: string; pn: number }>> {
    const out: Array<{ meterId: string; terminal: string; pn: number }> = [];
    for (const t of plan.terminals) {
      const rec = await this.archive.terminal(t);
      for (const m of rec?.meters ?? []) out.push({ meterId: m.meterId, terminal: t, pn: m.pn });
    }
    return out;
  }
}
