import { HealthRegistry } from './health-registry';

describe('HealthRegistry', () => {
  it('is ready when every check passes', async () => {
    const h = new HealthRegistry(100, 0);
    h.register('kafka', async () => undefined);
    h.register('redis', async () => undefined);
    const r = await h.readiness();
    expect(r.ready).toBe(true);
    expect(Object.keys(r.checks)).toEqual(['kafka', 'redis']);
  });

  it('names the failing check and its error', async () => {
    const h = new HealthRegistry(100, 0);
    h.register('kafka', async () => undefined);
    h.register('clickhouse', async () => {
      throw new Error('connection refused');
    });
    const r = await h.readiness();
    expect(r.ready).toBe(false);
    expect(r.checks['clickhouse']).toMatchObject({ ok: false, error: 'connection refused' });
    expect(r.checks['kafka']!.ok).toBe(true);
  });

  it('fails a check that does not answer in time', async () => {
    const h = new HealthRegistry(20, 0);
    h.register('hbase', () => new Promise(() => undefined));
    const r = await h.readiness();
    expect(r.checks['hbase']).toMatchObject({ ok: false, error: 'no answer within 20 ms' });
  });

  it('stops being ready once draining starts', async () => {
    const h = new HealthRegistry(100, 10_000);
    h.register('bus', async () => undefined);
    expect((await h.readiness()).ready).toBe(true);
    h.startDraining();
    expect(await h.readiness()).toMatchObject({ ready: false, draining: true });
  });

  it('refuses a second check under the same name', () => {
    const h = new HealthRegistry();
    h.register('bus', async () => undefined);
    expect(() => h.register('bus', async () => undefined)).toThrow(/twice/);
  });
});
