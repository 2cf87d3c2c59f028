import type { FrameMatcher } from '../deframe/deframer';
import { crc16x25 } from './frame';

/**
 * 68 L C AF SA CA HCS: a plausible L and function, and an HCS that matches the header (checked
 * before the frame is taken, so that a 1376.1 or 645 frame is never mistaken for one: those have
 * no CRC at that place).
 */
export const dlt698Matcher: FrameMatcher = {
  protocol: 'dlt698',
  headerBytes: 5,
  header(buf, at, avail, maxFrame) {
    if (avail < 5) return { kind: 'need-more' };
    const l = buf[at + 1]! | (buf[at + 2]! << 8);
    if (l & 0x8000) return { kind: 'no', reason: 'reserved bit 15 of L set' };
    const total = (l & 0x3fff) * (l & 0x4000 ? 1024 : 1) + 2;
    const fn = buf[at + 3]! & 0x07;
    if (fn !== 1 && fn !== 3) return { kind: 'no', reason: `function ${fn} is not link management (1) or user data (3)` };
    const saLen = (buf[at + 4]! & 0x0f) + 1;
    const hcsAt = at + 5 + saLen + 1;
    if (total < 5 + saLen + 1 + 2 + 3 + 1) return { kind: 'no', reason: 'too short for its address' };
    if (total > maxFrame) return { kind: 'no', reason: `length ${total} above the maximum` };
    if (avail < hcsAt - at + 2) return { kind: 'need-more' };
    if (crc16x25(buf, at + 1, hcsAt) !== (buf[hcsAt]! | (buf[hcsAt + 1]! << 8))) return { kind: 'no', reason: 'HCS does not match' };
    return { kind: 'frame', total };
  },
  check(buf, at, total) {
    const fcsAt = at + total - 3;
    const fcs = crc16x25(buf, at + 1, fcsAt);
    if (fcs !== (buf[fcsAt]! | (buf[fcsAt + 1]! << 8))) return { code: 'CHECKSUM', offset: fcsAt, message: `698.45 FCS does not match (${fcs.toString(16)})` };
    if (buf[at + total - 1] !== 0x16) return { code: 'END_BYTE', offset: at + total - 1, message: '698.45 frame does not end with 16H' };
    return undefined;
  },
};
