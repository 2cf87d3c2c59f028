import type { Row, WideColumnStore } from '@gridstation/hbase';
import { decodeReadingRow, meterTableSpec, readingPuts, readingRange, framePut } from '../src';
import { reading } from './reading-store-contract';

// The contract every WideColumnStore adapter passes for the station's own use of it (HBase through
// Thrift2 in the integration run, LevelDB in the unit run): byte-ordered rows, ranges, reversed scans,
// idempotent puts, and the meter_data layout round trip.

async function collect(it: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of it) out.push(r);
  return out;
}

export function wideColumnContract(name: string, open: () => Promise<WideColumnStore>, uniqueTable: () => string): void {
  describe(`WideColumnStore contract: ${name}`, () => {
    let store: WideColumnStore;
    const table = uniqueTable();
    const meters = uniqueTable();
    beforeAll(async () => {
      store = await open();
      await store.createTable({ name: table, families: [{ name: 'd' }, { name: 'e' }] });
      await store.createTable(meterTableSpec(meters));
    });
    afterAll(async () => {
      await store.deleteTable(table);
      await store.deleteTable(meters);
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

    it('keeps a meter\'s readings and frames in one range; a time-range scan returns exactly that range', async () => {
      const m = '000000123456';
      const other = '000000123457';
      const rows = [];
      for (let k = 0; k < 24; k++) rows.push(reading(m, 'voltage.a', k, 220 + k / 10), reading(m, 'current.a', k, k), reading(other, 'voltage.a', k, 1));
      await store.multiPut(meters, readingPuts(rows));
      await store.multiPut(meters, readingPuts(rows)); // idempotent
      await store.put(meters, framePut(m, { frameId: 'f-1', protocol: 1, payload: Buffer.from([0x68, 0x16]), terminalAddress: '4101-00001', receivedAtMs: 5, direction: 1, source: 'tcp', connectionId: 'c1' }, { topic: 't', partition: 1, offset: 9 }));
      const from = rows[4 * 3]!.dataTimeMs;
      const to = rows[10 * 3]!.dataTimeMs;
      const scanned = await collect(store.scan(meters, readingRange(m, from, to)));
      expect(scanned).toHaveLength(6);
      const cells = scanned.flatMap(decodeReadingRow);
      expect(cells).toHaveLength(12);
      expect(cells.every((c) => c.meterId === m && c.dataTimeMs >= from && c.dataTimeMs < to)).toBe(true);
      expect(cells.find((c) => c.quantity === 'voltage.a' && c.dataTimeMs === from)).toMatchObject({ value: 220.4, tariff: 0, quality: 0, unit: 5, frameId: 'frame-4' });
    });

    it('reports a missing table as HBASE_TABLE_NOT_FOUND, a store that is not ready (retried, not dead-lettered)', async () => {
      await expect(store.put('gs_no_such_table_x', { row: 'a', cells: [{ family: 'd', qualifier: 'q', value: 'v' }] })).rejects.toMatchObject({ code: 'HBASE_TABLE_NOT_FOUND', kind: 'unavailable' });
      expect(await store.tableExists('gs_no_such_table_x')).toBe(false);
    });
  });
}
