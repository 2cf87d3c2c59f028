import { GsError, type ErrorKind } from '@gridstation/errors';

export type HBaseErrorCode = 'IO' | 'ILLEGAL_ARGUMENT' | 'TIMEOUT' | 'CONNECTION' | 'TABLE_NOT_FOUND';

// What each failure means for the caller. A missing table is the store not being ready (a migration
// not run, a table being recreated), not a bad record: dead-lettering every write to it would empty
// the pipeline into the dead-letter topic, so it waits like an outage.
function kindOf(code: HBaseErrorCode, retriable: boolean): ErrorKind {
  if (retriable || code === 'TABLE_NOT_FOUND') return 'unavailable';
  return code === 'ILLEGAL_ARGUMENT' ? 'invalid-argument' : 'internal';
}

export class HBaseError extends GsError {
  constructor(code: HBaseErrorCode, message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(kindOf(code, retriable), `HBASE_${code}`, message, options);
    this.name = 'HBaseError';
  }

  get hbaseCode(): HBaseErrorCode {
    return this.code.slice('HBASE_'.length) as HBaseErrorCode;
  }
}
