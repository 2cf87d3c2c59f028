import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeBatch } from '@gridstation/contracts';

// The agent's spool: every batch is written here before it is sent and removed when the station
// acknowledged it (durable in Kafka). After a restart of the agent or of the station, what is left is
// sent again in sequence order. Bounded by bytes: when it is full the agent takes no new windows (it
// says so in its metadata and metrics) rather than dropping batches already made.

export class SpoolFull extends Error {
  constructor(readonly bytes: number) {
    super(`the spool holds ${bytes} bytes, its limit`);
    this.name = 'SpoolFull';
  }
}

const NAME = /^(\d{16})\.batch$/;

export class Spool {
  private readonly sizes = new Map<number, number>();
  private total = 0;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** Opens (creating) the directory and takes stock of what a previous run left. */
  static async open(dir: string, maxBytes: number): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const s = new Spool(dir, maxBytes);
    for (const f of await readdir(dir)) {
      const m = NAME.exec(f);
      if (!m) {
        if (f.endsWith('.tmp')) await unlink(join(dir, f)).catch(() => undefined); // a write cut by a crash
        continue;
      }
      const size = (await stat(join(dir, f))).size;
      s.sizes.set(Number(m[1]), size);
      s.total += size;
    }
    return s;
  }

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.sizes.size;
  }

  /** The highest sequence number held (0 when empty). */
  get lastSeq(): number {
    let max = 0;
    for (const k of this.sizes.keys()) if (k > max) max = k;
    return max;
  }

  /** Writes the batch durably (written, synced, renamed into place). */
  async put(b: EdgeBatch): Promise<void> {
    const bytes = EdgeBatch.encode(b).finish();
    if (this.total + bytes.length > this.maxBytes) throw new SpoolFull(this.total);
    const seq = Number(b.seq);
    const path = this.path(seq);
    const f = await open(`${path}.tmp`, 'w');
    try {
      await f.write(bytes);
      await f.datasync();
    } finally {
      await f.close();
    }
    await rename(`${path}.tmp`, path);
    this.sizes.set(seq, bytes.length);
    this.total += bytes.length;
  }

  async remove(seq: number): Promise<void> {
    const size = this.sizes.get(seq);
    if (size === undefined) return;
    this.sizes.delete(seq);
    this.total -= size;
    await unlink(this.path(seq)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Sequence numbers held, in order. */
  seqs(): number[] {
    return [...this.sizes.keys()].sort((a, b) => a - b);
  }

  async read(seq: number): Promise<EdgeBatch> {
    return EdgeBatch.decode(await readFile(this.path(seq)));
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.batch`);
  }
}
