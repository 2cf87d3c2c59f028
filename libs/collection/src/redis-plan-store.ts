import type { Redis } from '@gridstation/cache';
import type { CollectionPlan } from './engine';
import type { PlanStore } from './tokens';

/** Plans as one JSON value in Redis (the distributed scheduler's store; replaced whole on each change). */
export class RedisPlanStore implements PlanStore {
  constructor(
    private readonly redis: Redis,
    private readonly key = 'gs:collection:plans',
  ) {}

  async load(): Promise<CollectionPlan[]> {
    const v = await this.redis.get(this.key);
    return v ? (JSON.parse(v) as CollectionPlan[]) : [];
  }

  async save(plans: readonly CollectionPlan[]): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(plans));
  }
}
