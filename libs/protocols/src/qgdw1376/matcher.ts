import { checksum8 } from '../common/bytes';
import type { FrameMatcher } from '../deframe/deframer';
import { PROTOCOL_ID_2005, PROTOCOL_ID_2013, QGDW_FIXED, QGDW_USER_MIN } from './frame';

/** 68 L L 68: both copies of L equal, a 1376.1 protocol identifier, a plausible length. */
export const qgdwMatcher: FrameMatcher = {
  protocol: 'qgdw1376',
  headerBytes: 6,
  header(buf, at, avail, maxFrame) {
    if (avail < 6) {
      if (avail >= 3) {
        const id = buf[at + 1]! & 0x03;
        if (id !== PROTOCOL_ID_2013 && id !== PROTOCOL_ID_2005) return { kind: 'no', reason: 'not a 1376.1 protocol identifier' };
      }
      if (avail >= 4 && buf[at + 3] !== buf[at + 1]) return { kind: 'no', reason: 'L copies differ' };
      if (avail >= 5 && buf[at + 4] !== buf[at + 2]) return { kind: 'no', reason: 'L copies differ' };
      return { kind: 'need-more' };
    }
    if (buf[at + 5] !== 0x68) return { kind: 'no', reason: 'no second 68H' };
    if (buf[at + 1] !== buf[at + 3] || buf[at + 2] !== buf[at + 4]) return { kind: 'no', reason: 'L copies differ' };
    const l = buf[at + 1]! | (buf[at + 2]! << 8);
    const id = l & 0x03;
    if (id !== PROTOCOL_ID_2013 && id !== PROTOCOL_ID_2005) return { kind: 'no', reason: 'not a 1376.1 protocol identifier' };
    const userLen = l >> 2;
    if (userLen < QGDW_USER_MIN) return { kind: 'no', reason: 'user data too short' };
    const total = userLen + QGDW_FIXED;
    if (total > maxFrame) return { kind: 'no', reason: `length ${total} above the maximum` };
    return { kind: 'frame', total };
  },
  check(buf, at, total) {
    const csAt = at + total - 2;
    const cs = checksum8(buf, at + 6, csAt);
    if (cs !== buf[csAt]) return { code: 'CHECKSUM', offset: csAt, message: `1376.1 checksum ${buf[csAt]!.toString(16)} != ${cs.toString(16)}` };
    if (buf[csAt + 1] !== 0x16) return { code: 'END_BYTE', offset: csAt + 1, message: '1376.1 frame does not end with 16H' };
    return undefined;
  },
};
