import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '@gridstation/config';

export type { Redis } from 'ioredis';

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
