import { closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writev } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { promisify } from 'node:util';
import { storeOpenError } from '@gridstation/errors';

// The embedded bus's write-ahead log, so that "acknowledged" means "on disk" in the default mode too: a
// terminal is confirmed only after its frame is in this log, and after kill -9 the station replays it.
// One log for every durable topic (one fsync per group commit, however many partitions a commit
// touched), in segment files of `segmentBytes`; a segment is deleted once every consumer group has
// committed past each record in it. Committed offsets live in offsets.json, rewritten atomically (write,
// fsync, rename) at most every `offsetsEveryMs`; a commit lost in a crash only means redelivery, which
// the stores absorb. Records become visible to consumers only once they are durable, so no group ever
// commits an offset the log could lose.
//
// Why not LevelDB (already a dependency) or another store: the access pattern is a FIFO (append, read
// once in order on recovery, drop whole segments), for which a key-value store's compaction is pure
// overhead; the format below is 24 bytes of framing per record and verifies every record on recovery.
//
// Record on disk: u32 payload length | u32 crc32(payload) | payload, where payload =
//   u16 topic length | topic | u32 partition | u64 offset | f64 timestamp | i32 key length (-1: null) | key |
//   u32 headers length | headers (JSON) | u32 value length | value
// A torn tail (a crash in the middle of a write) fails its length or checksum and is cut off.

export interface LogRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

export interface DurableLogOptions {
  dir: string;
  segmentBytes?: number;
  offsetsEveryMs?: number;
  /** fdatasync after each group commit (off only for tests of the format). */
  sync?: boolean;
}

interface Segment {
  base: number;
  path: string;
  size: number;
  /** Highest offset + 1 per "topic/partition" held in the segment. */
  ends: Map<string, bigint>;
}

interface Pending {
  records: LogRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface OffsetsState {
  /** group -> "topic/partition" -> committed (next offset to read). */
  committed: Record<string, Record<string, string>>;
  /** "topic/partition" -> next offset to assign. */
  next: Record<string, string>;
}

export interface Recovered {
  records: LogRecord[];
  offsets: OffsetsState;
}

const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);
const SEGMENT = /^(\d{12})\.log$/;

export const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

