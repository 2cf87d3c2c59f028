import { Topology, type TopologySnapshot } from '@gridstation/archive';
import { AlertKind, AlertState, ElementKind, EvidenceKind, type Alert, type Evidence } from '@gridstation/contracts';
import { DEFAULT_OUTAGE_OPTIONS, newFeederState, OutageEngine, type FeederState } from './outage-engine';

// Feeder F1 with two transformer areas (one terminal each), two boxes of four meters per area:
//   A1 (terminal T1): B11 = m111..m114, B12 = m121..m124
//   A2 (terminal T2): B21 = m211..m214, B22 = m221..m224
function grid(): Topology {
  const s: TopologySnapshot = { version: 1, elements: [{ id: 'S1', level: 'substation', parent: '' }, { id: 'F1', level: 'feeder', parent: 'S1' }], meters: [] };
  for (const a of [1, 2]) {
    s.elements.push({ id: `A${a}`, level: 'area', parent: 'F1', capacityKva: 400 });
    for (const b of [1, 2]) {
      s.elements.push({ id: `B${a}${b}`, level: 'box', parent: `A${a}` });
      for (let m = 1; m <= 4; m++) s.meters.push({ meterId: `m${a}${b}${m}`, box: `B${a}${b}`, terminal: `T${a}`, pn: (b - 1) * 4 + m });
    }
  }
  return new Topology(s);
}

let seq = 0;
const meterEv = (meterId: string, lost: boolean, at: number, kind = EvidenceKind.EVIDENCE_KIND_METER_EVENT): Evidence => ({
  evidenceId: `e${++seq}`,
  kind,
  supplyLost: lost,
  meterId,
  terminalAddress: '',
  occurredAtMs: at,
  ingestedAtMs: 1_000 + at,
  feederId: 'F1',
  detail: '',
  value: 0,
  limit: 0,
});
const zeroV = (meterId: string, at: number) => meterEv(meterId, true, at, EvidenceKind.EVIDENCE_KIND_VOLTAGE);
const normalV = (meterId: string, at: number) => meterEv(meterId, false, at, EvidenceKind.EVIDENCE_KIND_VOLTAGE);
const terminalEv = (terminal: string, lost: boolean, at: number): Evidence => ({ ...meterEv('', lost, at, EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT), terminalAddress: terminal });

