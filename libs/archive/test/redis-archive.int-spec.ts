import { createRedis, closeRedis } from '@gridstation/cache';
import { infra, requireService, uniqueName } from '@gridstation/testing';
import { RedisArchive } from '../src';

describe('RedisArchive (real Redis)', () => {
  const redis = createRedis({ url: infra.redisUrl });
  const prefix = uniqueName('gs:test:archive');

  beforeAll(() => requireService('redis'));
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
  });

  it('stores terminals with their meters and answers both lookups; a terminal without meters is still known', async () => {
    const a = new RedisArchive(redis, prefix);
    await a.put([
      { address: '4101-00010', meters: [{ pn: 2, meterId: '000000001002' }, { pn: 1, meterId: '000000001001' }] },
      { address: '4101-00011', meters: [] },
    ]);
    expect(await a.terminal('4101-00010')).toEqual({ address: '4101-00010', meters: [{ pn: 1, meterId: '000000001001' }, { pn: 2, meterId: '000000001002' }] });
    expect(await a.terminal('4101-00011')).toEqual({ address: '4101-00011', meters: [] });
    expect(await a.terminal('4101-00012')).toBeUndefined();
    expect(await a.meter('000000001002')).toEqual({ terminal: '4101-00010', pn: 2 });
    await a.healthCheck();
  });

  it('keeps the area master meter\'s role', async () => {
    const a = new RedisArchive(redis, prefix);
    await a.put([{ address: '4101-00020', meters: [{ pn: 1, meterId: '000000002001', role: 'master' }, { pn: 2, meterId: '000000002002' }] }]);
    expect((await a.terminal('4101-00020'))!.meters).toEqual([{ pn: 1, meterId: '000000002001', role: 'master' }, { pn: 2, meterId: '000000002002' }]);
    expect(await a.meter('000000002001')).toEqual({ terminal: '4101-00020', pn: 1 });
  });
});
