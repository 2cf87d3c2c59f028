import { areaLoss, consumption } from './line-loss';

const area = { area: 'A1', master: 'M', users: ['u1', 'u2'] };

describe('transformer-area line loss', () => {
  it('supplied minus consumed, as a rate of supplied', () => {
    const f = new Map([
      ['M', { open: 1000, close: 1100 }],
      ['u1', { open: 10, close: 50 }],
      ['u2', { open: 500, close: 554 }],
    ]);
    const l = areaLoss(area, f);
    expect(l.suppliedKwh).toBe(100);
    expect(l.consumedKwh).toBe(94);
    expect(l.lossRate).toBeCloseTo(0.06, 10);
    expect(l.flags).toEqual([]);
  });

  it('consumption across a register wrap; a register going backwards is no consumption', () => {
    expect(consumption(999_990, 5, 999_999.9999)).toBeCloseTo(15, 4);
    expect(consumption(500, 400)).toBeNaN();
  });

  it('flags negative and high losses, and an area with unread meters as incomplete with the meters named', () => {
    const neg = areaLoss(area, new Map([['M', { open: 0, close: 100 }], ['u1', { open: 0, close: 60 }], ['u2', { open: 0, close: 50 }]]));
    expect(neg.flags).toEqual(['NEGATIVE']);
    const high = areaLoss(area, new Map([['M', { open: 0, close: 100 }], ['u1', { open: 0, close: 40 }], ['u2', { open: 0, close: 40 }]]));
    expect(high.flags).toEqual(['HIGH']);
    const partial = areaLoss(area, new Map([['M', { open: 0, close: 100 }], ['u1', { open: 0 }]]));
    expect(partial.flags).toEqual(['INCOMPLETE']);
    expect(partial.unreadable).toEqual(['u1', 'u2']);
    expect(partial.lossRate).toBeNaN();
    expect(partial.explanation).toMatch(/2 meter\(s\) without both daily freezes: u1, u2/);
    const noMaster = areaLoss(area, new Map([['u1', { open: 0, close: 1 }], ['u2', { open: 0, close: 1 }]]));
    expect(noMaster.unreadable[0]).toBe('M');
    expect(noMaster.explanation).toMatch(/master meter was not read/);
  });
});
