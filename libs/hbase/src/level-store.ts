import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import type { Bytes, Cell, PutRow, RegionInfo, Row, ScanOptions, TableSpec, WideColumnStore } from './adapter';
import { storeOpenError } from '@gridstation/errors';
import { HBaseError } from './errors';

// The wide-column store of the embedded mode: LevelDB (classic-level) on local disk, behind the same
// WideColumnStore port as HBase and passing the same contract suite.
//
// Key layout, so that LevelDB's byte order is HBase's row order:
//   "t" 00 <table> 00 <row, escaped> 00 00 <family> 00 <qualifier>  ->  value
//   "m" 00 <table>                                                  ->  table spec (JSON)
// The row is escaped (00 -> 00 FF) and ended by 00 00, which sorts below any longer row with the same
// prefix, so all cells of a row are contiguous and rows sort exactly as their raw bytes do.

const toBuf = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b) : b);

function escapeRow(row: Buffer): Buffer {
  const out: number[] = [];
  for (const b of row) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  out.push(0, 0);
  return Buffer.from(out);
}

/** Splits "<escaped row> 00 00 <family> 00 <qualifier>" (after the table prefix). */
function splitKey(rest: Buffer): { row: Buffer; family: string; qualifier: string } {
  const row: number[] = [];
  let i = 0;
  for (; i < rest.length; i++) {
    const b = rest[i]!;
    if (b === 0) {
      if (rest[i + 1] === 0xff) {
        row.push(0);
        i++;
        continue;
      }
      i += 2;
      break;
    }
    row.push(b);
  }
  const sep = rest.indexOf(0, i);
  return { row: Buffer.from(row), family: rest.subarray(i, sep).toString(), qualifier: rest.subarray(sep + 1).toString() };
}

export interface LevelLimits {
  cacheBytes: number;
  writeBufferBytes: number;
  maxOpenFiles: number;
}

export const DEFAULT_LEVEL_LIMITS: LevelLimits = { cacheBytes: 8 << 20, writeBufferBytes: 4 << 20, maxOpenFiles: 256 };

export class LevelWideColumnStore implements WideColumnStore {
  /** A store opened at `location` (created when missing). */
  static async openAt(location: string, limits?: LevelLimits): Promise<LevelWideColumnStore> {
    const s = new LevelWideColumnStore(location, limits);
    await s.open();
    return s;
  }

  private readonly db: ClassicLevel<Buffer, Buffer>;
  private readonly tables = new Map<string, TableSpec>();

  /** `limits`: LevelDB's block cache and the files it keeps open (its default, 1000, would compete with sockets for descriptors). */
  constructor(
    readonly location: string,
    limits: LevelLimits = DEFAULT_LEVEL_LIMITS,
  ) {
    this.db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer', cacheSize: limits.cacheBytes, writeBufferSize: limits.writeBufferBytes, maxOpenFiles: limits.maxOpenFiles });
  }

  async open(): Promise<void> {
    try {
      mkdirSync(this.location, { recursive: true });
      await this.db.open();
    } catch (e) {
      throw storeOpenError('the LevelDB wide-column store', this.location, e);
    }
    for await (const [k, v] of this.db.iterator({ gte: Buffer.from('m\0'), lt: Buffer.from('m\x01') })) {
      const spec = JSON.parse(v.toString()) as TableSpec;
      this.tables.set(k.subarray(2).toString(), spec);
    }
  }

  private prefix(table: string): Buffer {
    return Buffer.from(`t\0${table}\0`);
  }

  private requireTable(table: string): Buffer {
    if (!this.tables.has(table)) throw new HBaseError('TABLE_NOT_FOUND', `table ${table} does not exist`, false);
    return this.prefix(table);
  }

  private cellKey(prefix: Buffer, row: Buffer, family: string, qualifier: Bytes): Buffer {
    return Buffer.concat([prefix, escapeRow(row), Buffer.from(family), Buffer.from([0]), toBuf(qualifier)]);
  }

  async put(table: string, row: PutRow): Promise<void> {
    await this.multiPut(table, [row]);
  }

