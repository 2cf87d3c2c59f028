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
    });
  });
}
