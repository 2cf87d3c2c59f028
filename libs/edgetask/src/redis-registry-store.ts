import type { Redis } from '@gridstation/cache';
import type { RegistryStore } from './registry';

/** The registries in Redis: one hash per kind (the scheduler's Redis runs with appendonly, appendfsync always). */
export class RedisRegistryStore implements RegistryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async put(kind: 'node' | 'algorithm' | 'application', key: string, value: Uint8Array): Promise<void> {
    await this.redis.hset(`${this.prefix}${kind}`, key, Buffer.from(value));
  }

  async get(kind: 'node' | 'algorithm' | 'application', key: string): Promise<Uint8Array | undefined> {
    return (await this.redis.hgetBuffer(`${this.prefix}${kind}`, key)) ?? undefined;
  }

  async all(kind: 'node' | 'algorithm' | 'application'): Promise<Uint8Array[]> {
    return Object.values(await this.redis.hgetallBuffer(`${this.prefix}${kind}`));
  }
}
