import type { Redis } from '@gridstation/cache';

// Connection registry: which communication instance holds a terminal's connection, so a command issued
// on any instance reaches the right one. Entries carry a TTL refreshed by the terminal's heartbeats, so a
// crashed instance's entries expire by themselves.

export interface ConnectionOwner {
  instanceId: string;
  /** gRPC address of the owning instance's DownlinkService. */
  grpcAddress: string;
  connectionId: string;
  sinceMs: number;
}

export interface ConnectionRegistry {
  claim(terminal: string, owner: ConnectionOwner, ttlMs: number): Promise<void>;
  /** Removes the entry only if this connection still owns it (a reconnect elsewhere must not be undone). */
  release(terminal: string, connectionId: string): Promise<void>;
  owner(terminal: string): Promise<ConnectionOwner | undefined>;
  healthCheck(): Promise<void>;
}

export class MemoryRegistry implements ConnectionRegistry {
  private readonly owners = new Map<string, { owner: ConnectionOwner; until: number }>();

  async claim(terminal: string, owner: ConnectionOwner, ttlMs: number): Promise<void> {
    this.owners.set(terminal, { owner, until: Date.now() + ttlMs });
  }

  async release(terminal: string, connectionId: string): Promise<void> {
    if (this.owners.get(terminal)?.owner.connectionId === connectionId) this.owners.delete(terminal);
  }

  async owner(terminal: string): Promise<ConnectionOwner | undefined> {
    const e = this.owners.get(terminal);
    return e && e.until > Date.now() ? e.owner : undefined;
  }

  async healthCheck(): Promise<void> {
    /* in-process */
  }
}

const RELEASE_IF_OWNER = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).connectionId == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisRegistry implements ConnectionRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gs:conn',
  ) {}

  async claim(terminal: string, owner: ConnectionOwner, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}:${terminal}`, JSON.stringify(owner), 'PX', ttlMs);
  }

  async release(terminal: string, connectionId: string): Promise<void> {
    await this.redis.eval(RELEASE_IF_OWNER, 1, `${this.prefix}:${terminal}`, connectionId);
  }

  async owner(terminal: string): Promise<ConnectionOwner | undefined> {
    const v = await this.redis.get(`${this.prefix}:${terminal}`);
    return v === null ? undefined : (JSON.parse(v) as ConnectionOwner);
  }

  async healthCheck(): Promise<void> {
    await this.redis.ping();
  }
}

export const CONNECTION_REGISTRY = Symbol('gridstation.connectionRegistry');
