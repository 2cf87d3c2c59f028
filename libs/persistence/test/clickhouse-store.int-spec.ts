import { infra, requireService, testLogger, uniqueName } from '@gridstation/testing';
import { ClickHouseHaPool, ClickHouseReadingStore } from '../src';
import { readingStoreContract } from './reading-store-contract';

const database = uniqueName('gs_it_store');
const config = (urls: string[]) => ({ urls, database, username: 'default', password: '', requestTimeoutMs: 10_000, asyncInsert: 'off' as const });

beforeAll(() => requireService('clickhouse'));

readingStoreContract(
  'ClickHouse 18.16 through the HA pool',
  async () => {
    const pool = new ClickHouseHaPool(config([infra.clickhouseUrl]), testLogger());
    await pool.start();
    return new ClickHouseReadingStore(pool);
  },
  () => uniqueName('m'),
);

readingStoreContract(
  'ClickHouse 18.16, readings inserted as JSONEachRow',
  async () => {
    const pool = new ClickHouseHaPool(config([infra.clickhouseUrl]), testLogger());
    await pool.start();
    return new ClickHouseReadingStore(pool, 'JSONEachRow');
  },
  () => uniqueName('m'),
);

describe('ClickHouse HA pool', () => {
  it('fails over from a dead replica to a live one, keeps serving, and a retried batch is stored once', async () => {
    // First URL: a port nothing listens on (a dead replica); second: the real server under another name.
    const live = infra.clickhouseUrl.replace('127.0.0.1', 'localhost');
    const pool = new ClickHouseHaPool(config(['http://127.0.0.1:1', live]), testLogger(), 200);
    await pool.start();
    expect(pool.status().map((s) => s.up)).toEqual([false, true]);
    const store = new ClickHouseReadingStore(pool);
    await store.migrate();
    const m = uniqueName('ha');
    const rows = Array.from({ length: 10 }, (_, k) => ({
      meterId: m, quantity: 'voltage.a', tariff: 0, dataTimeMs: 1_700_000_000_000 + k * 900_000, value: 220 + k, unit: 5, quality: 0,
      receivedAtMs: 1, terminalAddress: '', measurementPoint: 0, frameId: 'f', sourceTopic: '', sourcePartition: 0, sourceOffset: k, storedAtMs: 1,
    }));
    await store.insertReadings(rows);
    await store.insertReadings(rows);
    expect(await store.countReadings([m])).toBe(10);
    await pool.close();
  });

  it('refuses to start when no replica answers, naming each one', async () => {
    const pool = new ClickHouseHaPool(config(['http://127.0.0.1:1', 'http://127.0.0.1:2']), testLogger());
    await expect(pool.start()).rejects.toThrow(/127\.0\.0\.1:1.*127\.0\.0\.1:2/);
    await pool.close();
  });
});
