import { checksum8 } from '../common/bytes';
import type { FrameMatcher } from '../deframe/deframer';
import { DLT645_HEADER, DLT645_OVERHEAD } from './frame';

const addressNibbleOk = (b: number) => ((b >> 4) <= 9 || (b >> 4) === 0x0a) && ((b & 0x0f) <= 9 || (b & 0x0f) === 0x0a);

/** 68 A0..A5 68 C L: the six address bytes must be BCD or wildcard, and the second 68H in place. */
export const dlt645Matcher: FrameMatcher = {
  protocol: 'dlt645',
  headerBytes: DLT645_HEADER,
  header(buf, at, avail, maxFrame) {
    if (avail < DLT645_HEADER) {
      // Judge what is there already, so garbage is not held back waiting.
      for (let k = 1; k < Math.min(avail, 7); k++) if (!addressNibbleOk(buf[at + k]!)) return { kind: 'no', reason: 'address is not BCD' };
      if (avail > 7 && buf[at + 7] !== 0x68) return { kind: 'no', reason: 'no second 68H' };
      return { kind: 'need-more' };
    }
    for (let k = 1; k <= 6; k++) if (!addressNibbleOk(buf[at + k]!)) return { kind: 'no', reason: 'address is not BCD' };
    if (buf[at + 7] !== 0x68) return { kind: 'no', reason: 'no second 68H' };
    const total = DLT645_OVERHEAD + buf[at + 9]!;
    if (total > maxFrame) return { kind: 'no', reason: `length ${total} above the maximum` };
    return { kind: 'frame', total };
  },
  check(buf, at, total) {
    const csAt = at + total - 2;
    const cs = checksum8(buf, at, csAt);
    if (cs !== buf[csAt]) return { code: 'CHECKSUM', offset: csAt, message: `DL/T 645 checksum ${buf[csAt]!.toString(16)} != ${cs.toString(16)}` };
    if (buf[csAt + 1] !== 0x16) return { code: 'END_BYTE', offset: csAt + 1, message: 'DL/T 645 frame does not end with 16H' };
    return undefined;
  },
};
