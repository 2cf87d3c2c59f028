import type { TopologySnapshot } from '@gridstation/archive';
import { AlertKind, AlertState, type Alert } from '@gridstation/contracts';
import { mulberry32 } from './load-model';
import type { SimTerminal } from './sim-terminal';
import type { Simulator } from './simulator';

// Outage scenarios with ground truth. The simulator's terminals are placed on a supply topology (one
// terminal per transformer area, meters in boxes); a plan picks disjoint elements and says, round by
// round, what loses and regains supply and which records get lost or arrive late. While the scenario
// runs, each case notes when the evidence a detector needs was sent (the "last needed evidence"), so
// the detection delay can be measured from outside the station.

export interface TopologyShape {
  metersPerBox: number;
  areasPerFeeder: number;
  feedersPerSubstation: number;
  /** Transformer area capacity, kVA. */
  areaCapacityKva: number;
}

export const DEFAULT_SHAPE: TopologyShape = { metersPerBox: 4, areasPerFeeder: 5, feedersPerSubstation: 4, areaCapacityKva: 100 };

export const areaOf = (t: SimTerminal) => `TA${t.o.region}-${t.o.terminal}`;
export const boxOf = (t: SimTerminal, pn: number, shape: TopologyShape) => `B${t.o.region}-${t.o.terminal}-${Math.ceil(pn / shape.metersPerBox)}`;

/** The supply topology the simulator's terminals sit on (the same ids every run with the same options). */
export function simulatorTopology(sim: Simulator, shape: TopologyShape = DEFAULT_SHAPE): Omit<TopologySnapshot, 'version'> {
  const out: Omit<TopologySnapshot, 'version'> = { elements: [], meters: [] };
  const r = sim.o.region;
  sim.terminals.forEach((t, i) => {
    const feederNo = Math.floor(i / shape.areasPerFeeder);
    const subNo = Math.floor(feederNo / shape.feedersPerSubstation);
    const feeder = `F${r}-${feederNo + 1}`;
    const sub = `S${r}-${subNo + 1}`;
    if (i % (shape.areasPerFeeder * shape.feedersPerSubstation) === 0) out.elements.push({ id: sub, level: 'substation', parent: '', name: `substation ${subNo + 1}` });
    if (i % shape.areasPerFeeder === 0) out.elements.push({ id: feeder, level: 'feeder', parent: sub, name: `feeder ${feederNo + 1}` });
    const area = areaOf(t);
    out.elements.push({ id: area, level: 'area', parent: feeder, capacityKva: shape.areaCapacityKva });
    for (let pn = 1; pn <= t.o.meters; pn++) {
      const box = boxOf(t, pn, shape);
      if ((pn - 1) % shape.metersPerBox === 0) out.elements.push({ id: box, level: 'box', parent: area });
      out.meters.push({ meterId: t.meterId(pn), box, terminal: t.key, pn });
    }
  });
  return out;
}

export type ScenarioType = 'meter' | 'box' | 'area' | 'feeder' | 'storm' | 'flapping' | 'spurious';
export const SCENARIO_TYPES: readonly ScenarioType[] = ['meter', 'box', 'area', 'feeder', 'storm', 'flapping', 'spurious'];

export interface OutageCase {
  id: string;
  type: ScenarioType;
  /** Element that loses supply (for spurious cases: the meter whose record is false). */
  element: string;
  expect: 'outage' | 'flapping' | 'none';
  terminals: SimTerminal[];
  pns: number[];
  startRound: number;
  restoreRound: number;
  /** Noise: power-down records not sent (lost frames), and rounds by which the sent ones are late. */
  lostRecords: number;
  delayRounds: number;
  /** Wall time the last evidence needed for detection was sent; 0 = not yet. */
  evidenceSentAt: number;
  /** Wall time the evidence of restoration was sent; 0 = not yet / none. */
  restoreSentAt: number;
}

export interface PlanOptions {
  firstRound: number;
  /** Rounds an outage lasts before supply returns. */
  outageRounds: number;
  seed: number;
  shape: TopologyShape;
  counts: Record<ScenarioType, number>;
}

