import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRedis, createRedis, pingRedis } from '@gridstation/cache';
import { infra, requireService, uniqueName } from '@gridstation/testing';
import { LevelTaskStore } from '../src/store/level-task-store';
import { RedisTaskStore } from '../src/store/redis-task-store';
import { taskStoreContract } from './task-store-contract';

taskStoreContract(
  'Redis (real server)',
  async () => {
    await requireService('redis');
    const redis = createRedis({ url: infra.redisUrl });
    await pingRedis(redis);
    const prefix = `${uniqueName('gs:sched-it')}:`;
    return {
      store: new RedisTaskStore(redis, prefix),
      prefix: 'r',
      cleanup: async () => {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        await closeRedis(redis);
      },
    };
  },
  { exclusiveLease: true },
);

taskStoreContract(
  'LevelDB (embedded)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-taskstore-'));
    const store = await LevelTaskStore.openAt(dir);
    return { store, prefix: 'l', cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  },
  { exclusiveLease: false },
);
