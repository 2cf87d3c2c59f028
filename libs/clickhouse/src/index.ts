export { ClickHouseAdapterError, isConnectionError, type ClickHouseErrorCode } from './errors';
export {
  capabilitiesOf,
  insertSettings,
  parseVersion,
  type AsyncInsertMode,
  type Capabilities,
  type ServerVersion,
} from './version';
export { identifier, inList, literal, quoteString, sql, SqlFragment, type SqlValue } from './sql';
export {
  createClickHouseClient,
  detectServerVersion,
  openClickHouse,
  pingClickHouse,
  type ClickHouseClient,
  type ClickHouseHandle,
} from './client';
export { applyMigrations, loadMigrations, parseMigration, replicatedStatement, LEDGER_TABLE, type Migration, type MigrationReport } from './migrations';
export { managedClickHouse, type ManagedClickHouse } from './managed-clickhouse';
export { CLICKHOUSE } from './token';