/**
 * Picks disjoint elements for each case so that no two cases add up to a larger outage than planned:
 * the last substation (when there are two or more) takes the storm, every feeder in it at once; then
 * per feeder either a whole-feeder case, or at most one transformer-area case plus, in each other area,
 * at most one box-level case (box or flapping) and meter-level cases (meter or spurious) in its other
 * boxes. (One area and single boxes never make a feeder out: a feeder needs two of its areas out.)
 */
export function planScenarios(sim: Simulator, o: PlanOptions): OutageCase[] {
  const rand = mulberry32(o.seed);
  const shape = o.shape;
  const areasPerSub = shape.areasPerFeeder * shape.feedersPerSubstation;
  const terminals = sim.terminals;
  const feeders: SimTerminal[][] = [];
  for (let i = 0; i < terminals.length; i += shape.areasPerFeeder) feeders.push(terminals.slice(i, i + shape.areasPerFeeder));
  const feederId = (f: SimTerminal[]) => `F${sim.o.region}-${feeders.indexOf(f) + 1}`;
  const cases: OutageCase[] = [];
  const left = { ...o.counts };
  let k = 0;
  const start = () => o.firstRound + (k++ % 8); // starts spread over 8 rounds
  const add = (c: Omit<OutageCase, 'id' | 'evidenceSentAt' | 'restoreSentAt' | 'lostRecords' | 'delayRounds'> & Partial<OutageCase>) =>
    cases.push({ id: `${c.type}-${cases.length + 1}`, lostRecords: 0, delayRounds: 0, evidenceSentAt: 0, restoreSentAt: 0, ...c });

  let usable = feeders;
  if (left.storm > 0 && terminals.length >= 2 * areasPerSub && terminals.length % areasPerSub === 0) {
    const storm = feeders.slice(-shape.feedersPerSubstation);
    usable = feeders.slice(0, -shape.feedersPerSubstation);
    const s = start();
    for (const f of storm) add({ type: 'storm', element: feederId(f), expect: 'outage', terminals: f, pns: [], startRound: s, restoreRound: s + o.outageRounds + 2 });
  }
  for (const f of usable) {
    if (left.feeder > 0 && f.length === shape.areasPerFeeder) {
      left.feeder--;
      const s = start();
      // Every other feeder case loses one terminal's power-off record.
      add({ type: 'feeder', element: feederId(f), expect: 'outage', terminals: f, pns: [], startRound: s, restoreRound: s + o.outageRounds, lostRecords: left.feeder % 2 });
      continue;
    }
    for (const [ti, t] of f.entries()) {
      if (ti === 0 && left.area > 0) {
        left.area--;
        const s = start();
        add({ type: 'area', element: areaOf(t), expect: 'outage', terminals: [t], pns: [], startRound: s, restoreRound: s + o.outageRounds });
        continue;
      }
      const boxes = Math.ceil(t.o.meters / shape.metersPerBox);
      for (let b = 1; b <= boxes; b++) {
        const pns = Array.from({ length: shape.metersPerBox }, (_, j) => (b - 1) * shape.metersPerBox + j + 1).filter((pn) => pn <= t.o.meters);
        const box = boxOf(t, pns[0]!, shape);
        if (b === 1 && pns.length >= 2 && (left.box > 0 || left.flapping > 0)) {
          const s = start();
          if (left.flapping > 0 && (left.box === 0 || rand() < 0.3)) {
            left.flapping--;
            add({ type: 'flapping', element: box, expect: 'flapping', terminals: [t], pns, startRound: s, restoreRound: s + 1 });
          } else {
            left.box--;
            // Noise on some boxes: one record lost, or every record a round late.
            const noise = rand();
            add({ type: 'box', element: box, expect: 'outage', terminals: [t], pns, startRound: s, restoreRound: s + o.outageRounds, lostRecords: noise < 0.3 ? 1 : 0, delayRounds: noise > 0.7 ? 1 : 0 });
          }
          continue;
        }
        const pn = pns[Math.floor(rand() * pns.length)]!;
        if (left.meter > 0 && (left.spurious === 0 || rand() < 0.5)) {
          left.meter--;
          const s = start();
          add({ type: 'meter', element: t.meterId(pn), expect: 'outage', terminals: [t], pns: [pn], startRound: s, restoreRound: s + o.outageRounds });
        } else if (left.spurious > 0) {
          left.spurious--;
          add({ type: 'spurious', element: t.meterId(pn), expect: 'none', terminals: [t], pns: [pn], startRound: start(), restoreRound: 0 });
        }
      }
    }
  }
  return cases;
}

