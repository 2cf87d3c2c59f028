import { AlertKind, AlertState } from '@gridstation/contracts';
import { DEFAULT_LIMITS, LimitChecker } from './limits';
import type { VoltageSample } from './signals';
import { oneMeterTopology } from '../test/topology-fixture';

const topology = oneMeterTopology('m1', 'T');
let t = 0;
const sample = (volts: number[], amps: number[] = [10, 10, 10]): VoltageSample => ({ meterId: 'm1', terminal: 'T', dataTimeMs: (t += 900_000), receivedAtMs: t + 1000, volts, amps, frameId: '' });

describe('measurement limits (voltage band 198-235.4 V, imbalance 50 %, two readings in a row)', () => {
  it('opens a high-voltage alert on the second reading above the band and clears after two good ones', () => {
    const c = new LimitChecker(DEFAULT_LIMITS);
    expect(c.check(sample([236, 230, 230]), topology, 1)).toEqual([]);
    const open = c.check(sample([220, 240.2, 230]), topology, 2);
    expect(open).toEqual([expect.objectContaining({ kind: AlertKind.ALERT_KIND_VOLTAGE_HIGH, state: AlertState.ALERT_STATE_OPEN, elementId: 'm1', transformerAreaId: 'A', feederId: 'F', revision: 1 })]);
    expect(open[0]!.evidence[0]).toMatchObject({ value: 240.2, limit: 235.4 });
    expect(c.check(sample([220, 221, 222]), topology, 3)).toEqual([]);
    expect(c.check(sample([220, 221, 222]), topology, 4)).toEqual([expect.objectContaining({ alertId: open[0]!.alertId, kind: AlertKind.ALERT_KIND_VOLTAGE_HIGH, state: AlertState.ALERT_STATE_CLEARED, revision: 2 })]);
  });

  it('does not call zero voltage (no supply) a low voltage, and needs the violation twice in a row', () => {
    const c = new LimitChecker(DEFAULT_LIMITS);
    expect(c.check(sample([0, 0, 0]), topology, 1)).toEqual([]);
    expect(c.check(sample([0, 0, 0]), topology, 2)).toEqual([]);
    expect(c.check(sample([190, 220, 220]), topology, 3)).toEqual([]);
    expect(c.check(sample([220, 220, 220]), topology, 4)).toEqual([]);
    expect(c.check(sample([190, 220, 220]), topology, 5)).toEqual([]);
    expect(c.check(sample([195, 220, 220]), topology, 6)).toEqual([expect.objectContaining({ kind: AlertKind.ALERT_KIND_VOLTAGE_LOW })]);
  });

  it('judges current imbalance only above the minimum current', () => {
    const c = new LimitChecker(DEFAULT_LIMITS);
    // (4 - 1) / 4 = 75 % but under 5 A: light load, not judged.
    expect([...c.check(sample([220, 220, 220], [4, 1, 2]), topology, 1), ...c.check(sample([220, 220, 220], [4, 1, 2]), topology, 2)]).toEqual([]);
    expect(c.check(sample([220, 220, 220], [30, 10, 20]), topology, 3)).toEqual([]);
    expect(c.check(sample([220, 220, 220], [30, 10, 20]), topology, 4)).toEqual([expect.objectContaining({ kind: AlertKind.ALERT_KIND_PHASE_IMBALANCE, details: { value: '0.667', limit: '0.5' } })]);
  });
});
