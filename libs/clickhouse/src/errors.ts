import { ClickHouseError } from '@clickhouse/client';
import { GsError, registerUnavailabilityRule } from '@gridstation/errors';

export type ClickHouseErrorCode = 'MIGRATION_CHECKSUM_MISMATCH' | 'MIGRATION_FAILED' | 'MIGRATION_NAME_INVALID' | 'UNSAFE_IDENTIFIER';

export class ClickHouseAdapterError extends GsError {
  constructor(code: ClickHouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(code === 'UNSAFE_IDENTIFIER' ? 'invalid-argument' : 'failed-precondition', code, message, options);
    this.name = 'ClickHouseAdapterError';
  }
}

/** Errors that say the replica (the connection to it), not the statement, is the problem: try another one. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return (
    (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) ||
    /socket hang up|Timeout error|ECONNREFUSED|ECONNRESET|other side closed/i.test(message)
  );
}

// Server error codes that mean "this server cannot take the work right now" (overload, a replica in
// read-only mode, ZooKeeper away), not "the statement or its data is wrong". From ClickHouse's
// src/Common/ErrorCodes.cpp; stable across server versions.
const TRANSIENT_SERVER_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '225', // NO_ZOOKEEPER
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '279', // ALL_CONNECTION_TRIES_FAILED
  '999', // KEEPER_EXCEPTION
]);

registerUnavailabilityRule('clickhouse', (e) => {
  if (e instanceof ClickHouseError) return TRANSIENT_SERVER_CODES.has(e.code);
  return isConnectionError(e);
});