describe('outage engine', () => {
  const topology = grid();
  let engine: OutageEngine;
  let state: FeederState;
  let now: number;
  beforeEach(() => {
    engine = new OutageEngine(DEFAULT_OUTAGE_OPTIONS);
    state = newFeederState('F1');
    now = 10_000_000;
  });

  /** Applies evidence, waits out the hold and decides. */
  const step = (evidence: Evidence[], advance = 1000): Alert[] => {
    engine.apply(state, evidence, topology, now);
    now += advance;
    return engine.dueAt(state) > 0 && engine.dueAt(state) <= now ? engine.evaluate(state, topology, now) : [];
  };

  it('localises a meter box from the power-down records of its meters', () => {
    const alerts = step(['m111', 'm112', 'm113', 'm114'].map((m) => meterEv(m, true, 100)));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: AlertKind.ALERT_KIND_OUTAGE, state: AlertState.ALERT_STATE_OPEN, elementKind: ElementKind.ELEMENT_KIND_METER_BOX, elementId: 'B11', transformerAreaId: 'A1', feederId: 'F1', substationId: 'S1', affectedMeterCount: 4, revision: 1, firstEvidenceAtMs: 100 });
    expect(alerts[0]!.evidence).toHaveLength(4);
  });

  it('localises a box from partial evidence (half its meters) but not from one meter', () => {
    expect(step([meterEv('m121', true, 100)])).toEqual([]);
    const alerts = step([meterEv('m123', true, 101)]);
    expect(alerts.map((a) => a.elementId)).toEqual(['B12']);
    expect(alerts[0]!.confidence).toBeCloseTo(0.75);
  });

  it('needs two independent signals for a single meter: a lone power-down record is not an outage', () => {
    expect(step([meterEv('m111', true, 100)])).toEqual([]);
    const alerts = step([zeroV('m111', 900)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ elementKind: ElementKind.ELEMENT_KIND_METER, elementId: 'm111', confidence: 0.9 });
  });

  it('drops a spurious record contradicted by a normal reading, and a lone one that nothing corroborates', () => {
    expect(step([meterEv('m111', true, 100)])).toEqual([]);
    expect(step([normalV('m111', 900)])).toEqual([]);
    expect(step([meterEv('m112', true, 1000)], DEFAULT_OUTAGE_OPTIONS.loneEventTtlMs + 1)).toEqual([]);
    // A second lone record in the same box much later must not pair with the expired one.
    expect(step([meterEv('m113', true, 2000)])).toEqual([]);
  });

  it('takes zero voltage read twice in a row as an outage of that meter', () => {
    expect(step([zeroV('m214', 900)])).toEqual([]);
    expect(step([zeroV('m214', 1800)]).map((a) => a.elementId)).toEqual(['m214']);
  });

  it("localises a transformer area from its terminal's power-off record", () => {
    const alerts = step([terminalEv('T2', true, 500)]);
    expect(alerts.map((a) => [a.elementKind, a.elementId, a.affectedMeterCount])).toEqual([[ElementKind.ELEMENT_KIND_TRANSFORMER_AREA, 'A2', 8]]);
  });

  it('grows a box outage into its feeder: one alert id, the others absorbed', () => {
    const first = step(['m111', 'm112', 'm113'].map((m) => meterEv(m, true, 100)));
    expect(first.map((a) => a.elementId)).toEqual(['B11']);
    const grown = step([terminalEv('T1', true, 101), terminalEv('T2', true, 102)]);
    expect(grown).toHaveLength(1);
    expect(grown[0]).toMatchObject({ alertId: first[0]!.alertId, state: AlertState.ALERT_STATE_UPDATED, elementId: 'F1', elementKind: ElementKind.ELEMENT_KIND_FEEDER, revision: 2, affectedMeterCount: 16 });
  });

  it('clears an outage when supply is back, with the restoration time from the evidence', () => {
    const open = step([terminalEv('T1', true, 500)]);
    const cleared = step([terminalEv('T1', false, 4_000)]);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ alertId: open[0]!.alertId, state: AlertState.ALERT_STATE_CLEARED, clearedAtMs: 4_000, revision: 2 });
    expect(state.incidents).toEqual({});
  });

  it("keeps meters' own power-down records after their terminal's power-on, until they read normal", () => {
    step([terminalEv('T1', true, 500), ...['m111', 'm112', 'm113'].map((m) => meterEv(m, true, 500))]);
    // The area has supply again, but three meters of box B11 said they lost it and have not said otherwise.
    // The alert waits for the rest of the restoration evidence first, then moves to the box.
    expect(step([terminalEv('T1', false, 4_000)])).toEqual([]);
    expect(engine.dueAt(state)).toBe(now + DEFAULT_OUTAGE_OPTIONS.settleMs);
    now = engine.dueAt(state);
    const shrunk = engine.evaluate(state, topology, now);
    expect(engine.dueAt(state)).toBe(0);
    expect(shrunk).toEqual([expect.objectContaining({ state: AlertState.ALERT_STATE_UPDATED, elementId: 'B11', revision: 2 })]);
    const cleared = step(['m111', 'm112', 'm113'].map((m) => normalV(m, 4_500)));
    expect(cleared).toEqual([expect.objectContaining({ state: AlertState.ALERT_STATE_CLEARED, alertId: shrunk[0]!.alertId, clearedAtMs: 4_500 })]);
  });

  it('clears a box as a box when its restoration evidence arrives spread out (last meter late)', () => {
    const boxMeters = ['m111', 'm112', 'm113', 'm114'];
    const open = step(boxMeters.flatMap((m) => [meterEv(m, true, 100), zeroV(m, 900)]));
    expect(open.map((a) => a.elementId)).toEqual(['B11']);
    // Three meters' power-up records first; the fourth (record + zero reading: out on its own) is late.
    expect(step(boxMeters.slice(0, 3).map((m) => meterEv(m, false, 5_000)), 800)).toEqual([]);
    const cleared = step([meterEv('m114', false, 5_000)]);
    expect(cleared).toEqual([expect.objectContaining({ alertId: open[0]!.alertId, elementId: 'B11', state: AlertState.ALERT_STATE_CLEARED, revision: 2 })]);
  });

  it('moves the alert to the one meter still out once the settle time has passed', () => {
    const boxMeters = ['m111', 'm112', 'm113', 'm114'];
    const open = step(boxMeters.flatMap((m) => [meterEv(m, true, 100), zeroV(m, 900)]));
    expect(step(boxMeters.slice(0, 3).map((m) => meterEv(m, false, 5_000)))).toEqual([]);
    expect(engine.dueAt(state)).toBe(now + DEFAULT_OUTAGE_OPTIONS.settleMs);
    now = engine.dueAt(state);
    const moved = engine.evaluate(state, topology, now);
    expect(moved).toEqual([expect.objectContaining({ alertId: open[0]!.alertId, elementId: 'm114', elementKind: ElementKind.ELEMENT_KIND_METER, state: AlertState.ALERT_STATE_UPDATED, affectedMeterCount: 1 })]);
  });

  it('keeps a closed power-down record (down and up both in the past) from raising anything', () => {
    const recs = ['m111', 'm112', 'm113', 'm114'].flatMap((m) => [meterEv(m, true, 100), meterEv(m, false, 160)]);
    expect(step(recs)).toEqual([]);
  });

  it('ignores redelivered evidence', () => {
    const evs = ['m111', 'm112'].map((m) => meterEv(m, true, 100));
    expect(step(evs)).toHaveLength(1);
    expect(engine.apply(state, evs, topology, now)).toBe(false);
    expect(engine.stats.duplicates).toBe(2);
  });

  it('reports a flapping box once instead of an outage per cycle, and clears it after a quiet period', () => {
    const kinds: AlertKind[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      const t = 1000 * (cycle + 1) * 10;
      kinds.push(...step(['m111', 'm112', 'm113', 'm114'].map((m) => meterEv(m, true, t))).map((a) => a.kind));
      // While the flapping box is down only new evidence changes anything: no timed decision is due.
      if (kinds.includes(AlertKind.ALERT_KIND_FLAPPING)) expect(engine.dueAt(state)).toBe(0);
      kinds.push(...step(['m111', 'm112', 'm113', 'm114'].map((m) => meterEv(m, false, t + 5))).map((a) => a.kind));
      // Once it is up, the next decision is due when it has been quiet long enough to clear.
      if (kinds.includes(AlertKind.ALERT_KIND_FLAPPING)) expect(engine.dueAt(state)).toBe(now + DEFAULT_OUTAGE_OPTIONS.flapQuietMs);
    }
    expect(kinds.filter((k) => k === AlertKind.ALERT_KIND_FLAPPING)).toHaveLength(1);
    expect(kinds.filter((k) => k === AlertKind.ALERT_KIND_OUTAGE)).toHaveLength(4); // two outages opened and cleared
    expect(engine.stats.suppressedByFlapping).toBe(2);
    now += DEFAULT_OUTAGE_OPTIONS.flapQuietMs;
    const later = engine.evaluate(state, topology, now);
    expect(later).toEqual([expect.objectContaining({ kind: AlertKind.ALERT_KIND_FLAPPING, state: AlertState.ALERT_STATE_CLEARED })]);
  });

  it('raises nothing for a meter of a flapping box whose restoration record is late', () => {
    const boxMeters = ['m111', 'm112', 'm113', 'm114'];
    const kinds: AlertKind[] = [];
    for (let cycle = 0; cycle < 4; cycle++) {
      const t = 1000 * (cycle + 1) * 10;
      kinds.push(...step(boxMeters.flatMap((m) => [meterEv(m, true, t), zeroV(m, t + 1)])).map((a) => a.kind));
      // Three meters come back at once; m114's power-up record arrives a decision later.
      kinds.push(...step(boxMeters.slice(0, 3).map((m) => meterEv(m, false, t + 5)), 300).map((a) => a.kind));
      kinds.push(...step([meterEv('m114', false, t + 5)]).map((a) => a.kind));
    }
    expect(kinds).toEqual([
      ...[AlertKind.ALERT_KIND_OUTAGE, AlertKind.ALERT_KIND_OUTAGE, AlertKind.ALERT_KIND_OUTAGE, AlertKind.ALERT_KIND_OUTAGE],
      AlertKind.ALERT_KIND_FLAPPING,
    ]);
    expect(engine.stats.suppressedByFlapping).toBeGreaterThanOrEqual(2);
  });

  it('sees two outages when supply came back and went again between two decisions', () => {
    const boxMeters = ['m111', 'm112', 'm113', 'm114'];
    const first = step(boxMeters.map((m) => meterEv(m, true, 100)));
    // Restoration (device time 500) and the next loss (600) arrive together and are judged together.
    const next = step(boxMeters.flatMap((m) => [meterEv(m, false, 500), meterEv(m, true, 600)]));
    expect(next.map((a) => [a.alertId, a.state, a.clearedAtMs])).toEqual([
      [first[0]!.alertId, AlertState.ALERT_STATE_CLEARED, 500],
      [expect.not.stringMatching(first[0]!.alertId), AlertState.ALERT_STATE_OPEN, 0],
    ]);
    // A loss record of one meter that is older than the restoration does not make it a new outage.
    const more = step([meterEv('m111', false, 700), meterEv('m112', true, 650)]);
    expect(more.filter((a) => a.state !== AlertState.ALERT_STATE_UPDATED)).toEqual([]);
  });

  it('counts flapping cycles whose restoration and next loss are judged together', () => {
    const boxMeters = ['m111', 'm112', 'm113', 'm114'];
    const kinds = step(boxMeters.map((m) => meterEv(m, true, 1_000))).map((a) => a.kind);
    for (let cycle = 1; cycle < 3; cycle++) {
      const t = 1_000 * (cycle + 1);
      kinds.push(...step(boxMeters.flatMap((m) => [meterEv(m, false, t - 500), meterEv(m, true, t)])).filter((a) => a.state !== AlertState.ALERT_STATE_CLEARED).map((a) => a.kind));
    }
    expect(kinds).toEqual([AlertKind.ALERT_KIND_OUTAGE, AlertKind.ALERT_KIND_OUTAGE, AlertKind.ALERT_KIND_FLAPPING]);
  });

  it('survives a JSON round trip of its state (how it is kept in Redis)', () => {
    step(['m111', 'm112', 'm113', 'm114'].map((m) => meterEv(m, true, 100)));
    state = JSON.parse(JSON.stringify(state)) as FeederState;
    const cleared = step(['m111', 'm112', 'm113', 'm114'].map((m) => normalV(m, 1000)));
    expect(cleared.map((a) => a.state)).toEqual([AlertState.ALERT_STATE_CLEARED]);
  });

  it('does not count evidence about meters or terminals the topology does not know', () => {
    expect(step([meterEv('m999', true, 1), terminalEv('T9', true, 1)])).toEqual([]);
    expect(engine.stats.unknownDevice).toBe(2);
  });
});
