export type HBaseErrorCode = 'IO' | 'ILLEGAL_ARGUMENT' | 'TIMEOUT' | 'CONNECTION' | 'TABLE_NOT_FOUND';

export class HBaseError extends Error {
  constructor(
    readonly code: HBaseErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HBaseError';
  }
}
