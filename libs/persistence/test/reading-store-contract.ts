import type { ReadingStore, StoredReading } from '../src';

// The contract every ReadingStore adapter passes (ClickHouse in the integration run, DuckDB in the unit
// run): idempotent writes on the reading identity, newest write wins, latest/curve/paging semantics.

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const Q15 = 15 * 60_000;

export function reading(meterId: string, quantity: string, k: number, value: number, extra: Partial<StoredReading> = {}): StoredReading {
  return {
    meterId,
    quantity,
    tariff: 0,
    dataTimeMs: T0 + k * Q15,
    value,
    unit: 5,
    quality: 0,
    receivedAtMs: T0 + k * Q15 + 1000,
    terminalAddress: '4101-00001',
    measurementPoint: 1,
    frameId: `frame-${k}`,
    sourceTopic: 'gs.raw.frames.v1',
    sourcePartition: 3,
    sourceOffset: 100 + k,
    storedAtMs: 1,
    ...extra,
  };
}

export function readingStoreContract(name: string, open: () => Promise<ReadingStore>, uniqueMeter: () => string): void {
  describe(`ReadingStore contract: ${name}`, () => {
    let store: ReadingStore;
    beforeAll(async () => {
      store = await open();
      await store.migrate();
      await store.migrate(); // idempotent
    });
    afterAll(() => store.close());

    it('reads back exactly what was written, with provenance, NaN for missing values', async () => {
      const m = uniqueMeter();
      // A frame id of an external producer with characters that text formats must escape.
      const odd = 'ext\\frame\t1\n2';
      const rows = [reading(m, 'voltage.a', 0, 220.1), reading(m, 'voltage.a', 1, Number.NaN, { quality: 1 }), reading(m, 'current.a', 0, -1.25, { tariff: 0, frameId: odd })];
      await store.insertReadings(rows);
      const back = await store.readingsOf([m]);
      expect(back).toHaveLength(3);
      expect(back.find((r) => r.quantity === 'current.a')!.frameId).toBe(odd);
      const v0 = back.find((r) => r.quantity === 'voltage.a' && r.dataTimeMs === T0)!;
      expect(v0).toMatchObject({ value: 220.1, unit: 5, quality: 0, frameId: 'frame-0', sourceTopic: 'gs.raw.frames.v1', sourcePartition: 3, sourceOffset: 100, terminalAddress: '4101-00001', measurementPoint: 1 });
      const v1 = back.find((r) => r.quantity === 'voltage.a' && r.dataTimeMs === T0 + Q15)!;
      expect(Number.isNaN(v1.value)).toBe(true);
      expect(v1.quality).toBe(1);
      expect(await store.countReadings([m])).toBe(3);
    });

    it('answers which data times of a quantity each meter has, in a window, without missing values or other tariffs', async () => {
      const a = uniqueMeter();
      const b = uniqueMeter();
      const c = uniqueMeter();
      await store.insertReadings([
        ...[0, 1, 3, 4, 7].map((k) => reading(a, 'power.active.total', k, 1 + k)),
        reading(a, 'power.active.total', 2, Number.NaN, { quality: 1 }),
        reading(a, 'power.active.total', 5, 3, { tariff: 1 }),
        reading(a, 'voltage.a', 5, 220),
        reading(b, 'power.active.total', 6, 2),
      ]);
      const got = await store.dataTimes([a, b, c], 'power.active.total', T0 + Q15, T0 + 7 * Q15);
      expect(got.get(a)).toEqual([1, 3, 4].map((k) => T0 + k * Q15));
      expect(got.get(b)).toEqual([T0 + 6 * Q15]);
      expect(got.has(c)).toBe(false);
      expect((await store.dataTimes([], 'power.active.total', 0, 1)).size).toBe(0);
    });

    it('absorbs a batch written twice and a batch repeating an identity: each identity once, newest write wins', async () => {
      const m = uniqueMeter();
      const batch = Array.from({ length: 50 }, (_, k) => reading(m, 'energy.active.import', k, 1000 + k));
      await store.insertReadings(batch);
      await store.insertReadings(batch);
      await store.insertReadings([reading(m, 'energy.active.import', 3, 9999, { storedAtMs: 5, quality: 128 }), reading(m, 'energy.active.import', 3, 9998, { storedAtMs: 4 })]);
      expect(await store.countReadings([m])).toBe(50);
      const back = await store.readingsOf([m]);
      expect(back).toHaveLength(50);
      expect(back.find((r) => r.dataTimeMs === T0 + 3 * Q15)).toMatchObject({ value: 9999, quality: 128 });
    });

    it('latest: the newest data time per quantity and tariff, optionally filtered', async () => {
      const m = uniqueMeter();
      await store.insertReadings([
        reading(m, 'voltage.a', 5, 221),
        reading(m, 'voltage.a', 7, 223),
        reading(m, 'voltage.a', 6, 222),
        reading(m, 'energy.active.import', 2, 10, { tariff: 1 }),
        reading(m, 'energy.active.import', 4, 12, { tariff: 1 }),
        reading(m, 'energy.active.import', 1, 30, { tariff: 0 }),
      ]);
      const all = await store.latest(m, []);
      expect(all.map((r) => [r.quantity, r.tariff, r.value])).toEqual([
        ['energy.active.import', 0, 30],
        ['energy.active.import', 1, 12],
        ['voltage.a', 0, 223],
      ]);
      expect((await store.latest(m, ['voltage.a'])).map((r) => r.value)).toEqual([223]);
      expect(await store.latest(uniqueMeter(), [])).toEqual([]);
    });

    it('curve: [from, to) ordered by time, quantity, tariff; keyset paging visits every row once', async () => {
      const m = uniqueMeter();
      const rows = [];
      for (let k = 0; k < 40; k++) rows.push(reading(m, 'voltage.a', k, 200 + k), reading(m, 'voltage.b', k, 300 + k));
      await store.insertReadings(rows);
      const from = T0 + 10 * Q15;
      const to = T0 + 30 * Q15;
      const seen: StoredReading[] = [];
      let after: { dataTimeMs: number; quantity: string; tariff: number } | undefined;
      for (;;) {
        const page = await store.curve({ meterId: m, quantities: [], fromMs: from, toMs: to, limit: 7, ...(after ? { after } : {}) });
        seen.push(...page);
        if (page.length < 7) break;
        const last = page[page.length - 1]!;
        after = { dataTimeMs: last.dataTimeMs, quantity: last.quantity, tariff: last.tariff };
      }
      expect(seen).toHaveLength(40);
      expect(seen[0]).toMatchObject({ quantity: 'voltage.a', dataTimeMs: from, value: 210 });
      expect(seen[1]).toMatchObject({ quantity: 'voltage.b', dataTimeMs: from, value: 310 });
      expect(seen[39]).toMatchObject({ quantity: 'voltage.b', dataTimeMs: to - Q15 });
      const only = await store.curve({ meterId: m, quantities: ['voltage.b'], fromMs: from, toMs: to, limit: 100 });
      expect(only.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => 310 + i));
    });

    it('stores events once per event id', async () => {
      const before = await store.countEvents();
      const id = `${uniqueMeter()}|ERC14`;
      const e = { eventId: id, deviceId: '4101-00001', deviceKind: 1, type: 1, code: 'ERC14', occurredAtMs: T0, endedAtMs: 0, receivedAtMs: T0 + 5, terminalAddress: '4101-00001', measurementPoint: 0, attributes: { a: 'b' }, frameId: 'f1', storedAtMs: 1 };
      await store.insertEvents([e, e]);
      await store.insertEvents([{ ...e, storedAtMs: 2 }]);
      expect(await store.countEvents()).toBe(before + 1);
    });

    it('answers its health check', async () => {
      await expect(store.healthCheck()).resolves.toBeUndefined();
    });
  });
}
