import type { RedisConfig } from '@gridstation/config';
import { closeRedis, createRedis, pingRedis, type Redis } from './redis';

export interface ManagedRedis {
  readonly client: Redis;
  start(): Promise<void>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export function managedRedis(config: RedisConfig): ManagedRedis {
  const client = createRedis(config);
  return {
    client,
    start: () => pingRedis(client),
    healthCheck: () => pingRedis(client),
    close: () => closeRedis(client),
  };
}
