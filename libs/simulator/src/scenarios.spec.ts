import { AlertKind, AlertState, Alert } from '@gridstation/contracts';
import { Topology } from '@gridstation/archive';
import { DEFAULT_SHAPE, planScenarios, scoreScenarios, simulatorTopology, type ReceivedAlert } from './scenarios';
import { DEFAULT_SIMULATOR, Simulator } from './simulator';

const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: 0, terminals: 40, metersPerTerminal: 8, unknownTerminals: 0 });
const topology = new Topology({ ...simulatorTopology(sim, DEFAULT_SHAPE), version: 1 });
const related = (a: string, b: string) => a === b || topology.ancestors(a).includes(b) || topology.ancestors(b).includes(a);
const counts = { storm: 1, feeder: 1, area: 3, box: 5, flapping: 2, meter: 5, spurious: 5 };

describe('outage scenario plan', () => {
  const cases = planScenarios(sim, { firstRound: 3, outageRounds: 6, seed: 1, shape: DEFAULT_SHAPE, counts });

  it('places every case on a topology element, none inside another', () => {
    expect(cases.map((c) => c.type).sort()).toEqual([...Array(4).fill('storm'), 'feeder', ...Array(3).fill('area'), ...Array(5).fill('box'), ...Array(2).fill('flapping'), ...Array(5).fill('meter'), ...Array(5).fill('spurious')].sort());
    for (const c of cases) expect(topology.element(c.element) ?? topology.meter(c.element)).toBeDefined();
    for (const a of cases) for (const b of cases) if (a !== b) expect({ a: a.element, b: b.element, overlap: related(a.element, b.element) }).toEqual({ a: a.element, b: b.element, overlap: false });
  });

  it('scores an alert on the planned element as right, one on a part of it as wrong, and a spurious case by silence', () => {
    const box = cases.find((c) => c.type === 'box')!;
    const area = cases.find((c) => c.type === 'area')!;
    const spurious = cases.find((c) => c.type === 'spurious')!;
    box.evidenceSentAt = 1_000;
    const alert = (id: string, element: string, state = AlertState.ALERT_STATE_OPEN, revision = 1): ReceivedAlert => ({
      alert: Alert.fromPartial({ alertId: id, kind: AlertKind.ALERT_KIND_OUTAGE, state, revision, elementId: element }),
      receivedAt: 1_250,
    });
    const partOfArea = topology.children(area.element)[0]!;
    const voltage: ReceivedAlert = { alert: Alert.fromPartial({ alertId: 'v', kind: AlertKind.ALERT_KIND_VOLTAGE_HIGH, elementId: spurious.element }), receivedAt: 1 };
    const { types, unattributed, misplaced } = scoreScenarios(cases, [alert('a1', box.element), alert('a2', partOfArea), voltage], related);
    const by = Object.fromEntries(types.map((t) => [t.type, t]));
    expect(by['box']).toMatchObject({ detected: 1, alerts: 1, correctAlerts: 1, delaysMs: [250] });
    expect(by['area']).toMatchObject({ detected: 0, alerts: 1, correctAlerts: 0, precision: 0 });
    expect(by['spurious']).toMatchObject({ cases: 5, detected: 5, recall: 1 });
    expect(unattributed).toEqual([]);
    expect(misplaced).toEqual([`a2 (ALERT_KIND_OUTAGE) on ${partOfArea} for ${area.id} on ${area.element}: r1 ALERT_STATE_OPEN ${partOfArea}`]);
  });
});
