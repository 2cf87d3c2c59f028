// The device archive: which terminals may connect, and which meter sits behind each measurement point.
// In a province this comes from the marketing/asset system; here it is a port with a Redis adapter (the
// distributed mode) and an in-memory one (embedded mode, unit tests). Readers cache it briefly: a
// terminal logs in once per connection, but every frame needs its meters resolved.

export interface MeterRecord {
  /** 12-digit meter communication address. */
  meterId: string;
  /** Measurement point (pn) under its terminal. */
  pn: number;
  /** 'master': the transformer area's supply meter (line loss compares it with the others). */
  role?: 'master';
}

export interface TerminalRecord {
  /** "A1-A2", e.g. "4101-00018". */
  address: string;
  meters: MeterRecord[];
}

export interface DeviceArchive {
  terminal(address: string): Promise<TerminalRecord | undefined>;
  /** The terminal and pn a meter is installed under. */
  meter(meterId: string): Promise<{ terminal: string; pn: number } | undefined>;
  /** Adds or replaces terminals (and their meters). */
  put(terminals: readonly TerminalRecord[]): Promise<void>;
  healthCheck(): Promise<void>;
}

export class MemoryArchive implements DeviceArchive {
  private readonly terminals = new Map<string, TerminalRecord>();
  private readonly meters = new Map<string, { terminal: string; pn: number }>();

  async terminal(address: string): Promise<TerminalRecord | undefined> {
    return this.terminals.get(address);
  }

  async meter(meterId: string): Promise<{ terminal: string; pn: number } | undefined> {
    return this.meters.get(meterId);
  }

  async put(terminals: readonly TerminalRecord[]): Promise<void> {
    for (const t of terminals) {
      const old = this.terminals.get(t.address);
      for (const m of old?.meters ?? []) this.meters.delete(m.meterId);
      this.terminals.set(t.address, { address: t.address, meters: t.meters.map((m) => ({ ...m })) });
      for (const m of t.meters) this.meters.set(m.meterId, { terminal: t.address, pn: m.pn });
    }
  }

  async healthCheck(): Promise<void> {
    /* in-process: always available */
  }
}

/**
 * A read-through cache in front of any archive. Misses are cached too (an unknown terminal retrying its
 * login every second must not hammer Redis); entries expire after `ttlMs`.
 */
export class CachedArchive implements DeviceArchive {
  private readonly terminals = new Map<string, { at: number; value: TerminalRecord | undefined }>();
  private readonly meters = new Map<string, { at: number; value: { terminal: string; pn: number } | undefined }>();

  constructor(
    private readonly inner: DeviceArchive,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  async terminal(address: string): Promise<TerminalRecord | undefined> {
    return this.cached(this.terminals, address, () => this.inner.terminal(address));
  }

  async meter(meterId: string): Promise<{ terminal: string; pn: number } | undefined> {
    return this.cached(this.meters, meterId, () => this.inner.meter(meterId));
  }

  async put(terminals: readonly TerminalRecord[]): Promise<void> {
    await this.inner.put(terminals);
    for (const t of terminals) {
      this.terminals.delete(t.address);
      for (const m of t.meters) this.meters.delete(m.meterId);
    }
  }

  healthCheck(): Promise<void> {
    return this.inner.healthCheck();
  }

  private async cached<T>(map: Map<string, { at: number; value: T }>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    const now = this.now();
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = await load();
    if (map.size >= this.maxEntries) map.clear();
    map.set(key, { at: now, value });
    return value;
  }
}
