export type ClickHouseErrorCode = 'MIGRATION_CHECKSUM_MISMATCH' | 'MIGRATION_FAILED' | 'MIGRATION_NAME_INVALID' | 'UNSAFE_IDENTIFIER';

export class ClickHouseAdapterError extends Error {
  constructor(
    readonly code: ClickHouseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClickHouseAdapterError';
  }
}
