// The storage-facing port for the wide-column store. Services depend on this interface only; the Thrift2
// implementation below and the embedded one (later) both satisfy the same contract tests.

export type Bytes = Buffer | string;

export interface Cell {
  family: string;
  qualifier: string;
  value: Buffer;
  /** Server-assigned write time (ms). */
  timestamp?: number;
}

export interface Row {
  row: Buffer;
  cells: Cell[];
}

export interface PutRow {
  row: Bytes;
  cells: Array<{ family: string; qualifier: Bytes; value: Bytes }>;
}

export interface ScanOptions {
  startRow?: Bytes;
  /** Exclusive. */
  stopRow?: Bytes;
  families?: string[];
  /** Rows fetched per round trip. */
  pageSize?: number;
  /** Stop after this many rows. */
  limit?: number;
  reversed?: boolean;
}

export interface RegionInfo {
  startKey: Buffer;
  endKey: Buffer;
  regionId: number;
  server: string;
}

export interface TableSpec {
  name: string;
  families: Array<{ name: string; maxVersions?: number; ttlSeconds?: number }>;
  /** Region boundaries for a pre-split table. */
  splitKeys?: Bytes[];
}

export interface WideColumnStore {
  put(table: string, row: PutRow): Promise<void>;
  /** Writes many rows in one request; all-or-error per call (retried as a whole, puts are idempotent). */
  multiPut(table: string, rows: readonly PutRow[]): Promise<void>;
  get(table: string, row: Bytes, families?: string[]): Promise<Row | null>;
  multiGet(table: string, rows: readonly Bytes[], families?: string[]): Promise<Array<Row | null>>;
  scan(table: string, options?: ScanOptions): AsyncIterable<Row>;
  regions(table: string): Promise<RegionInfo[]>;
  tableExists(table: string): Promise<boolean>;
  createTable(spec: TableSpec): Promise<void>;
  deleteTable(table: string): Promise<void>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}
