import { infra, requireService, uniqueName } from '@gridstation/testing';
import { closeRedis, createRedis, pingRedis, type Redis } from '../src';

describe('Redis against a real server', () => {
  let redis: Redis;

  beforeAll(async () => {
    await requireService('redis');
    redis = createRedis({ url: infra.redisUrl });
    await pingRedis(redis);
  });
  afterAll(() => closeRedis(redis));

  it('round-trips strings, hashes and expiring keys', async () => {
    const key = uniqueName('gs:it');
    await redis.set(`${key}:s`, 'comm-0', 'PX', 60_000);
    expect(await redis.get(`${key}:s`)).toBe('comm-0');
    expect(await redis.pttl(`${key}:s`)).toBeGreaterThan(0);
    await redis.hset(`${key}:h`, { '4101-00018': 'comm-1', '4101-00019': 'comm-2' });
    expect(await redis.hgetall(`${key}:h`)).toEqual({ '4101-00018': 'comm-1', '4101-00019': 'comm-2' });
    expect(await redis.del(`${key}:s`, `${key}:h`)).toBe(2);
  });

  it('pipelines many commands in one round trip', async () => {
    const key = uniqueName('gs:it:p');
    const p = redis.pipeline();
    for (let i = 0; i < 100; i++) p.hset(key, `m${i}`, String(i));
    await p.exec();
    expect(await redis.hlen(key)).toBe(100);
    await redis.del(key);
  });
});
