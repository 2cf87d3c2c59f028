import { join } from 'node:path';
import { applyMigrations, loadMigrations, sql, type ClickHouseHandle } from '@gridstation/clickhouse';
import type { Redis } from '@gridstation/cache';
import type { TerminalRecord } from './archive';
import { RedisArchive } from './redis-archive';
import { Topology, type ElementLevel, type TopologyElement, type TopologyMeter, type TopologySnapshot } from './topology';

// Where the topology lives:
//  - ClickHouse (source of truth): topology_elements / topology_meters, one whole snapshot per version,
//    topology_versions says which versions are complete (see migrations/0101_topology.sql).
//  - Redis (hot-path cache), per version v:
//      gs:topo:<v>:e  hash element id -> "level|parent|capacity|name"
//      gs:topo:<v>:m  hash meter id   -> "box|terminal|pn|phase"
//      gs:topo:current                 -> v (switched after both hashes are written)
//    and a message on channel gs:topo:changed with v. Readers reload on the message, and also check
//    gs:topo:current periodically in case they missed one. Old versions expire an hour after replacement.

export const TOPOLOGY_MIGRATIONS_DIR = join(__dirname, 'migrations');
const LEVELS = new Set<ElementLevel>(['substation', 'feeder', 'area', 'box']);

export class ClickHouseTopologySource {
  /** `ch.handle` is read at each call, so a managed client that is started later can be passed in. */
  constructor(private readonly ch: { readonly handle: ClickHouseHandle }) {}

  async migrate(): Promise<void> {
    await applyMigrations(this.ch.handle.client, loadMigrations(TOPOLOGY_MIGRATIONS_DIR), this.ch.handle.caps);
  }

  /** Checks the snapshot, writes it under a new version and makes that version current. */
  async load(snapshot: Omit<TopologySnapshot, 'version'>, source: string): Promise<number> {
    const current = await this.currentVersion();
    const version = Math.max(Date.now(), current + 1);
    new Topology({ ...snapshot, version }); // throws TopologyError before anything is written
    const client = this.ch.handle.client;
    await client.insert({
      table: 'topology_elements',
      format: 'JSONEachRow',
      values: snapshot.elements.map((e) => ({ version, element_id: e.id, level: e.level, parent_id: e.parent, name: e.name ?? '', capacity_kva: e.capacityKva ?? 0 })),
    });
    await client.insert({
      table: 'topology_meters',
      format: 'JSONEachRow',
      values: snapshot.meters.map((m) => ({ version, meter_id: m.meterId, box_id: m.box, terminal_address: m.terminal, pn: m.pn, phase: m.phase ?? '' })),
    });
    await client.insert({
      table: 'topology_versions',
      format: 'JSONEachRow',
      values: [{ version, loaded_at_ms: Date.now(), elements: snapshot.elements.length, meters: snapshot.meters.length, source }],
    });
    return version;
  }

  async currentVersion(): Promise<number> {
    const rs = await this.ch.handle.client.query({ query: 'SELECT max(version) AS v FROM topology_versions', format: 'JSONEachRow' });
    const rows = await rs.json<{ v: string | number }>();
    return Number(rows[0]?.v ?? 0);
  }

  /** The current snapshot (version 0 and nothing in it when none was ever loaded). */
  async read(): Promise<TopologySnapshot> {
    const version = await this.currentVersion();
    if (version === 0) return { version: 0, elements: [], meters: [] };
    const format = 'JSONEachRow' as const;
    const e = await this.ch.handle.client.query({ query: sql`SELECT element_id, level, parent_id, name, capacity_kva FROM topology_elements WHERE version = ${version}`, format });
    const m = await this.ch.handle.client.query({ query: sql`SELECT meter_id, box_id, terminal_address, pn, phase FROM topology_meters WHERE version = ${version}`, format });
    type E = { element_id: string; level: string; parent_id: string; name: string; capacity_kva: number };
    type M = { meter_id: string; box_id: string; terminal_address: string; pn: number; phase: string };
    return {
      version,
      elements: (await e.json<E>()).map((r) => element(r.element_id, r.level, r.parent_id, r.capacity_kva, r.name)),
      meters: (await m.json<M>()).map((r) => meter(r.meter_id, r.box_id, r.terminal_address, Number(r.pn), r.phase)),
    };
  }
}

