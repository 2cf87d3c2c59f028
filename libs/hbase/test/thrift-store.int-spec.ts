import { collect, hbaseAdmin, infra, requireService, sleep, uniqueName } from '@gridstation/testing';
import { isDependencyUnavailable } from '@gridstation/errors';
import { HBaseError, ThriftHBaseStore, type PutRow, type Row } from '../src';

// Against a real HBase 2.6 (standalone) through its Thrift2 gateway. The second case moves and splits
// regions while the client keeps writing and reading: the failure mode of clients that cache region
// locations themselves.

const rowKey = (i: number) => `${i % 10}-${String(i).padStart(6, '0')}`;
const putOf = (i: number, round = 'v1'): PutRow => ({
  row: rowKey(i),
  cells: [
    { family: 'd', qualifier: 'value', value: `${round}:${i}` },
    { family: 'd', qualifier: 'bin', value: Buffer.from([i & 0xff, 0x00, 0xff]) },
  ],
});
const cell = (r: Row | null, q: string) => r?.cells.find((c) => c.qualifier === q)?.value;

describe('ThriftHBaseStore against HBase 2.6', () => {
  let store: ThriftHBaseStore;
  const table = uniqueName('gs_it');

  beforeAll(async () => {
    await requireService('hbase');
    store = new ThriftHBaseStore({ ...infra.hbase, poolSize: 3, timeoutMs: 30_000, namespace: 'default' });
    await store.createTable({ name: table, families: [{ name: 'd', maxVersions: 1 }], splitKeys: ['3', '6'] });
  });
  afterAll(async () => {
    await store.deleteTable(table);
    await store.close();
  });

  it('says which failures are permanent: an oversized or empty row key and an unknown family are not retried, and classify as dead letters', async () => {
    const good = putOf(1);
    for (const row of ['x'.repeat(40_000), '']) {
      const started = Date.now();
      const e = await store.multiPut(table, [good, { row, cells: [{ family: 'd', qualifier: 'q', value: 'v' }] }]).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(HBaseError);
      expect({ kind: (e as HBaseError).kind, retriable: (e as HBaseError).retriable, dependencyDown: isDependencyUnavailable(e) }).toEqual({ kind: 'invalid-argument', retriable: false, dependencyDown: false });
      // No internal retry round with back-off either.
      expect(Date.now() - started).toBeLessThan(2000);
    }
    const e = await store.put(table, { row: 'r', cells: [{ family: 'no_such_family', qualifier: 'q', value: 'v' }] }).then(() => undefined, (err: unknown) => err);
    expect(e).toMatchObject({ code: 'HBASE_ILLEGAL_ARGUMENT', kind: 'invalid-argument' });
    expect((e as Error).message).toContain('NoSuchColumnFamilyException');
  });

  it('puts, gets and scans across a table pre-split into three regions', async () => {
    const regions = await store.regions(table);
    expect(regions.map((r) => r.startKey.toString())).toEqual(['', '3', '6']);
    await store.put(table, putOf(0));
    await store.multiPut(table, Array.from({ length: 299 }, (_, k) => putOf(k + 1)));
    expect(cell(await store.get(table, rowKey(7)), 'value')?.toString()).toBe('v1:7');
    expect([...(cell(await store.get(table, rowKey(258)), 'bin') ?? [])]).toEqual([258 & 0xff, 0, 255]);
    expect(await store.get(table, 'missing-row')).toBeNull();
    const many = await store.multiGet(table, [rowKey(1), 'nope', rowKey(299)]);
    expect(many.map((r) => (r ? cell(r, 'value')!.toString() : null))).toEqual(['v1:1', null, 'v1:299']);

    const all = await collect(store.scan(table, { pageSize: 37 }));
    expect(all).toHaveLength(300);
    const keys = all.map((r) => r.row.toString());
    expect(keys).toEqual([...keys].sort());
    // Range [4, 6) lies in the middle region only; stop row exclusive.
    const mid = await collect(store.scan(table, { startRow: '4', stopRow: '6', pageSize: 7 }));
    expect(mid).toHaveLength(60);
    expect(mid.every((r) => /^[45]-/.test(r.row.toString()))).toBe(true);
    const limited = await collect(store.scan(table, { startRow: '2', limit: 5, pageSize: 2 }));
    expect(limited.map((r) => r.row.toString())).toEqual(['2-000002', '2-000012', '2-000022', '2-000032', '2-000042']);
    const reversed = await collect(store.scan(table, { startRow: '9-999999', reversed: true, limit: 3, pageSize: 2 }));
    expect(reversed.map((r) => r.row.toString())).toEqual(['9-000299', '9-000289', '9-000279']);
  });

  it('stays correct while a region is moved and another is split under a running client', async () => {
    let running = true;
    let written = 300;
    const errors: unknown[] = [];
    let reads = 0;
    const worker = (async () => {
      while (running) {
        try {
          const batch = Array.from({ length: 20 }, (_, k) => putOf(written + k, 'v2'));
          await store.multiPut(table, batch);
          written += batch.length;
          const probe = Math.floor(Math.random() * written);
          const got = await store.get(table, rowKey(probe));
          const want = probe < 300 ? `v1:${probe}` : `v2:${probe}`;
          if (cell(got, 'value')?.toString() !== want) errors.push(new Error(`row ${rowKey(probe)}: ${String(cell(got, 'value'))} != ${want}`));
          reads++;
        } catch (e) {
          errors.push(e);
        }
        await sleep(5);
      }
    })();
    try {
      await sleep(500);
      const before = await store.regions(table);
      hbaseAdmin('move', table, '5');
      await sleep(300);
      hbaseAdmin('split', table, '8');
      await sleep(500);
      const after = await store.regions(table);
      expect(after.length).toBeGreaterThan(before.length);
      expect(after.map((r) => r.startKey.toString())).toContain('8');
      // The moved region came back with a new region server start code or id: the client had to relocate.
      expect(after.some((r) => r.startKey.toString() === '3' && r.regionId === before.find((b) => b.startKey.toString() === '3')!.regionId)).toBe(true);
    } finally {
      running = false;
      await worker;
    }
    expect(errors).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    const all = await collect(store.scan(table, { pageSize: 250 }));
    expect(all).toHaveLength(written);
    const values = new Map(all.map((r) => [r.row.toString(), cell(r, 'value')!.toString()]));
    for (let i = 0; i < written; i++) expect(values.get(rowKey(i))).toBe(i < 300 ? `v1:${i}` : `v2:${i}`);
  });
});
