import { QualityFlag } from '@gridstation/contracts';
import { DependencyUnavailableError, invalidArgument } from '@gridstation/errors';
import type { PutRow, Row } from '@gridstation/hbase';
import { reading } from '../test/reading-store-contract';
import { DualTriggerBatcher } from './batcher';
import { readingsTsv } from './clickhouse-store';
import { decodeReadingRow, meterPrefix, readingPuts, readingRowKey, saltOf, SALT_BUCKETS, meterTableSpec } from './meter-rows';
import { checkMeterId, decodePageToken, encodePageToken, QueryError, withinDeadline } from './query-service';
import { ValidityChecker, DEFAULT_VALIDITY } from './validity';

describe('DualTriggerBatcher', () => {
  it('writes when N rows are waiting, and otherwise after T ms; every caller resolves with its write', async () => {
    const writes: number[][] = [];
    const b = new DualTriggerBatcher<number>({ name: 't', maxRows: 3, maxDelayMs: 50, write: async (rows) => void writes.push(rows) });
    const first = b.add([1, 2]);
    const second = b.add([3]);
    await Promise.all([first, second]);
    expect(writes).toEqual([[1, 2, 3]]);
    const started = Date.now();
    await b.add([4]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every caller of a failed write, and drains what is waiting', async () => {
    let fail = true;
    const b = new DualTriggerBatcher<number>({ name: 't', maxRows: 10, maxDelayMs: 1000, write: async () => { if (fail) throw new Error('store down'); } });
    const p = b.add([1]);
    await b.drain();
    await expect(p).rejects.toThrow('store down');
    fail = false;
    const q = b.add([2]);
    await b.drain();
    await expect(q).resolves.toBeUndefined();
  });

  it('when a shared write fails for good, writes each caller alone so that only the caller with the bad row fails', async () => {
    const writes: number[][] = [];
    const b = new DualTriggerBatcher<number>({
      name: 't',
      maxRows: 100,
      maxDelayMs: 1000,
      write: async (rows) => {
        if (rows.includes(13)) throw invalidArgument('BAD_ROW', 'row 13 is not acceptable');
        writes.push(rows);
      },
    });
    const [a, bad, c] = [b.add([1, 2]), b.add([13]), b.add([3])];
    await b.drain();
    await expect(a).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('row 13');
    await expect(c).resolves.toBeUndefined();
    expect(writes).toEqual([[1, 2], [3]]);
  });

  it('when the store is unavailable, every caller of the shared write fails at once (no per-caller attempts)', async () => {
    let attempts = 0;
    const b = new DualTriggerBatcher<number>({
      name: 't',
      maxRows: 100,
      maxDelayMs: 1000,
      write: async () => {
        attempts++;
        throw new DependencyUnavailableError('store', 'down');
      },
    });
    const all = [b.add([1]), b.add([2])];
    await b.drain();
    for (const p of all) await expect(p).rejects.toThrow('down');
    expect(attempts).toBe(1);
  });
});

describe('ValidityChecker', () => {
  const now = Date.UTC(2026, 10, 21);
  const at = (k: number) => now - 3600_000 + k;
  const known = (id: string) => id !== 'stranger';

  it('flags out-of-range values, future and too-old times, unknown meters; keeps device-invalid ones', () => {
    const c = new ValidityChecker();
    const out = c.check(
      [
        reading('m', 'voltage.a', 0, 221, { dataTimeMs: at(0) }),
        reading('m', 'voltage.b', 0, 5000, { dataTimeMs: at(0) }),
        reading('m', 'power_factor.total', 0, 1.2, { dataTimeMs: at(0) }),
        reading('m', 'voltage.c', 0, 220, { dataTimeMs: now + 10 * 60_000 }),
        reading('m', 'voltage.c', 0, 220, { dataTimeMs: now - 500 * 86_400_000 }),
        reading('stranger', 'voltage.a', 0, 220, { dataTimeMs: at(0) }),
        reading('m', 'current.a', 0, Number.NaN, { dataTimeMs: at(0), quality: QualityFlag.QUALITY_FLAG_DEVICE_INVALID }),
      ],
      now,
      known,
    );
    expect(out.map((o) => o.outcomes)).toEqual([['good'], ['out_of_range'], ['out_of_range'], ['time_in_future'], ['time_too_old'], ['unknown_meter'], ['device_invalid']]);
    expect(out[1]!.reading.quality).toBe(QualityFlag.QUALITY_FLAG_OUT_OF_RANGE);
    expect(out.every((o) => o.write)).toBe(true);
  });

  it('skips an exact duplicate of a stored value and flags a conflicting one; nothing counts as stored before remember()', () => {
    const c = new ValidityChecker({ ...DEFAULT_VALIDITY, recentCapacity: 2 });
    const r = reading('m', 'voltage.a', 0, 221, { dataTimeMs: at(1) });
    expect(c.check([r], now, known)[0]!.write).toBe(true);
    c.remember([r]);
    expect(c.check([r], now, known)[0]).toMatchObject({ write: false, outcomes: ['duplicate'] });
    const changed = c.check([{ ...r, value: 222 }], now, known)[0]!;
    expect(changed).toMatchObject({ write: true, outcomes: ['conflict'] });
    expect(changed.reading.quality & QualityFlag.QUALITY_FLAG_CONFLICT).toBeTruthy();
    c.remember([reading('m', 'voltage.b', 0, 1, { dataTimeMs: at(1) }), reading('m', 'voltage.c', 0, 1, { dataTimeMs: at(1) })]);
    c.remember([reading('m', 'voltage.d', 0, 1, { dataTimeMs: at(1) })]);
    expect(c.check([r], now, known)[0]!.write).toBe(true); // evicted (capacity 2: two generations of one)
  });

  it('holds at most the configured number of identities, however many readings pass', () => {
    const c = new ValidityChecker({ ...DEFAULT_VALIDITY, recentCapacity: 1000 });
    for (let k = 0; k < 50; k++) c.remember(Array.from({ length: 100 }, (_, i) => reading(`m${i}`, 'energy.active.import', 0, k, { dataTimeMs: at(k) })));
    expect(c.remembered).toBeLessThanOrEqual(1000);
    expect(c.remembered).toBeGreaterThanOrEqual(500);
  });
});

describe('meter_data row key', () => {
  it('gives every row of a meter one prefix, sorts its rows by time, and spreads meters over the salt buckets', () => {
    const m = '410100001001';
    const k1 = readingRowKey(m, 1_000);
    const k2 = readingRowKey(m, 2_000);
    expect(k1.subarray(0, meterPrefix(m, 'R').length)).toEqual(meterPrefix(m, 'R'));
    expect(Buffer.compare(k1, k2)).toBe(-1);
    const buckets = new Set(Array.from({ length: 2000 }, (_, i) => saltOf(`4101${String(i).padStart(8, '0')}`)));
    expect(buckets.size).toBe(SALT_BUCKETS);
    expect(meterTableSpec().splitKeys).toHaveLength(SALT_BUCKETS - 1);
  });

  it('puts one row per (meter, data time) and decodes back to the same readings', () => {
    const rows = [reading('410100001001', 'voltage.a', 0, 220.5), reading('410100001001', 'current.a', 0, -1.25), reading('410100001001', 'voltage.a', 1, 221)];
    const puts = readingPuts(rows);
    expect(puts).toHaveLength(2);
    const decoded = puts.flatMap((p) => decodeReadingRow({ row: p.row as Buffer, cells: p.cells.map((c) => ({ family: c.family, qualifier: String(c.qualifier), value: c.value as Buffer })) }));
    expect(decoded.map((d) => [d.quantity, d.value, d.dataTimeMs, d.frameId])).toEqual([
      ['current.a', -1.25, rows[0]!.dataTimeMs, 'frame-0'],
      ['voltage.a', 220.5, rows[0]!.dataTimeMs, 'frame-0'],
      ['voltage.a', 221, rows[2]!.dataTimeMs, 'frame-1'],
    ]);
  });

  const asRow = (p: PutRow): Row => ({ row: p.row as Buffer, cells: p.cells.map((c) => ({ family: c.family, qualifier: String(c.qualifier), value: c.value as Buffer })) });

  it('packs the values one frame carried for a meter at a data time into one cell, every field kept', () => {
    const m = '410100001001';
    const rows = [
      reading(m, 'voltage.a', 0, 220.5, { unit: 3, quality: 0x80000001 }),
      reading(m, 'energy.active.import', 0, 12345.678, { tariff: 4 }),
      reading(m, 'current.a', 0, Number.NaN, { quality: 2 }),
    ];
    const [put] = readingPuts(rows, 'packed');
    expect(put!.cells).toHaveLength(1);
    expect(put!.cells[0]!.qualifier).toBe('@frame-0');
    const back = decodeReadingRow(asRow(put!));
    expect(back).toEqual([
      { meterId: m, dataTimeMs: rows[0]!.dataTimeMs, quantity: 'current.a', tariff: 0, value: Number.NaN, quality: 2, unit: 5, frameId: 'frame-0' },
      { meterId: m, dataTimeMs: rows[0]!.dataTimeMs, quantity: 'energy.active.import', tariff: 4, value: 12345.678, quality: 0, unit: 5, frameId: 'frame-0' },
      { meterId: m, dataTimeMs: rows[0]!.dataTimeMs, quantity: 'voltage.a', tariff: 0, value: 220.5, quality: 0x80000001, unit: 3, frameId: 'frame-0' },
    ]);
    expect(readingPuts(rows, 'cells')[0]!.cells).toHaveLength(3);
  });

  it('reads a row written by two frames and in both layouts as one value per identity, the later write winning', () => {
    const m = '410100001001';
    const first = reading(m, 'voltage.a', 0, 220, { frameId: 'frame-a', storedAtMs: 10 });
    const later = reading(m, 'voltage.a', 0, 231, { frameId: 'frame-b', storedAtMs: 20 });
    const other = reading(m, 'current.a', 0, 5, { frameId: 'frame-a', storedAtMs: 10 });
    const old = reading(m, 'voltage.b', 0, 219, { frameId: 'frame-old' });
    // Frame b first in the row on purpose: the winner is chosen by write time, not by cell order.
    const cells = [...readingPuts([later], 'packed'), ...readingPuts([first, other], 'packed'), ...readingPuts([old, { ...first, value: 1 }], 'cells')].flatMap((p) => asRow(p).cells);
    const back = decodeReadingRow({ row: readingRowKey(m, first.dataTimeMs), cells });
    expect(back.map((d) => [d.quantity, d.value, d.frameId])).toEqual([
      ['current.a', 5, 'frame-a'],
      ['voltage.a', 231, 'frame-b'],
      ['voltage.b', 219, 'frame-old'],
    ]);
  });

  it('refuses a packed cell of a version it does not know instead of reading garbage', () => {
    const [put] = readingPuts([reading('410100001001', 'voltage.a', 0, 1)], 'packed');
    const row = asRow(put!);
    row.cells[0]!.value[0] = 9;
    expect(() => decodeReadingRow(row)).toThrow(/version 9, this build reads 1/);
  });
});

describe('query helpers', () => {
  it('round-trips page tokens, refuses foreign ones and tokens of another query', () => {
    const c = { dataTimeMs: 1_700_000_000_000, quantity: 'voltage.a', tariff: 2 };
    const q = { meterId: '410100001001', fromMs: 0, toMs: 10, quantities: ['voltage.a', 'voltage.b'] };
    expect(decodePageToken(encodePageToken(c, q), { ...q, quantities: ['voltage.b', 'voltage.a'] })).toEqual(c);
    expect(() => decodePageToken('not-a-token', q)).toThrow(/page_token is not one this service issued/);
    expect(() => decodePageToken(encodePageToken(c, q), { ...q, meterId: '410100001002' })).toThrow(/belongs to another query/);
    expect(() => decodePageToken(encodePageToken(c, q), { ...q, toMs: 11 })).toThrow(/belongs to another query/);
  });

  it('refuses meter ids that are not identifiers (too long, free text)', () => {
    expect(() => checkMeterId('410100001001')).not.toThrow();
    expect(() => checkMeterId('x'.repeat(10_000))).toThrow(/1 to 32 letters/);
    expect(() => checkMeterId('a b')).toThrow(QueryError);
    expect(() => checkMeterId('')).toThrow(/required/);
  });

  it('ends a query at its deadline', async () => {
    await expect(withinDeadline(Date.now() + 20, () => new Promise((r) => setTimeout(r, 200)))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(withinDeadline(Date.now() - 1, async () => 1)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(withinDeadline(Number.POSITIVE_INFINITY, async () => 7)).resolves.toBe(7);
  });
});

describe('readingsTsv (ClickHouse TabSeparated input)', () => {
  it('writes the 15 insert columns in order, \\N for a missing value, and escapes backslash, tab and newline', () => {
    const r = { ...reading('4101a\tb', 'voltage.a', 7, Number.NaN), frameId: 'f\\1\n' };
    const line = readingsTsv([r]);
    expect(line.endsWith('\n')).toBe(true);
    const cols = line.slice(0, -1).split('\t');
    expect(cols).toHaveLength(15);
    expect(cols[0]).toBe('4101a\\tb');
    expect(cols[1]).toBe('voltage.a');
    expect(cols[3]).toBe(String(r.dataTimeMs));
    expect(cols[4]).toBe('\\N');
    expect(cols[10]).toBe('f\\\\1\\n');
    expect(readingsTsv([{ ...r, value: 12345.6789 }]).split('\t')[4]).toBe('12345.6789');
  });
});
