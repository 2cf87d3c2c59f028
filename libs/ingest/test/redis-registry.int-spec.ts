import { closeRedis, createRedis } from '@gridstation/cache';
import { infra, requireService, uniqueName } from '@gridstation/testing';
import { RedisRegistry } from '../src';

describe('RedisRegistry (real Redis)', () => {
  const redis = createRedis({ url: infra.redisUrl });
  const prefix = uniqueName('gs:test:conn');
  beforeAll(() => requireService('redis'));
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
  });

  it('names the owner; a release by a connection that no longer owns the terminal leaves the new owner alone', async () => {
    const r = new RedisRegistry(redis, prefix);
    const a = { instanceId: 'comm-a', grpcAddress: '10.0.0.1:50051', connectionId: 'a.1', sinceMs: 1 };
    const b = { instanceId: 'comm-b', grpcAddress: '10.0.0.2:50051', connectionId: 'b.7', sinceMs: 2 };
    await r.claim('4101-00001', a, 60_000);
    expect(await r.owner('4101-00001')).toEqual(a);
    await r.claim('4101-00001', b, 60_000); // the terminal reconnected to another instance
    await r.release('4101-00001', 'a.1'); // the old connection's close arrives late
    expect(await r.owner('4101-00001')).toEqual(b);
    await r.release('4101-00001', 'b.7');
    expect(await r.owner('4101-00001')).toBeUndefined();
  });

  it('forgets an owner whose heartbeats stopped (entry TTL)', async () => {
    const r = new RedisRegistry(redis, prefix);
    await r.claim('4101-00002', { instanceId: 'x', grpcAddress: 'x:1', connectionId: 'x.1', sinceMs: 0 }, 100);
    await new Promise((res) => setTimeout(res, 250));
    expect(await r.owner('4101-00002')).toBeUndefined();
  });
});
