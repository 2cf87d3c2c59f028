import { isDependencyUnavailable } from '@gridstation/errors';
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

describe('what a Redis failure means to a consumer', () => {
  it('an unreachable server is a dependency that is unavailable (retried), a wrong command is not', async () => {
    const r = createRedis({ url: 'redis://127.0.0.1:1' }, { retryStrategy: (n) => (n > 1 ? null : 10), connectTimeout: 300, maxRetriesPerRequest: 1 });
    r.connect().catch(() => undefined);
    const e = await r.get('k').then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(isDependencyUnavailable(e)).toBe(true);
    r.disconnect();
    const wrongType = Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), { name: 'ReplyError' });
    expect(isDependencyUnavailable(wrongType)).toBe(false);
    expect(isDependencyUnavailable(Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }))).toBe(true);
  });
});
