import { CachedArchive, MemoryArchive } from './archive';

describe('MemoryArchive', () => {
  it('resolves terminals and meters both ways and forgets meters a terminal no longer has', async () => {
    const a = new MemoryArchive();
    await a.put([{ address: '4101-00001', meters: [{ pn: 1, meterId: '000000000001' }, { pn: 2, meterId: '000000000002' }] }]);
    expect(await a.terminal('4101-00001')).toEqual({ address: '4101-00001', meters: [{ pn: 1, meterId: '000000000001' }, { pn: 2, meterId: '000000000002' }] });
    expect(await a.meter('000000000002')).toEqual({ terminal: '4101-00001', pn: 2 });
    await a.put([{ address: '4101-00001', meters: [{ pn: 1, meterId: '000000000001' }] }]);
    expect(await a.meter('000000000002')).toBeUndefined();
    expect(await a.terminal('4101-09999')).toBeUndefined();
  });
});

describe('CachedArchive', () => {
  it('serves repeated lookups (hits and misses) from memory until the entry expires', async () => {
    const inner = new MemoryArchive();
    const spy = jest.spyOn(inner, 'terminal');
    let now = 0;
    const c = new CachedArchive(inner, 1000, 100, () => now);
    await c.terminal('4101-00001');
    await c.terminal('4101-00001');
    expect(spy).toHaveBeenCalledTimes(1);
    await inner.put([{ address: '4101-00001', meters: [] }]);
    expect(await c.terminal('4101-00001')).toBeUndefined();
    now = 1001;
    expect(await c.terminal('4101-00001')).toEqual({ address: '4101-00001', meters: [] });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('drops cached entries of terminals written through it', async () => {
    const c = new CachedArchive(new MemoryArchive());
    expect(await c.terminal('4101-00002')).toBeUndefined();
    await c.put([{ address: '4101-00002', meters: [{ pn: 3, meterId: '000000000003' }] }]);
    expect((await c.terminal('4101-00002'))?.meters).toHaveLength(1);
    expect(await c.meter('000000000003')).toEqual({ terminal: '4101-00002', pn: 3 });
  });
});
