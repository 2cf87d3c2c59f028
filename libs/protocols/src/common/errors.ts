export type CodecErrorCode = 'BAD_BCD' | 'CHECKSUM' | 'TRUNCATED' | 'LENGTH_MISMATCH' | 'RANGE';

/**
 * A decoding problem at a byte offset. Codecs return these as values (never throw them across the
 * library boundary), so that one bad frame cannot stop a stream.
 */
export interface CodecError {
  code: CodecErrorCode;
  /** Offset of the offending byte, relative to the buffer the caller passed in. */
  offset: number;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CodecError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: CodecErrorCode, offset: number, message: string): Result<never> => ({
  ok: false,
  error: { code, offset, message },
});