export function encodeRecord(r: LogRecord): Buffer {
  const topic = Buffer.from(r.topic);
  const headers = Buffer.from(JSON.stringify(r.headers));
  const keyLen = r.key === null ? 0 : r.key.length;
  const payloadLen = 2 + topic.length + 4 + 8 + 8 + 4 + keyLen + 4 + headers.length + 4 + r.value.length;
  const out = Buffer.allocUnsafe(8 + payloadLen);
  let p = 8;
  p = out.writeUInt16BE(topic.length, p);
  p += topic.copy(out, p);
  p = out.writeUInt32BE(r.partition, p);
  p = out.writeBigUInt64BE(r.offset, p);
  p = out.writeDoubleBE(r.timestamp, p);
  p = out.writeInt32BE(r.key === null ? -1 : keyLen, p);
  if (r.key) p += r.key.copy(out, p);
  p = out.writeUInt32BE(headers.length, p);
  p += headers.copy(out, p);
  p = out.writeUInt32BE(r.value.length, p);
  r.value.copy(out, p);
  out.writeUInt32BE(payloadLen, 0);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

/** The records of one segment file, and the byte length of its valid prefix. */
export function decodeSegment(buf: Buffer): { records: LogRecord[]; validBytes: number } {
  const records: LogRecord[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const len = buf.readUInt32BE(at);
    if (len < 30 || at + 8 + len > buf.length) break;
    const payload = buf.subarray(at + 8, at + 8 + len);
    if (crc32(payload) !== buf.readUInt32BE(at + 4)) break;
    let p = 0;
    const tl = payload.readUInt16BE(p);
    p += 2;
    const topic = payload.toString('utf8', p, p + tl);
    p += tl;
    const partition = payload.readUInt32BE(p);
    p += 4;
    const offset = payload.readBigUInt64BE(p);
    p += 8;
    const timestamp = payload.readDoubleBE(p);
    p += 8;
    const kl = payload.readInt32BE(p);
    p += 4;
    const key = kl < 0 ? null : Buffer.from(payload.subarray(p, p + kl));
    p += Math.max(kl, 0);
    const hl = payload.readUInt32BE(p);
    p += 4;
    const headers = JSON.parse(payload.toString('utf8', p, p + hl)) as Record<string, string>;
    p += hl;
    const vl = payload.readUInt32BE(p);
    p += 4;
    const value = Buffer.from(payload.subarray(p, p + vl));
    records.push({ topic, partition, offset, key, value, headers, timestamp });
    at += 8 + len;
  }
  return { records, validBytes: at };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DurableLog {
  private readonly segments: Segment[] = [];
  private fd = -1;
  private pending: Pending[] = [];
  private flushing?: Promise<void>;
  private offsets: OffsetsState = { committed: {}, next: {} };
  private offsetsDirty = false;
  private offsetsTimer?: NodeJS.Timeout;
  private closed = false;
  private offsetsError: unknown;
  readonly stats = { commits: 0, records: 0, bytes: 0, segmentsDeleted: 0 };

  /** Throws when the log could not persist its offsets lately (the directory is gone or not writable). */
  healthCheck(): void {
    if (this.offsetsError) throw new Error(`bus log ${this.options.dir}: ${this.offsetsError instanceof Error ? this.offsetsError.message : String(this.offsetsError)}`);
  }

  constructor(private readonly options: DurableLogOptions) {}

  private get segmentBytes(): number {
    return this.options.segmentBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Opens the log directory and returns what it holds: every intact record (a torn tail is cut off) and
   * the committed offsets. Fails with the path and the cause when the directory cannot be used.
   */
  open(): Recovered {
    try {
      return this.openUnchecked();
    } catch (e) {
      throw storeOpenError('the bus log', this.options.dir, e);
    }
  }

  private openUnchecked(): Recovered {
    mkdirSync(this.options.dir, { recursive: true });
    this.lock();
    const offsetsFile = join(this.options.dir, 'offsets.json');
    if (existsSync(offsetsFile)) this.offsets = JSON.parse(readFileSync(offsetsFile, 'utf8')) as OffsetsState;
    const records: LogRecord[] = [];
    const files = readdirSync(this.options.dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
    for (const f of files) {
      const path = join(this.options.dir, f);
      const buf = readFileSync(path);
      const { records: rs, validBytes } = decodeSegment(buf);
      if (validBytes < buf.length) {
        // A write the crash interrupted: nobody was told it was durable, so it is dropped.
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, validBytes);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      const seg: Segment = { base: Number(SEGMENT.exec(f)![1]), path, size: validBytes, ends: new Map() };
      for (const r of rs) {
        const k = partitionKey(r.topic, r.partition);
        const end = r.offset + 1n;
        if ((seg.ends.get(k) ?? 0n) < end) seg.ends.set(k, end);
        if (BigInt(this.offsets.next[k] ?? '0') < end) this.offsets.next[k] = end.toString();
      }
      this.segments.push(seg);
      records.push(...rs);
    }
    this.openTail();
    this.offsetsTimer = setInterval(() => {
      try {
        this.writeOffsets();
        this.offsetsError = undefined;
      } catch (e) {
        // Not fatal by itself (a lost commit only means redelivery), but the log is not healthy.
        this.offsetsError = e;
      }
    }, this.options.offsetsEveryMs ?? 1000);
    this.offsetsTimer.unref();
    return { records, offsets: structuredClone(this.offsets) };
  }

  /** Resolves once the records are on disk (group commit: one write and one fdatasync for everything pending). */
  append(records: LogRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the bus log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Remembers a group's committed offset (written to offsets.json shortly, and on close). */
  commit(group: string, topic: string, partition: number, offset: bigint): void {
    const g = (this.offsets.committed[group] ??= {});
    g[partitionKey(topic, partition)] = offset.toString();
    this.offsetsDirty = true;
  }

  /** Deletes segments whose every record is before `lowWater` of its partition (all groups committed past it). */
  trim(lowWater: (partitionKey: string) => bigint | undefined): void {
    // The newest segment is being written to; only older ones go.
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      const done = [...seg.ends].every(([k, end]) => {
        const lw = lowWater(k);
        return lw !== undefined && lw >= end;
      });
      if (!done) break;
      // Committed offsets that allowed this must be on disk before the records go.
      this.writeOffsets(true);
      rmSync(seg.path, { force: true });
      this.segments.shift();
      this.stats.segmentsDeleted++;
    }
  }

  /** Writes what is pending, persists the offsets and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) this.scheduleFlush();
      await this.flushing;
    }
    this.closed = true;
    if (this.offsetsTimer) clearInterval(this.offsetsTimer);
    this.writeOffsets(true);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(join(this.options.dir, 'LOCK'), { force: true });
  }

  /**
   * One process per log: a lock file holding the owner's pid. A lock left by a process that no longer
   * runs (kill -9) is taken over; a live owner's is not.
   */
  private lock(): void {
    const file = join(this.options.dir, 'LOCK');
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner && owner !== process.pid && alive(owner)) throw new Error(`lock ${file} is held by process ${owner}`);
    writeFileSync(file, String(process.pid));
  }

  private openTail(): void {
    const last = this.segments.at(-1);
    if (last && last.size < this.segmentBytes) {
      this.fd = openSync(last.path, 'a');
      return;
    }
    const base = last ? last.base + 1 : 0;
    const path = join(this.options.dir, `${String(base).padStart(12, '0')}.log`);
    this.fd = openSync(path, 'a');
    this.segments.push({ base, path, size: 0, ends: new Map() });
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const seg = this.segments.at(-1)!;
        const buffers: Buffer[] = [];
        let bytes = 0;
        for (const p of batch) {
          for (const r of p.records) {
            const b = encodeRecord(r);
            buffers.push(b);
            bytes += b.length;
            const k = partitionKey(r.topic, r.partition);
            if ((seg.ends.get(k) ?? 0n) < r.offset + 1n) seg.ends.set(k, r.offset + 1n);
            this.offsets.next[k] = (r.offset + 1n).toString();
          }
        }
        let rest: Buffer[] = buffers;
        for (let left = bytes; left > 0; ) {
          const { bytesWritten: n } = await writevAsync(this.fd, rest);
          left -= n;
          if (left > 0) rest = [Buffer.concat(rest).subarray(n)]; // a short write: the remainder again
        }
        if (this.options.sync !== false) await fdatasyncAsync(this.fd);
        seg.size += bytes;
        this.stats.commits++;
        this.stats.bytes += bytes;
        for (const p of batch) this.stats.records += p.records.length;
        if (seg.size >= this.segmentBytes) {
          closeSync(this.fd);
          this.openTail();
        }
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.flushing = undefined;
  }

  private writeOffsets(force = false): void {
    if (!this.offsetsDirty && !force) return;
    const file = join(this.options.dir, 'offsets.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.offsets));
    const fd = openSync(tmp, 'r+');
    try {
      if (this.options.sync !== false) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    this.offsetsDirty = false;
  }

  /** Bytes of log on disk (all segments). */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.segments) n += existsSync(s.path) ? statSync(s.path).size : 0;
    return n;
  }
}
