/** The part of a Map that state-updating code needs. */
export interface KeyValue<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): unknown;
}

const DELETED = Symbol('deleted');

/**
 * Changes to a map that only take effect on commit(). A consumer derives its output with the changes it
 * implies staged, and commits them only once the output was published: a batch that is delivered again
 * (because the publish failed) then meets the same state as the first time. Values are copied on first
 * read so that in-place updates stay staged too.
 */
export class StagedMap<K, V> implements KeyValue<K, V> {
  private readonly changes = new Map<K, V | typeof DELETED>();

  constructor(
    private readonly base: Map<K, V>,
    private readonly copy: (v: V) => V,
  ) {}

  get(key: K): V | undefined {
    const c = this.changes.get(key);
    if (c === DELETED) return undefined;
    if (c !== undefined) return c;
    const v = this.base.get(key);
    if (v === undefined) return undefined;
    const mine = this.copy(v);
    this.changes.set(key, mine);
    return mine;
  }

  set(key: K, value: V): this {
    this.changes.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    this.changes.set(key, DELETED);
    return true;
  }

  commit(): void {
    for (const [k, v] of this.changes) {
      if (v === DELETED) this.base.delete(k);
      else this.base.set(k, v);
    }
    this.changes.clear();
  }
}
