import thrift from 'thrift';
import type { HBaseConfig } from '@gridstation/config';
import type { Bytes, PutRow, RegionInfo, Row, ScanOptions, TableSpec, WideColumnStore } from './adapter';
import { HBaseError } from './errors';
import { thriftService, thriftTypes as T, type THRegionLocation, type TResult, type ThriftHBaseClient } from './thrift-api';

// WideColumnStore over HBase's Thrift2 gateway. Region lookup, region moves and splits are handled by
// the gateway's Java client (the reason this path was chosen over hbase-rpc-client: see README.md).
// This side keeps a small pool of compact-protocol connections, times every call out, and retries what
// is safe to retry (every call here is idempotent: puts carry whole cells, reads have no side effects).

/** Java exceptions HBase raises for a request that is wrong in itself (it marks them DoNotRetryIOException). */
const PERMANENT_JAVA_ERRORS = /NoSuchColumnFamilyException|DoNotRetryIOException|FailedSanityCheckException|IllegalArgumentException|InvalidFamilyOperationException|RowTooBigException/;

const toBuf = (b: Bytes): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b));

interface Slot {
  conn: thrift.Connection;
  client: ThriftHBaseClient;
}

export function toThriftPut(row: PutRow, durability?: number): object {
  return new T.TPut({
    row: toBuf(row.row),
    columnValues: row.cells.map(
      (c) => new T.TColumnValue({ family: Buffer.from(c.family), qualifier: toBuf(c.qualifier), value: toBuf(c.value) }),
    ),
    ...(durability === undefined ? {} : { durability }),
  });
}

export function fromThriftResult(r: TResult): Row | null {
  if (!r.row || r.columnValues.length === 0) return null;
  return {
    row: r.row,
    cells: r.columnValues.map((cv) => ({
      family: cv.family.toString(),
      qualifier: cv.qualifier.toString(),
      value: cv.value,
      ...(cv.timestamp ? { timestamp: cv.timestamp.toNumber(true) } : {}),
    })),
  };
}

export class ThriftHBaseStore implements WideColumnStore {
  private readonly slots: Array<Promise<Slot> | undefined>;
  private next = 0;
  private closed = false;

  constructor(
    private readonly config: HBaseConfig,
    private readonly retry = { attempts: 4, backoffMs: 200 },
  ) {
    this.slots = new Array<Promise<Slot> | undefined>(config.poolSize).fill(undefined);
  }

  private qualified(table: string): Buffer {
    return Buffer.from(this.config.namespace === 'default' ? table : `${this.config.namespace}:${table}`);
  }

  private tableName(table: string): object {
    return new T.TTableName({ ns: Buffer.from(this.config.namespace), qualifier: Buffer.from(table) });
  }

  private connect(i: number): Promise<Slot> {
    const existing = this.slots[i];
    if (existing) return existing;
    const p = new Promise<Slot>((resolve, reject) => {
      const conn = thrift.createConnection(this.config.host, this.config.port, {
        transport: thrift.TBufferedTransport,
        protocol: thrift.TCompactProtocol,
        connect_timeout: this.config.timeoutMs,
        max_attempts: 0,
      });
      const drop = () => {
        if (this.slots[i] === p) this.slots[i] = undefined;
      };
      conn.once('connect', () => resolve({ conn, client: thrift.createClient(thriftService.Client as never, conn) as unknown as ThriftHBaseClient }));
      conn.on('error', (e: Error) => {
        drop();
        reject(new HBaseError('CONNECTION', `thrift connection to ${this.config.host}:${this.config.port} failed: ${e.message}`, true, { cause: e }));
      });
      conn.on('close', drop);
    });
    p.catch(() => undefined);
    this.slots[i] = p;
    return p;
  }

  private discard(i: number, slot: Slot): void {
    if (this.slots[i]) this.slots[i] = undefined;
    slot.conn.destroy();
  }

