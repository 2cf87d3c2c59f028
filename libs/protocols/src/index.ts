// Protocol codecs: pure functions over bytes. No I/O, no clocks, no Nest: lint enforces it.
export { checksum8, bcdToInt, intToBcd, addOffset33, removeOffset33 } from './common/bytes';
export { ok, fail, type CodecError, type CodecErrorCode, type Result } from './common/errors';
