import { dlt645Matcher } from '../dlt645/matcher';
import { qgdwMatcher } from '../qgdw1376/matcher';
import { dlt698Matcher } from '../dlt698/matcher';
import { DLT698_MAX_FRAME } from '../dlt698/frame';
import { Deframer } from './deframer';

export { Deframer, GARBAGE_RUN_MAX, GARBAGE_SAMPLE, type DeframeEvent, type DeframeErrorCode, type FrameMatcher, type ProtocolName } from './deframer';

/** Largest 1376.1 frame a terminal is allowed to send here (the standard allows 16391). */
export const QGDW_MAX_FRAME = 16391;

export const createDlt645Deframer = (maxFrame = 267) => new Deframer([dlt645Matcher], { maxFrame });
export const createQgdwDeframer = (maxFrame = QGDW_MAX_FRAME) => new Deframer([qgdwMatcher], { maxFrame });
export const createDlt698Deframer = (maxFrame = DLT698_MAX_FRAME) => new Deframer([dlt698Matcher], { maxFrame });
/**
 * Tells the protocols apart frame by frame (a gateway may carry several). 698.45 is tried before
 * 645: a 698.45 frame may have 68H where a 645 frame has its second one, and its HCS decides.
 */
export const createAutoDeframer = (maxFrame = QGDW_MAX_FRAME) => new Deframer([qgdwMatcher, dlt698Matcher, dlt645Matcher], { maxFrame });
