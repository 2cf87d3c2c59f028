import { REDIS, type ManagedRedis, type Redis } from '@gridstation/cache';
import { CachedArchive, type DeviceArchive, type MeterRecord, type TerminalRecord } from './archive';
import { ARCHIVE } from './token';

// Redis layout (prefix configurable, default "gs:archive"):
//   <prefix>:t:<terminal>   hash  pn -> meter id         one per terminal; exists (maybe empty) = known
//                                 ("<meter id>|master" for the area's master meter)
//   <prefix>:m              hash  meter id -> "<terminal>|<pn>"
const EXISTS_FIELD = '_';

export class RedisArchive implements DeviceArchive {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gs:archive',
  ) {}

  async terminal(address: string): Promise<TerminalRecord | undefined> {
    const h = await this.redis.hgetall(`${this.prefix}:t:${address}`);
    if (Object.keys(h).length === 0) return undefined;
    const meters: MeterRecord[] = [];
    for (const [pn, v] of Object.entries(h)) {
      if (pn === EXISTS_FIELD) continue;
      const [meterId, role] = v.split('|') as [string, string | undefined];
      meters.push({ pn: Number(pn), meterId, ...(role === 'master' ? { role: 'master' as const } : {}) });
    }
    meters.sort((a, b) => a.pn - b.pn);
    return { address, meters };
  }

  async meter(meterId: string): Promise<{ terminal: string; pn: number } | undefined> {
    const v = await this.redis.hget(`${this.prefix}:m`, meterId);
    if (v === null) return undefined;
    const [terminal, pn] = v.split('|') as [string, string];
    return { terminal, pn: Number(pn) };
  }

  async put(terminals: readonly TerminalRecord[]): Promise<void> {
    const m = this.redis.multi();
    for (const t of terminals) {
      const key = `${this.prefix}:t:${t.address}`;
      m.del(key);
      const fields: string[] = [EXISTS_FIELD, '1'];
      for (const meter of t.meters) fields.push(String(meter.pn), meter.role === 'master' ? `${meter.meterId}|master` : meter.meterId);
      m.hset(key, ...fields);
      if (t.meters.length > 0) m.hset(`${this.prefix}:m`, ...t.meters.flatMap((x) => [x.meterId, `${t.address}|${x.pn}`]));
    }
    await m.exec();
  }

  async healthCheck(): Promise<void> {
    await this.redis.ping();
  }
}

/** The ARCHIVE provider of the distributed services: Redis behind a 30 s in-process cache (needs REDIS). */
export const redisArchiveProvider = {
  provide: ARCHIVE,
  inject: [REDIS],
  useFactory: (r: ManagedRedis): DeviceArchive => new CachedArchive(new RedisArchive(r.client), 30_000),
};
