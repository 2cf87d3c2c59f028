import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redis } from '@gridstation/cache';
import type { Revision } from '@gridstation/metering';

/**
 * Estimates and edits of meter values, appended and never changed: the list is the audit trail.
 * Raw readings stay in the reading store untouched.
 */
export interface RevisionStore {
  append(revisions: readonly Revision[]): Promise<void>;
  /** A meter's revisions of `quantity` with data times in [fromMs, toMs), in the order written. */
  list(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<Revision[]>;
}

const inWindow = (r: Revision, fromMs: number, toMs: number) => r.dataTimeMs >= fromMs && r.dataTimeMs < toMs;

/** One JSON line per revision in a file (the embedded station's store), held in memory by meter. */
export class FileRevisionStore implements RevisionStore {
  private byKey?: Map<string, Revision[]>;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async append(revisions: readonly Revision[]): Promise<void> {
    if (revisions.length === 0) return;
    // Appends are queued whole (index loaded, line written, index updated), so the file and the index
    // hold concurrent calls in the same order and their lines never interleave.
    const done = this.writing.then(async () => {
      const index = await this.index();
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, revisions.map((r) => JSON.stringify(r)).join('\n') + '\n');
      for (const r of revisions) {
        const k = `${r.meterId}\u0000${r.quantity}`;
        index.set(k, [...(index.get(k) ?? []), r]);
      }
    });
    this.writing = done.catch(() => undefined);
    await done;
  }

  async list(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<Revision[]> {
    return ((await this.index()).get(`${meterId}\u0000${quantity}`) ?? []).filter((r) => inWindow(r, fromMs, toMs));
  }

  private async index(): Promise<Map<string, Revision[]>> {
    if (this.byKey) return this.byKey;
    const m = new Map<string, Revision[]>();
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let r: Revision;
      try {
        r = JSON.parse(line) as Revision;
      } catch {
        continue; // a line cut by a crash mid-write: the revisions before and after it are intact
      }
      const k = `${r.meterId}\u0000${r.quantity}`;
      m.set(k, [...(m.get(k) ?? []), r]);
    }
    this.byKey ??= m;
    return this.byKey;
  }
}

/** A list per meter and quantity in Redis (the distributed deployment's store). */
export class RedisRevisionStore implements RevisionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gs:collection:revisions:',
  ) {}

  async append(revisions: readonly Revision[]): Promise<void> {
    if (revisions.length === 0) return;
    const multi = this.redis.multi();
    for (const r of revisions) multi.rpush(`${this.prefix}${r.meterId}:${r.quantity}`, JSON.stringify(r));
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async list(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<Revision[]> {
    const all = await this.redis.lrange(`${this.prefix}${meterId}:${quantity}`, 0, -1);
    return all.map((s) => JSON.parse(s) as Revision).filter((r) => inWindow(r, fromMs, toMs));
  }
}
