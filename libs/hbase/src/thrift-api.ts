// Typed view of the generated Thrift2 client (src/generated, produced by tools/infra/hbase/gen-thrift.sh
// from the IDL inside the hbase-thrift jar). Only the calls this adapter uses are declared; the thrift
// compiler's own TypeScript output does not export its declarations, so it is not used.

export interface Int64Like {
  toNumber(allowImprecise?: boolean): number;
}

export interface TColumnValue {
  family: Buffer;
  qualifier: Buffer;
  value: Buffer;
  timestamp?: Int64Like;
}

export interface TColumn {
  family: Buffer;
  qualifier?: Buffer;
}

export interface TResult {
  row?: Buffer;
  columnValues: TColumnValue[];
}

export interface TTableName {
  ns?: Buffer;
  qualifier: Buffer;
}

export interface THRegionLocation {
  serverName: { hostName: string; port?: number; startCode?: Int64Like };
  regionInfo: { regionId: Int64Like; tableName: Buffer; startKey?: Buffer; endKey?: Buffer };
}

type Cb<T> = (error: Error | null | undefined, response: T) => void;

export interface ThriftHBaseClient {
  put(table: Buffer, tput: object, cb: Cb<void>): void;
  putMultiple(table: Buffer, tputs: object[], cb: Cb<void>): void;
  get(table: Buffer, tget: object, cb: Cb<TResult>): void;
  getMultiple(table: Buffer, tgets: object[], cb: Cb<TResult[]>): void;
  openScanner(table: Buffer, tscan: object, cb: Cb<number>): void;
  getScannerRows(scannerId: number, numRows: number, cb: Cb<TResult[]>): void;
  closeScanner(scannerId: number, cb: Cb<void>): void;
  getAllRegionLocations(table: Buffer, cb: Cb<THRegionLocation[]>): void;
  tableExists(name: object, cb: Cb<boolean>): void;
  createTable(desc: object, splitKeys: Buffer[], cb: Cb<void>): void;
  disableTable(name: object, cb: Cb<void>): void;
  deleteTable(name: object, cb: Cb<void>): void;
  listNamespaces(cb: Cb<string[]>): void;
}

type Ctor<A> = new (args: A) => object;

export interface ThriftTypes {
  TPut: Ctor<{ row: Buffer; columnValues: object[]; durability?: number }>;
  TColumnValue: Ctor<{ family: Buffer; qualifier: Buffer; value: Buffer }>;
  TColumn: Ctor<TColumn>;
  TGet: Ctor<{ row: Buffer; columns?: object[]; maxVersions?: number }>;
  TScan: Ctor<{
    startRow?: Buffer;
    stopRow?: Buffer;
    columns?: object[];
    caching?: number;
    reversed?: boolean;
    maxVersions?: number;
  }>;
  TTableName: Ctor<{ ns?: Buffer; qualifier: Buffer }>;
  TColumnFamilyDescriptor: Ctor<{ name: Buffer; maxVersions?: number; timeToLive?: number }>;
  TTableDescriptor: Ctor<{ tableName: object; columns: object[] }>;
  TIOError: new (...args: never[]) => Error & { canRetry?: boolean };
  TIllegalArgument: new (...args: never[]) => Error;
  TDurability: { SYNC_WAL: number; ASYNC_WAL: number; SKIP_WAL: number; FSYNC_WAL: number; USE_DEFAULT: number };
}

export interface ThriftServiceModule {
  Client: unknown;
}

// Generated CommonJS without usable typings: loaded with require and typed by the interfaces above.
export const thriftTypes = require('./generated/hbase_types') as ThriftTypes;
export const thriftService = require('./generated/THBaseService') as ThriftServiceModule;