  async multiPut(table: string, rows: readonly PutRow[]): Promise<void> {
    const prefix = this.requireTable(table);
    const families = new Set(this.tables.get(table)!.families.map((f) => f.name));
    const batch = this.db.batch();
    for (const r of rows) {
      const row = toBuf(r.row);
      for (const c of r.cells) {
        if (!families.has(c.family)) throw new HBaseError('ILLEGAL_ARGUMENT', `table ${table} has no family ${c.family}`, false);
        batch.put(this.cellKey(prefix, row, c.family, c.qualifier), toBuf(c.value));
      }
    }
    await batch.write();
  }

  async get(table: string, row: Bytes, families?: string[]): Promise<Row | null> {
    const prefix = this.requireTable(table);
    const start = Buffer.concat([prefix, escapeRow(toBuf(row))]);
    const end = Buffer.concat([start.subarray(0, start.length - 1), Buffer.from([1])]);
    const cells: Cell[] = [];
    for await (const [k, v] of this.db.iterator({ gte: start, lt: end })) {
      const { family, qualifier } = splitKey(k.subarray(prefix.length));
      if (families && !families.includes(family)) continue;
      cells.push({ family, qualifier, value: v });
    }
    return cells.length === 0 ? null : { row: toBuf(row), cells };
  }

  async multiGet(table: string, rows: readonly Bytes[], families?: string[]): Promise<Array<Row | null>> {
    return Promise.all(rows.map((r) => this.get(table, r, families)));
  }

  async *scan(table: string, options: ScanOptions = {}): AsyncIterable<Row> {
    const prefix = this.requireTable(table);
    const bound = (b: Bytes | undefined) => (b === undefined ? undefined : Buffer.concat([prefix, escapeRow(toBuf(b))]));
    const tableEnd = Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([1])]);
    const reversed = options.reversed === true;
    // HBase reversed scans start at startRow (inclusive, the high end) and stop before stopRow (the low end).
    const range = reversed
      ? { lt: options.startRow === undefined ? tableEnd : rowEnd(bound(options.startRow)!), gte: bound(options.stopRow) ?? prefix, reverse: true }
      : { gte: bound(options.startRow) ?? prefix, lt: bound(options.stopRow) ?? tableEnd, reverse: false };
    if (reversed && options.stopRow !== undefined) {
      // exclusive low end: skip every cell of stopRow itself
      range.gte = rowEnd(bound(options.stopRow)!);
    }
    let current: Row | null = null;
    let emitted = 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for await (const [k, v] of this.db.iterator(range)) {
      const { row, family, qualifier } = splitKey(k.subarray(prefix.length));
      if (options.families && !options.families.includes(family)) continue;
      if (current && !current.row.equals(row)) {
        if (reversed) current.cells.reverse();
        yield current;
        if (++emitted >= limit) return;
        current = null;
      }
      current ??= { row, cells: [] };
      current.cells.push({ family, qualifier, value: v });
    }
    if (current && emitted < limit) {
      if (reversed) current.cells.reverse();
      yield current;
    }
  }

  async regions(table: string): Promise<RegionInfo[]> {
    this.requireTable(table);
    return [{ startKey: Buffer.alloc(0), endKey: Buffer.alloc(0), regionId: 0, server: `leveldb:${this.location}` }];
  }

  async tableExists(table: string): Promise<boolean> {
    return this.tables.has(table);
  }

  async createTable(spec: TableSpec): Promise<void> {
    if (this.tables.has(spec.name)) throw new HBaseError('ILLEGAL_ARGUMENT', `table ${spec.name} already exists`, false);
    const stored: TableSpec = { name: spec.name, families: spec.families };
    await this.db.put(Buffer.from(`m\0${spec.name}`), Buffer.from(JSON.stringify(stored)));
    this.tables.set(spec.name, stored);
  }

  async deleteTable(table: string): Promise<void> {
    const prefix = this.requireTable(table);
    await this.db.clear({ gte: prefix, lt: Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from([1])]) });
    await this.db.del(Buffer.from(`m\0${table}`));
    this.tables.delete(table);
  }

  async healthCheck(): Promise<void> {
    if (this.db.status !== 'open') throw new HBaseError('CONNECTION', `LevelDB at ${this.location} is ${this.db.status}`, true);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** The first key after every cell of the row whose escaped-and-terminated key is `rowKey`. */
function rowEnd(rowKey: Buffer): Buffer {
  return Buffer.concat([rowKey.subarray(0, rowKey.length - 1), Buffer.from([1])]);
}
