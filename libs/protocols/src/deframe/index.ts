import { dlt645Matcher } from '../dlt645/matcher';
import { qgdwMatcher } from '../qgdw1376/matcher';
import { Deframer } from './deframer';

export { Deframer, GARBAGE_RUN_MAX, GARBAGE_SAMPLE, type DeframeEvent, type DeframeErrorCode, type FrameMatcher, type ProtocolName } from './deframer';

/** Largest 1376.1 frame a terminal is allowed to send here (the standard allows 16391). */
export const QGDW_MAX_FRAME = 16391;

export const createDlt645Deframer = (maxFrame = 267) => new Deframer([dlt645Matcher], { maxFrame });
export const createQgdwDeframer = (maxFrame = QGDW_MAX_FRAME) => new Deframer([qgdwMatcher], { maxFrame });
/** Tells the protocols apart frame by frame (a gateway may carry both). */
export const createAutoDeframer = (maxFrame = QGDW_MAX_FRAME) => new Deframer([qgdwMatcher, dlt645Matcher], { maxFrame });