/** Rounds the plan needs (last restoration plus a few rounds for the last clears). */
export function planLength(cases: readonly OutageCase[], flapCycles: number): number {
  return Math.max(...cases.map((c) => (c.type === 'flapping' ? c.startRound + 2 * flapCycles : c.restoreRound))) + 4;
}

/**
 * Applies a plan round by round: call `before(round)` before the round's reports are sent and
 * `after(round)` right after. Flapping boxes go down and up every round for `flapCycles` cycles.
 */
export class ScenarioRunner {
  private readonly afterRounds: Array<{ round: number; run: () => void }> = [];
  private readonly beforeRounds: Array<{ round: number; run: () => void }> = [];

  constructor(
    readonly cases: OutageCase[],
    private readonly flapCycles = 4,
    private readonly seed = 7,
  ) {}

  async before(round: number): Promise<void> {
    const rand = mulberry32(this.seed + round);
    for (const c of this.cases) {
      const t = c.terminals[0]!;
      switch (c.type) {
        case 'meter':
        case 'box': {
          if (round === c.startRound) {
            const report = c.pns.filter((_, i) => i >= c.lostRecords);
            if (c.delayRounds > 0) {
              t.meterPowerDown(c.pns, []);
              this.later(round + c.delayRounds, () => t.reportPowerDown(report));
            } else t.meterPowerDown(c.pns, report);
            // The zero readings of this round complete the evidence.
            this.afterRound(round, () => (c.evidenceSentAt = Date.now()));
          }
          if (round === c.restoreRound) {
            t.meterPowerUp(c.pns);
            this.afterRound(round, () => (c.restoreSentAt = Date.now()));
          }
          break;
        }
        case 'spurious':
          if (round === c.startRound) c.evidenceSentAt = t.spuriousPowerDown(c.pns[0]!);
          break;
        case 'flapping': {
          const k = round - c.startRound;
          if (k < 0 || k >= 2 * this.flapCycles) break;
          if (k % 2 === 0) {
            t.meterPowerDown(c.pns);
            if (k === 4) this.afterRound(round, () => (c.evidenceSentAt = Date.now()));
          } else t.meterPowerUp(c.pns);
          break;
        }
        case 'area':
        case 'feeder':
        case 'storm': {
          if (round === c.startRound) {
            let sent = 0;
            c.terminals.forEach((x, i) => {
              const records = c.type === 'storm' ? Array.from({ length: x.o.meters }, (_, k) => k + 1).filter(() => rand() >= 0.3) : [];
              const reported = !(c.lostRecords > 0 && i === c.terminals.length - 1);
              sent = Math.max(sent, x.powerOff(reported, records));
            });
            c.evidenceSentAt = sent;
          }
          if (round === c.restoreRound) {
            const times = await Promise.all(c.terminals.map((x) => x.powerOn()));
            c.restoreSentAt = Math.max(...times);
          }
          break;
        }
      }
    }
    for (const p of this.beforeRounds.filter((x) => x.round === round)) p.run();
  }

  after(round: number): void {
    for (const p of this.afterRounds.filter((x) => x.round === round)) p.run();
  }

  private afterRound(round: number, run: () => void): void {
    this.afterRounds.push({ round, run });
  }

  /** Runs before the reports of a later round. */
  private later(round: number, run: () => void): void {
    this.beforeRounds.push({ round, run });
  }
}

export interface ReceivedAlert {
  alert: Alert;
  receivedAt: number;
}

