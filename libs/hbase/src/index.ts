export type { Bytes, Cell, PutRow, RegionInfo, Row, ScanOptions, TableSpec, WideColumnStore } from './adapter';
export { HBaseError, type HBaseErrorCode } from './errors';
export { ThriftHBaseStore, fromThriftResult, toThriftPut } from './thrift-store';
export { LevelWideColumnStore, DEFAULT_LEVEL_LIMITS, type LevelLimits } from './level-store';
export { managedHBase, managedLevelStore } from './managed-hbase';
export { HBASE } from './token';
