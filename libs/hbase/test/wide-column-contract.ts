import type { WideColumnStore } from '../src';
import { collect } from '@gridstation/testing';

// The contract every WideColumnStore adapter passes (HBase through Thrift2 in the integration run,
// LevelDB in the unit run): byte-ordered rows, ranges, reversed scans, idempotent puts, a missing table.

export function wideColumnContract(name: string, open: () => Promise<WideColumnStore>, uniqueTable: () => string): void {
  describe(`WideColumnStore contract: ${name}`, () => {
    let store: WideColumnStore;
    const table = uniqueTable();
    beforeAll(async () => {
      store = await open();
      await store.createTable({ name: table, families: [{ name: 'd' }, { name: 'e' }] });
    });
    afterAll(async () => {
      await store.deleteTable(table);
      await store.close();
    });

    it('orders rows by their bytes, including zero bytes, and scans [start, stop)', async () => {
      const keys = [Buffer.from('a'), Buffer.from([0x61, 0x00]), Buffer.from([0x61, 0x00, 0x01]), Buffer.from('a\x01'), Buffer.from('ab'), Buffer.from('b')];
      await store.multiPut(
        table,
        keys.map((k, i) => ({ row: k, cells: [{ family: 'd', qualifier: 'i', value: String(i) }, { family: 'e', qualifier: 'x', value: Buffer.from([0, 255]) }] })),
      );
      const all = await collect(store.scan(table));
      expect(all.map((r) => r.row.toString('hex'))).toEqual(['61', '6100', '610001', '6101', '6162', '62']);
      const mid = await collect(store.scan(table, { startRow: Buffer.from([0x61, 0x00]), stopRow: Buffer.from('ab') }));
      expect(mid.map((r) => r.row.toString('hex'))).toEqual(['6100', '610001', '6101']);
      const rev = await collect(store.scan(table, { startRow: Buffer.from('ab'), stopRow: Buffer.from('a'), reversed: true }));
      expect(rev.map((r) => r.row.toString('hex'))).toEqual(['6162', '6101', '610001', '6100']);
      const limited = await collect(store.scan(table, { limit: 2, families: ['d'] }));
      expect(limited.map((r) => r.cells.map((c) => `${c.family}:${c.qualifier}`))).toEqual([['d:i'], ['d:i']]);
      const got = await store.get(table, Buffer.from([0x61, 0x00]));
      expect(got?.cells.find((c) => c.family === 'e')?.value).toEqual(Buffer.from([0, 255]));
      expect(await store.get(table, 'zzz')).toBeNull();
      expect((await store.multiGet(table, ['b', 'nope'])).map((r) => r?.row.toString() ?? null)).toEqual(['b', null]);
    });

    it('overwrites a cell in place when the same put is repeated', async () => {
      await store.put(table, { row: 'k', cells: [{ family: 'd', qualifier: 'v', value: '1' }] });
      await store.put(table, { row: 'k', cells: [{ family: 'd', qualifier: 'v', value: '2' }] });
      const r = await store.get(table, 'k');
      expect(r?.cells.map((c) => c.value.toString())).toEqual(['2']);
    });

    it('reports a missing table as HBASE_TABLE_NOT_FOUND, a store that is not ready (retried, not dead-lettered)', async () => {
      await expect(store.put('gs_no_such_table_x', { row: 'a', cells: [{ family: 'd', qualifier: 'q', value: 'v' }] })).rejects.toMatchObject({ code: 'HBASE_TABLE_NOT_FOUND', kind: 'unavailable' });
      expect(await store.tableExists('gs_no_such_table_x')).toBe(false);
    });
  });
}