  private async call<R>(what: string, fn: (c: ThriftHBaseClient, cb: (e: Error | null | undefined, r: R) => void) => void): Promise<R> {
    let lastError: HBaseError | undefined;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (this.closed) throw new HBaseError('CONNECTION', 'store is closed', false);
      const i = this.next++ % this.slots.length;
      let slot: Slot;
      try {
        slot = await this.connect(i);
      } catch (e) {
        lastError = e instanceof HBaseError ? e : new HBaseError('CONNECTION', String(e), true);
        await new Promise((r) => setTimeout(r, this.retry.backoffMs * attempt));
        continue;
      }
      try {
        return await new Promise<R>((resolve, reject) => {
          const timer = setTimeout(() => {
            // A late answer would arrive on a connection nobody waits on: drop the connection instead.
            this.discard(i, slot);
            reject(new HBaseError('TIMEOUT', `${what} timed out after ${this.config.timeoutMs} ms`, true));
          }, this.config.timeoutMs);
          fn(slot.client, (e, r) => {
            clearTimeout(timer);
            if (e) reject(e);
            else resolve(r);
          });
        });
      } catch (e) {
        lastError = this.classify(what, e);
        if (!lastError.retriable || lastError.hbaseCode === 'TABLE_NOT_FOUND') throw lastError;
        if (lastError.hbaseCode === 'CONNECTION') this.discard(i, slot);
        await new Promise((r) => setTimeout(r, this.retry.backoffMs * attempt));
      }
    }
    throw lastError ?? new HBaseError('IO', `${what} failed`, false);
  }

  private classify(what: string, e: unknown): HBaseError {
    if (e instanceof HBaseError) return e;
    if (e instanceof T.TIllegalArgument) return new HBaseError('ILLEGAL_ARGUMENT', `${what}: ${e.message}`, false, { cause: e });
    // The gateway answered, but the request made it throw something its interface does not declare:
    // measured against HBase 2.6, a row key over 32767 bytes or an empty one ends here
    // (IllegalArgumentException inside the Put, reported as INTERNAL_ERROR). Sending it again cannot help.
    if (e instanceof thrift.Thrift.TApplicationException) return new HBaseError('ILLEGAL_ARGUMENT', `${what}: the gateway rejected the request (${e.message})`, false, { cause: e });
    if (e instanceof T.TIOError) {
      const msg = e.message ?? '';
      // The gateway passes on the Java exception's message only; a TableNotFoundException's message is
      // the bare table name.
      const table = what.split(' ')[1];
      if (/TableNotFoundException/.test(msg) || (table !== undefined && (msg === table || msg.endsWith(`:${table}`)))) return new HBaseError('TABLE_NOT_FOUND', `${what}: ${msg}`, false, { cause: e });
      if (e.canRetry === false || PERMANENT_JAVA_ERRORS.test(msg)) return new HBaseError('ILLEGAL_ARGUMENT', `${what}: ${msg}`, false, { cause: e });
      // Region moves, splits, a region server restarting: the gateway already retried internally; one more
      // round covers a move or split that outlasted its retries.
      return new HBaseError('IO', `${what}: ${msg}`, true, { cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    return new HBaseError('CONNECTION', `${what}: ${msg}`, true, { cause: e });
  }

  async put(table: string, row: PutRow): Promise<void> {
    await this.call<void>(`put ${table}`, (c, cb) => c.put(this.qualified(table), toThriftPut(row), cb));
  }

  async multiPut(table: string, rows: readonly PutRow[]): Promise<void> {
    if (rows.length === 0) return;
    const puts = rows.map((r) => toThriftPut(r));
    await this.call<void>(`putMultiple ${table} (${rows.length} rows)`, (c, cb) => c.putMultiple(this.qualified(table), puts, cb));
  }

  private columns(families?: string[]): object[] | undefined {
    return families?.map((f) => new T.TColumn({ family: Buffer.from(f) }));
  }

  async get(table: string, row: Bytes, families?: string[]): Promise<Row | null> {
    const cols = this.columns(families);
    const r = await this.call<TResult>(`get ${table}`, (c, cb) =>
      c.get(this.qualified(table), new T.TGet({ row: toBuf(row), ...(cols ? { columns: cols } : {}) }), cb),
    );
    return fromThriftResult(r);
  }

  async multiGet(table: string, rows: readonly Bytes[], families?: string[]): Promise<Array<Row | null>> {
    if (rows.length === 0) return [];
    const cols = this.columns(families);
    const gets = rows.map((row) => new T.TGet({ row: toBuf(row), ...(cols ? { columns: cols } : {}) }));
    const rs = await this.call<TResult[]>(`getMultiple ${table}`, (c, cb) => c.getMultiple(this.qualified(table), gets, cb));
    return rs.map(fromThriftResult);
  }

  /**
   * Pages through a range with short-lived scanners (each page reopens at the last row seen and skips
   * it), so a region split or move between pages, or a gateway restart, does not break the iteration.
   * Reversed scans work the same way: startRow is then the inclusive upper end.
   */
  async *scan(table: string, options: ScanOptions = {}): AsyncIterable<Row> {
    const pageSize = options.pageSize ?? 500;
    const cols = this.columns(options.families);
    let start = options.startRow === undefined ? undefined : toBuf(options.startRow);
    const stop = options.stopRow === undefined ? undefined : toBuf(options.stopRow);
    let skip: Buffer | undefined;
    let emitted = 0;
    for (;;) {
      const want = pageSize + (skip ? 1 : 0);
      const scan = new T.TScan({
        ...(start ? { startRow: start } : {}),
        ...(stop ? { stopRow: stop } : {}),
        ...(cols ? { columns: cols } : {}),
        caching: want,
        ...(options.reversed ? { reversed: true } : {}),
      });
      const page = await this.scanPage(table, scan, want);
      for (const r of page) {
        const row = fromThriftResult(r);
        if (!row || (skip && row.row.equals(skip))) continue;
        yield row;
        if (options.limit !== undefined && ++emitted >= options.limit) return;
      }
      if (page.length < want) return;
      skip = page[page.length - 1]!.row!;
      start = skip;
    }
  }

  private async scanPage(table: string, scan: object, rows: number): Promise<TResult[]> {
    const id = await this.call<number>(`openScanner ${table}`, (c, cb) => c.openScanner(this.qualified(table), scan, cb));
    try {
      return await this.call<TResult[]>(`getScannerRows ${table}`, (c, cb) => c.getScannerRows(id, rows, cb));
    } finally {
      await this.call<void>(`closeScanner ${table}`, (c, cb) => c.closeScanner(id, cb)).catch(() => undefined);
    }
  }

  async regions(table: string): Promise<RegionInfo[]> {
    const locs = await this.call<THRegionLocation[]>(`getAllRegionLocations ${table}`, (c, cb) =>
      c.getAllRegionLocations(this.qualified(table), cb),
    );
    return locs.map((l) => ({
      startKey: l.regionInfo.startKey ?? Buffer.alloc(0),
      endKey: l.regionInfo.endKey ?? Buffer.alloc(0),
      regionId: l.regionInfo.regionId.toNumber(true),
      server: `${l.serverName.hostName}:${l.serverName.port ?? 0}`,
    }));
  }

  async tableExists(table: string): Promise<boolean> {
    return this.call<boolean>(`tableExists ${table}`, (c, cb) => c.tableExists(this.tableName(table), cb));
  }

  async createTable(spec: TableSpec): Promise<void> {
    const desc = new T.TTableDescriptor({
      tableName: this.tableName(spec.name),
      columns: spec.families.map(
        (f) =>
          new T.TColumnFamilyDescriptor({
            name: Buffer.from(f.name),
            ...(f.maxVersions === undefined ? {} : { maxVersions: f.maxVersions }),
            ...(f.ttlSeconds === undefined ? {} : { timeToLive: f.ttlSeconds }),
          }),
      ),
    });
    const splits = (spec.splitKeys ?? []).map(toBuf);
    await this.call<void>(`createTable ${spec.name}`, (c, cb) => c.createTable(desc, splits, cb));
  }

  async deleteTable(table: string): Promise<void> {
    if (!(await this.tableExists(table))) return;
    await this.call<void>(`disableTable ${table}`, (c, cb) => c.disableTable(this.tableName(table), cb)).catch((e: unknown) => {
      if (!(e instanceof HBaseError) || !/TableNotEnabled/.test(e.message)) throw e;
    });
    await this.call<void>(`deleteTable ${table}`, (c, cb) => c.deleteTable(this.tableName(table), cb));
  }

  async healthCheck(): Promise<void> {
    await this.call<string[]>('listNamespaces', (c, cb) => c.listNamespaces(cb));
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = await Promise.allSettled(this.slots.filter((s): s is Promise<Slot> => s !== undefined));
    for (const s of slots) if (s.status === 'fulfilled') s.value.conn.end();
    for (let i = 0; i < this.slots.length; i++) this.slots[i] = undefined;
  }
}
