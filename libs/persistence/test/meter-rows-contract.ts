import type { WideColumnStore } from '@gridstation/hbase';
import { decodeReadingRow, framePut, meterTableSpec, readingPuts, readingRange } from '../src';
import { reading } from './reading-store-contract';
import { collect } from '@gridstation/testing';

// The meter_data layout on every WideColumnStore adapter (HBase in the integration run, LevelDB in the
// unit run): one contiguous range per meter, raw frames next to their values, idempotent rewrites.

export function meterRowsContract(name: string, open: () => Promise<WideColumnStore>, uniqueTable: () => string): void {
  describe(`meter_data layout: ${name}`, () => {
    let store: WideColumnStore;
    const meters = uniqueTable();
    beforeAll(async () => {
      store = await open();
      await store.createTable(meterTableSpec(meters));
    });
    afterAll(async () => {
      await store.deleteTable(meters);
      await store.close();
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
      // Packed: one cell per row here (each data time came in one frame), rewritten in place.
      expect(scanned.map((r) => r.cells.length)).toEqual([1, 1, 1, 1, 1, 1]);
    });

    it('reads a meter written in both layouts and by a later frame as one value per identity', async () => {
      const m = '000000123458';
      const rows = Array.from({ length: 4 }, (_, k) => reading(m, 'voltage.a', k, 220 + k));
      await store.multiPut(meters, readingPuts(rows, 'cells'));
      await store.multiPut(meters, readingPuts([reading(m, 'voltage.a', 1, 230, { frameId: 'frame-late', storedAtMs: 50 }), reading(m, 'current.a', 1, 7)], 'packed'));
      const scanned = await collect(store.scan(meters, readingRange(m, rows[0]!.dataTimeMs, rows[3]!.dataTimeMs + 1)));
      expect(scanned.flatMap(decodeReadingRow).map((c) => [c.quantity, c.value, c.frameId])).toEqual([
        ['voltage.a', 220, 'frame-0'],
        ['current.a', 7, 'frame-1'],
        ['voltage.a', 230, 'frame-late'],
        ['voltage.a', 222, 'frame-2'],
        ['voltage.a', 223, 'frame-3'],
      ]);
    });
  });
}
