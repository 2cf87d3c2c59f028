import { currentValue, valuesView, type Revision } from './views';
import type { Flag } from './vee';

// A quarter-hour power series: a spike at slot 2, slot 3 missing, slot 4 edited by an operator.
const q = 900_000;
const raw = [
  { t: 0, v: 1.0 },
  { t: q, v: 1.1 },
  { t: 2 * q, v: 40 },
  { t: 4 * q, v: 1.3 },
];
const flags: Flag[] = [{ t: 2 * q, rule: 'SPIKE', value: 40, detail: '' }];
const rev = (p: Partial<Revision> & Pick<Revision, 'dataTimeMs' | 'value' | 'kind' | 'atMs'>): Revision => ({ meterId: 'm', quantity: 'power.active.total', method: p.kind === 'EDITED' ? 'MANUAL' : 'LINEAR', user: 'u', reason: 'r', previousQuality: 'NONE', ...p });
const revisions = [
  rev({ dataTimeMs: 2 * q, value: 1.15, kind: 'ESTIMATED', atMs: 10 }),
  rev({ dataTimeMs: 3 * q, value: 1.2, kind: 'ESTIMATED', atMs: 10 }),
  rev({ dataTimeMs: 4 * q, value: 1.25, kind: 'EDITED', atMs: 20, user: 'li.wei', reason: 'meter replaced' }),
  rev({ dataTimeMs: 4 * q, value: 1.28, kind: 'EDITED', atMs: 30, user: 'li.wei', reason: 'corrected again' }),
];

describe('value views', () => {
  it('RAW is what was stored, flags shown, nothing replaced', () => {
    const v = valuesView('RAW', raw, flags, revisions);
    expect(v.map((x) => [x.v, x.quality])).toEqual([[1.0, 'RAW'], [1.1, 'RAW'], [40, 'RAW'], [1.3, 'RAW']]);
    expect(v[2]!.rules).toEqual(['SPIKE']);
  });

  it('VALIDATED marks rejected values SUSPECT and puts the latest edit in place of the raw value', () => {
    const v = valuesView('VALIDATED', raw, flags, revisions);
    expect(v.map((x) => [x.t / q, x.v, x.quality])).toEqual([[0, 1.0, 'RAW'], [1, 1.1, 'RAW'], [2, 40, 'SUSPECT'], [4, 1.28, 'EDITED']]);
    expect(v[3]).toMatchObject({ raw: 1.3, method: 'MANUAL' });
  });

  it('ESTIMATED fills the gap and the rejected value with their estimates; an edit still wins', () => {
    const v = valuesView('ESTIMATED', raw, flags, revisions);
    expect(v.map((x) => [x.t / q, x.v, x.quality])).toEqual([[0, 1.0, 'RAW'], [1, 1.1, 'RAW'], [2, 1.15, 'ESTIMATED'], [3, 1.2, 'ESTIMATED'], [4, 1.28, 'EDITED']]);
    expect(v[2]).toMatchObject({ raw: 40, method: 'LINEAR', rules: ['SPIKE'] });
    expect(v[3]!.raw).toBeUndefined();
  });

  it('ROLLOVER is information: the value stays RAW', () => {
    const v = valuesView('VALIDATED', [{ t: 0, v: 999_999.9 }, { t: q, v: 0.2 }], [{ t: q, rule: 'ROLLOVER', value: 0.2, detail: '' }], []);
    expect(v.map((x) => x.quality)).toEqual(['RAW', 'RAW']);
  });

  it('the value an edit replaces is the one the estimated view shows at that time', () => {
    expect(currentValue(3 * q, raw, flags, revisions)).toEqual({ value: 1.2, quality: 'ESTIMATED' });
    expect(currentValue(4 * q, raw, flags, revisions)).toEqual({ value: 1.28, quality: 'EDITED' });
    expect(currentValue(9 * q, raw, flags, revisions)).toEqual({ quality: 'NONE' });
  });
});