function element(id: string, level: string, parent: string, capacity: number, name: string): TopologyElement {
  if (!LEVELS.has(level as ElementLevel)) throw new Error(`element ${id}: unknown level "${level}"`);
  const e: TopologyElement = { id, level: level as ElementLevel, parent };
  if (capacity > 0) e.capacityKva = capacity;
  if (name) e.name = name;
  return e;
}

function meter(meterId: string, box: string, terminal: string, pn: number, phase: string): TopologyMeter {
  return phase ? { meterId, box, terminal, pn, phase } : { meterId, box, terminal, pn };
}

/** The terminal -> pn -> meter part of a topology, in the device archive's shape. */
export function archiveOf(snapshot: Pick<TopologySnapshot, 'meters'>): TerminalRecord[] {
  const byTerminal = new Map<string, TerminalRecord>();
  for (const m of snapshot.meters) {
    if (!m.terminal) continue;
    let t = byTerminal.get(m.terminal);
    if (!t) byTerminal.set(m.terminal, (t = { address: m.terminal, meters: [] }));
    t.meters.push({ meterId: m.meterId, pn: m.pn });
  }
  return [...byTerminal.values()];
}

export const TOPOLOGY_CHANNEL = 'gs:topo:changed';
const CHUNK = 5000;

export class RedisTopologyCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gs:topo',
  ) {}

  get channel(): string {
    return this.prefix === 'gs:topo' ? TOPOLOGY_CHANNEL : `${this.prefix}:changed`;
  }

  async write(snapshot: TopologySnapshot): Promise<void> {
    const v = snapshot.version;
    const ek = `${this.prefix}:${v}:e`;
    const mk = `${this.prefix}:${v}:m`;
    await this.redis.del(ek, mk);
    for (let i = 0; i < snapshot.elements.length; i += CHUNK) {
      const part = snapshot.elements.slice(i, i + CHUNK);
      await this.redis.hset(ek, ...part.flatMap((e) => [e.id, `${e.level}|${e.parent}|${e.capacityKva ?? 0}|${e.name ?? ''}`]));
    }
    for (let i = 0; i < snapshot.meters.length; i += CHUNK) {
      const part = snapshot.meters.slice(i, i + CHUNK);
      await this.redis.hset(mk, ...part.flatMap((m) => [m.meterId, `${m.box}|${m.terminal}|${m.pn}|${m.phase ?? ''}`]));
    }
    const previous = await this.redis.getset(`${this.prefix}:current`, String(v));
    if (previous && previous !== String(v)) await this.redis.expire(`${this.prefix}:${previous}:e`, 3600).then(() => this.redis.expire(`${this.prefix}:${previous}:m`, 3600));
    await this.redis.publish(this.channel, String(v));
  }

  async currentVersion(): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}:current`)) ?? 0);
  }

  /** The cached snapshot, or undefined when Redis holds none (cold cache). */
  async read(): Promise<TopologySnapshot | undefined> {
    const version = await this.currentVersion();
    if (version === 0) return undefined;
    const elements: TopologyElement[] = [];
    const meters: TopologyMeter[] = [];
    await this.scan(`${this.prefix}:${version}:e`, (id, v) => {
      const [level, parent, cap, ...name] = v.split('|') as [string, string, string, ...string[]];
      elements.push(element(id, level, parent, Number(cap), name.join('|')));
    });
    await this.scan(`${this.prefix}:${version}:m`, (id, v) => {
      const [box, terminal, pn, phase] = v.split('|') as [string, string, string, string];
      meters.push(meter(id, box, terminal, Number(pn), phase));
    });
    return { version, elements, meters };
  }

  private async scan(key: string, each: (field: string, value: string) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 10_000);
      for (let i = 0; i < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Where the hot path gets the topology from: always answers at once from memory. */
export interface TopologyProvider {
  current(): Topology;
  /** Called after a new version replaced the current one. */
  onChange(listener: (t: Topology) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TopologyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The Redis-cached topology, kept current: loads at start (from ClickHouse, warming Redis, when the
 * cache is cold), reloads when a change is announced on the channel, and checks the current version
 * every `pollMs` in case an announcement was missed. A reload that fails keeps the old topology.
 */
export class CachedTopology implements TopologyProvider {
  private topology = Topology.empty();
  private listeners: Array<(t: Topology) => void> = [];
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;

  constructor(
    private readonly cache: RedisTopologyCache,
    private readonly subscriber: Redis,
    private readonly source: ClickHouseTopologySource | undefined,
    private readonly log: TopologyLog,
    private readonly pollMs = 30_000,
  ) {}

  current(): Topology {
    return this.topology;
  }

  onChange(listener: (t: Topology) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.reload();
    if (this.subscriber.status === 'wait') await this.subscriber.connect();
    await this.subscriber.subscribe(this.cache.channel);
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.cache.channel) void this.reloadQuietly();
    });
    this.timer = setInterval(() => void this.reloadQuietly(true), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.loading?.catch(() => undefined);
    this.subscriber.disconnect();
  }

  /** Loads the current version if it differs from the one held. */
  async reload(onlyIfNewer = false): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      const cachedVersion = await this.cache.currentVersion();
      if (onlyIfNewer && cachedVersion === this.topology.version) return;
      let snapshot = cachedVersion > 0 && cachedVersion !== this.topology.version ? await this.cache.read() : undefined;
      if (!snapshot && cachedVersion === 0 && this.source) {
        snapshot = await this.source.read();
        if (snapshot.version > 0) await this.cache.write(snapshot);
      }
      if (!snapshot || snapshot.version === this.topology.version) return;
      const t = new Topology(snapshot);
      this.topology = t;
      this.log.info({ version: t.version, ...t.size }, 'topology loaded');
      for (const l of this.listeners) l(t);
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reloadQuietly(onlyIfNewer = false): Promise<void> {
    await this.reload(onlyIfNewer).catch((e: unknown) => this.log.warn({ err: e }, 'topology reload failed; keeping the current one'));
  }
}

/**
 * The topology as a resource of a service: its own Redis connections (one for reads, one subscribed
 * to changes) and, for a cold cache, ClickHouse. Started before any worker, so the first record a
 * worker sees is judged with the topology loaded.
 */
export function managedTopology(
  deps: { redis: () => Redis; subscriber: () => Redis; clickhouse?: { readonly handle: ClickHouseHandle; start(): Promise<void>; close(): Promise<void> } },
  log: TopologyLog,
): CachedTopology & { start(): Promise<void>; healthCheck(): Promise<void>; close(): Promise<void> } {
  const redis = deps.redis();
  const source = deps.clickhouse ? new ClickHouseTopologySource(deps.clickhouse) : undefined;
  const topology = new CachedTopology(new RedisTopologyCache(redis), deps.subscriber(), source, log);
  const start = topology.start.bind(topology);
  const stop = topology.stop.bind(topology);
  return Object.assign(topology, {
    async start() {
      if (redis.status === 'wait') await redis.connect();
      if (deps.clickhouse) {
        await deps.clickhouse.start();
        await source!.migrate();
      }
      await start();
    },
    async healthCheck() {
      await redis.ping();
    },
    async close() {
      await stop();
      redis.disconnect();
      await deps.clickhouse?.close();
    },
  });
}

/**
 * Loading a topology, the one way it enters the station (the loader command and the simulator both
 * call this): checked, written to ClickHouse under a new version, pushed to the Redis cache (readers
 * are told on the change channel) and the terminal -> pn -> meter part written to the device archive.
 */
export async function publishTopology(
  snapshot: Omit<TopologySnapshot, 'version'>,
  to: { clickhouse: { readonly handle: ClickHouseHandle }; redis: Redis },
  source: string,
): Promise<TopologySnapshot> {
  const store = new ClickHouseTopologySource(to.clickhouse);
  await store.migrate();
  const version = await store.load(snapshot, source);
  const loaded = { ...snapshot, version };
  await new RedisTopologyCache(to.redis).write(loaded);
  await new RedisArchive(to.redis).put(archiveOf(loaded));
  return loaded;
}

/**
 * A topology held only in memory, replaced whole by `load` (the embedded station: the topology of
 * its simulator, or none). Versions count up from 1 with every load.
 */
export class StaticTopology implements TopologyProvider {
  private topology = Topology.empty();
  private readonly listeners: Array<(t: Topology) => void> = [];

  current(): Topology {
    return this.topology;
  }

  onChange(listener: (t: Topology) => void): void {
    this.listeners.push(listener);
  }

  /** Checks and installs a snapshot (a TopologyError leaves the current one in place). */
  load(snapshot: Omit<TopologySnapshot, 'version'>): Topology {
    const t = new Topology({ ...snapshot, version: this.topology.version + 1 });
    this.topology = t;
    for (const l of this.listeners) l(t);
    return t;
  }

  async start(): Promise<void> {
    // nothing to open, check or close: it lives in this process
  }

  async stop(): Promise<void> {
    // nothing to open, check or close: it lives in this process
  }
}
