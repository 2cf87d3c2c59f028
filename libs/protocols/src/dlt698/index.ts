export { crc16x25, decodeDlt698Frame, decodeServerAddress, encodeDlt698Frame, encodeServerAddress, SplitReassembler, DLT698_END, DLT698_MAX_FRAME, DLT698_START, type AddressType, type Control, type Dlt698Frame, type FrameToEncode, type ServerAddress, type SplitInfo } from './frame';
export { AxdrError, oadText, parseOad, Reader, TAG, Writer, type Csd, type Data, type DataType, type DateTime, type Ms, type Oad, type Rsd } from './data';
export { APDU, decodeApdu, encodeApdu, linkResponseFor, reportResponseFor, unwrapSecurity, type Apdu, type FollowReport, type GetRequest, type GetResponse, type LinkRequestType, type Report, type ResultNormal, type ResultRecord, type TimeTag } from './apdu';
export { dateTimeToEpochMs, epochMsToDateTime, EVENT_POWER_DOWN_OIS, OI_NAMES, OI_REGISTRY, valuesOf, type OadLayout, type OiDef, type ScaledValue } from './oad';
export { answerFrame, linkAnswer, reportAnswer, LINK_RESULT } from './answers';
