import { isConnectionError, openClickHouse, pingClickHouse, type ClickHouseHandle } from '@gridstation/clickhouse';
import { DependencyUnavailableError } from '@gridstation/errors';
import type { ClickHouseConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { gsMeter } from '@gridstation/telemetry';

// A pool over several ClickHouse replica URLs. Each replica has its own keep-alive client; a background
// probe pings every replica on an interval and marks it up or down; work goes to the first healthy
// replica in configured order (so writes stick to one replica while it lives) and, when a call fails with
// a connection-level error, the replica is marked down and the call moves to the next one. A batch that
// fails over may have reached the first replica: the tables deduplicate on the reading identity, so the
// second write is harmless. With `replicated` the replicas are one shard's copies (ReplicatedMergeTree
// through ZooKeeper): a write on one is on all, and a retried identical block is dropped by the
// replicas' insert deduplication before it is even written.

export class NoHealthyReplicaError extends DependencyUnavailableError {
  constructor(message: string) {
    super('clickhouse', message);
    this.name = 'NoHealthyReplicaError';
  }
}

interface Replica {
  url: string;
  handle?: ClickHouseHandle;
  up: boolean;
  /** The preparation (migrations) ran on it. */
  prepared: boolean;
  lastError?: string;
}

const failovers = gsMeter('storage').createCounter('gs_clickhouse_failovers_total', { description: 'Calls moved to another ClickHouse replica after an error' });

export class ClickHouseHaPool {
  private readonly replicas: Replica[];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: ClickHouseConfig,
    private readonly log: Logger,
    private readonly probeIntervalMs = 2000,
  ) {
    this.replicas = config.urls.map((url) => ({ url, up: false, prepared: false }));
  }

  /** Opens every replica it can; at least one must answer. Starts the health probe. */
  async start(): Promise<void> {
    await Promise.all(this.replicas.map((r) => this.probe(r)));
    if (!this.replicas.some((r) => r.up)) {
      throw new NoHealthyReplicaError(`no ClickHouse replica answered: ${this.replicas.map((r) => `${r.url} (${r.lastError ?? 'down'})`).join(', ')}`);
    }
    this.timer = setInterval(() => void Promise.all(this.replicas.map((r) => this.probe(r))), this.probeIntervalMs);
    this.timer.unref();
  }

  /** The URLs are replicas of one shard (Replicated*MergeTree tables). */
  get replicated(): boolean {
    return this.config.replicated === true;
  }

  /**
   * Runs `fn` (the migrations) on every replica that is up now, and on each other one when it comes up
   * (before work goes to it): a replica that was down at start gets its tables when it returns.
   */
  async prepareEach(fn: (h: ClickHouseHandle) => Promise<unknown>): Promise<void> {
    this.prepare = fn;
    for (const r of this.replicas) {
      if (!r.up || !r.handle || r.prepared) continue;
      await fn(r.handle);
      r.prepared = true;
    }
  }

  private prepare?: (h: ClickHouseHandle) => Promise<unknown>;

  status(): Array<{ url: string; up: boolean; lastError?: string }> {
    return this.replicas.map((r) => ({ url: r.url, up: r.up, ...(r.lastError ? { lastError: r.lastError } : {}) }));
  }

  /** Runs `fn` on the first healthy replica, moving on to the next on connection errors. */
  async run<T>(fn: (h: ClickHouseHandle) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const r of this.replicas) {
      if (!r.up || !r.handle) continue;
      try {
        return await fn(r.handle);
      } catch (e) {
        if (!isConnectionError(e)) throw e;
        lastError = e;
        r.up = false;
        r.lastError = String(e);
        failovers.add(1, { from: r.url });
        this.log.warn({ replica: r.url, err: e }, 'ClickHouse replica failed; trying the next one');
      }
    }
    throw new NoHealthyReplicaError(`no healthy ClickHouse replica (last error: ${String(lastError ?? 'all marked down')})`);
  }

  async healthCheck(): Promise<void> {
    if (!this.replicas.some((r) => r.up)) throw new NoHealthyReplicaError('no healthy ClickHouse replica');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.replicas.map((r) => r.handle?.close()));
  }

  private async probe(r: Replica): Promise<void> {
    try {
      r.handle ??= await openClickHouse(this.config, r.url);
      await pingClickHouse(r.handle.client);
      if (this.prepare && !r.prepared) {
        await this.prepare(r.handle);
        r.prepared = true;
      }
      if (!r.up) this.log.info({ replica: r.url }, 'ClickHouse replica up');
      r.up = true;
      delete r.lastError;
    } catch (e) {
      if (r.up) this.log.warn({ replica: r.url, err: e }, 'ClickHouse replica down');
      r.up = false;
      r.lastError = String(e);
    }
  }
}
