// Protocol codecs: pure functions over bytes. No I/O, no clocks, no Nest: lint enforces it.
export { checksum8, bcdToInt, intToBcd, addOffset33, removeOffset33 } from './common/bytes';
export { ok, fail, type CodecError, type CodecErrorCode, type Result } from './common/errors';
export { bcd, decodeBcd, encodeBcd, deviceTimeToEpochMs, epochMsToDeviceTime, type BcdFormat, type DeviceTime } from './common/values';
export { time, decodeTime, encodeTime, type TimeFormat, type TimeLayout } from './common/time';
export * as dlt645 from './dlt645';
export * as qgdw1376 from './qgdw1376';
export * as dlt698 from './dlt698';
export * from './deframe';
export { describeDlt645, describeDlt698, describeEvent, describeQgdw, deviceTimeText, parseHex, type Description } from './describe';
export { normalizeFrame, type NormalizeContext, type Normalized, type UnsupportedKind, type UnsupportedPart } from './normalize';
