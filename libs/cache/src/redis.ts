import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '@gridstation/config';
import { registerUnavailabilityRule } from '@gridstation/errors';

export type { Redis } from 'ioredis';

// ioredis's ways of saying the server is away or busy: commands that outlived the retries of a lost
// connection, a closed connection, and the server's own "try later" replies. A WRONGTYPE or a script
// error is a bug in the request, not an outage.
const REDIS_DOWN = /Connection is closed|Stream isn't writeable|Reached the max retries|^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;
registerUnavailabilityRule('ioredis', (e) => e instanceof Error && (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(e.message)));

/**
 * An ioredis client for the station's hot-path state (connection registry, topology cache). Commands
 * wait in ioredis's offline queue only briefly: a Redis outage surfaces as errors the caller can turn
 * into retries, instead of an unbounded in-memory queue.
 */
export function createRedis(config: RedisConfig, overrides: Partial<RedisOptions> = {}): Redis {
  return new Redis(config.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 5000),
    ...overrides,
  });
}

export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status === 'wait') await redis.connect();
  const pong = await redis.ping();
  if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end' || redis.status === 'wait') {
    redis.disconnect();
    return;
  }
  await redis.quit();
}
