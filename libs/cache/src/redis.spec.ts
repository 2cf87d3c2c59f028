import { createRedis, pingRedis, closeRedis } from './redis';

describe('createRedis', () => {
  it('does not connect until asked (services connect during start-up, not at import)', () => {
    const r = createRedis({ url: 'redis://127.0.0.1:1' });
    expect(r.status).toBe('wait');
    r.disconnect();
  });

  it('reports an unreachable server as an error rather than hanging', async () => {
    const r = createRedis({ url: 'redis://127.0.0.1:1' }, { retryStrategy: () => null, connectTimeout: 500 });
    await expect(pingRedis(r)).rejects.toThrow();
    await closeRedis(r);
  });
});