export interface TypeScore {
  type: ScenarioType;
  cases: number;
  detected: number;
  /** Alerts attributed to this type, and how many of them were right. */
  alerts: number;
  correctAlerts: number;
  precision: number;
  recall: number;
  delaysMs: number[];
  restored: number;
  restoreDelaysMs: number[];
  p50: number;
  p99: number;
  restoreP50: number;
  restoreP99: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * Scores received alerts against the plan. An alert counts for the case whose element it ended on
 * (or, for a wrong one, the case whose element it overlaps); "correct" = the case expected that kind
 * of alert on that element. For spurious cases, recall is the share that raised nothing.
 * `related(a, b)` must say whether two elements overlap (one contains the other).
 */
export function scoreScenarios(
  cases: readonly OutageCase[],
  all: readonly ReceivedAlert[],
  related: (a: string, b: string) => boolean,
): { types: TypeScore[]; unattributed: string[]; misplaced: string[] } {
  const byId = new Map<string, ReceivedAlert[]>();
  // Limit alerts (voltage, imbalance, load) are not what these scenarios are about.
  const received = all.filter((r) => r.alert.kind === AlertKind.ALERT_KIND_OUTAGE || r.alert.kind === AlertKind.ALERT_KIND_FLAPPING);
  for (const r of received) {
    const list = byId.get(r.alert.alertId);
    if (list) list.push(r);
    else byId.set(r.alert.alertId, [r]);
  }
  const scores = new Map<ScenarioType, TypeScore>(
    SCENARIO_TYPES.map((type) => [type, { type, cases: 0, detected: 0, alerts: 0, correctAlerts: 0, precision: 1, recall: 1, delaysMs: [], restored: 0, restoreDelaysMs: [], p50: NaN, p99: NaN, restoreP50: NaN, restoreP99: NaN }]),
  );
  const unattributed: string[] = [];
  const misplaced: string[] = [];
  for (const [, revs] of byId) {
    revs.sort((a, b) => a.alert.revision - b.alert.revision);
    const last = revs[revs.length - 1]!.alert;
    if (last.supersededBy) continue; // absorbed into another alert, which is the one judged
    const exact = cases.find((c) => c.element === last.elementId);
    const c = exact ?? cases.find((x) => related(x.element, last.elementId));
    if (!c) {
      unattributed.push(`${last.alertId} on ${last.elementId}`);
      continue;
    }
    const s = scores.get(c.type)!;
    s.alerts++;
    const ok = exact !== undefined && ((c.expect === 'outage' && last.kind === AlertKind.ALERT_KIND_OUTAGE) || (c.expect === 'flapping' && (last.kind === AlertKind.ALERT_KIND_FLAPPING || last.kind === AlertKind.ALERT_KIND_OUTAGE)));
    if (ok) s.correctAlerts++;
    else misplaced.push(`${last.alertId} (${AlertKind[last.kind]}) on ${last.elementId} for ${c.id} on ${c.element}: ${revs.map((r) => `r${r.alert.revision} ${AlertState[r.alert.state]} ${r.alert.elementId}`).join(', ')}`);
  }
  for (const c of cases) {
    const s = scores.get(c.type)!;
    s.cases++;
    const want = c.expect === 'flapping' ? AlertKind.ALERT_KIND_FLAPPING : AlertKind.ALERT_KIND_OUTAGE;
    const hits = received.filter((r) => r.alert.kind === want && r.alert.elementId === c.element && r.alert.state !== AlertState.ALERT_STATE_CLEARED);
    if (c.expect === 'none') {
      if (!received.some((r) => r.alert.elementId === c.element || related(c.element, r.alert.elementId))) s.detected++;
      continue;
    }
    if (hits.length === 0) continue;
    s.detected++;
    const first = hits.reduce((a, b) => (a.receivedAt <= b.receivedAt ? a : b));
    if (c.evidenceSentAt > 0) s.delaysMs.push(Math.max(0, first.receivedAt - c.evidenceSentAt));
    if (c.expect === 'outage' && c.restoreSentAt > 0) {
      const clear = received.find((r) => r.alert.alertId === first.alert.alertId && r.alert.state === AlertState.ALERT_STATE_CLEARED && !r.alert.supersededBy);
      if (clear) {
        s.restored++;
        s.restoreDelaysMs.push(Math.max(0, clear.receivedAt - c.restoreSentAt));
      }
    }
  }
  for (const s of scores.values()) {
    s.precision = s.alerts === 0 ? 1 : s.correctAlerts / s.alerts;
    s.recall = s.cases === 0 ? 1 : s.detected / s.cases;
    s.p50 = percentile(s.delaysMs, 50);
    s.p99 = percentile(s.delaysMs, 99);
    s.restoreP50 = percentile(s.restoreDelaysMs, 50);
    s.restoreP99 = percentile(s.restoreDelaysMs, 99);
  }
  return { types: [...scores.values()].filter((s) => s.cases > 0), unattributed, misplaced };
}
