import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseConfig } from '@gridstation/config';
import { infra, requireService, uniqueName } from '@gridstation/testing';
import { applyMigrations, inList, loadMigrations, openClickHouse, pingClickHouse, sql, type ClickHouseHandle } from '../src';

const FIXTURES = join(__dirname, 'migrations-fixture');

describe('ClickHouse adapter against a real server', () => {
  const database = uniqueName('gs_it');
  const config: ClickHouseConfig = {
    urls: [infra.clickhouseUrl],
    database,
    username: 'default',
    password: '',
    requestTimeoutMs: 30_000,
    asyncInsert: 'off',
  };
  let ch: ClickHouseHandle;

  beforeAll(async () => {
    await requireService('clickhouse');
    ch = await openClickHouse(config);
  });
  afterAll(async () => {
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await ch.close();
  });

  it('detects the server version and answers pings', async () => {
    await pingClickHouse(ch.client);
    expect(ch.version.major).toBeGreaterThanOrEqual(18);
    expect(ch.version.text).toMatch(/^\d+\.\d+/);
  });

  it('applies migrations once; a second run is a no-op', async () => {
    const migrations = loadMigrations(FIXTURES);
    const first = await applyMigrations(ch.client, migrations, ch.caps);
    expect(first).toEqual({ applied: ['0001_readings_sample', '0002_sample_events'], alreadyApplied: [] });
    const second = await applyMigrations(ch.client, migrations, ch.caps);
    expect(second).toEqual({ applied: [], alreadyApplied: ['0001_readings_sample', '0002_sample_events'] });
    const rs = await ch.client.query({ query: 'SELECT count() AS n FROM gs_schema_migrations', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '2' }]);
  });

  it('refuses a migration that changed after it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-mig-'));
    copyFileSync(join(FIXTURES, '0001_readings_sample.sql'), join(dir, '0001_readings_sample.sql'));
    writeFileSync(join(dir, '0002_sample_events.sql'), 'CREATE TABLE IF NOT EXISTS sample_events (x UInt8) ENGINE = Memory;\n');
    await expect(applyMigrations(ch.client, loadMigrations(dir), ch.caps)).rejects.toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
  });

  it('round-trips inserted rows, including hostile strings and 64-bit integers', async () => {
    await applyMigrations(ch.client, loadMigrations(FIXTURES), ch.caps);
    const rows = [
      { meter_id: '000012345678', quantity: 'energy.active.import', data_time: '2026-11-21 08:00:00', value: 1234.56, received_at_ms: 1795248000123, quality: 0 },
      { meter_id: "o'brien\\meter", quantity: 'voltage.a', data_time: '2026-11-21 08:15:00', value: 229.9, received_at_ms: 1795248900000, quality: 2 },
    ];
    await ch.client.insert({ table: 'sample_readings', values: rows, format: 'JSONEachRow' });
    const rs = await ch.client.query({
      query: sql`SELECT meter_id, value, received_at_ms FROM sample_readings WHERE meter_id IN ${inList(rows.map((r) => r.meter_id))} ORDER BY meter_id`,
      format: 'JSONEachRow',
    });
    const got = await rs.json<{ meter_id: string; value: number; received_at_ms: string }>();
    expect(got).toEqual([
      { meter_id: '000012345678', value: 1234.56, received_at_ms: '1795248000123' },
      { meter_id: "o'brien\\meter", value: 229.9, received_at_ms: '1795248900000' },
    ]);
  });
});
