import { EventType, EvidenceKind } from '@gridstation/contracts';
import { normalizeFrame, parseHex } from '@gridstation/protocols';
import { evidenceFromEvent } from './signals';
import { oneMeterTopology } from '../test/topology-fixture';

// The outage analysis takes DL/T 698.45 power-down records like any other: a concentrator's
// REPORT-Notification-RecordList of 30110200 (meter power-down events) with the meter's address
// (202A0200), the occurrence (201E0200) and end (20200200) times becomes supply-lost evidence for that
// meter on its feeder, and the record's end becomes supply-restored evidence.
//
// The frame laid out by hand: 68 L C=83H AF=05H SA(000000000001) CA=00 HCS | 88 02 PIID=01, one
// A-ResultRecord: OAD 30110200, RCSD of three OADs, choice 1, one row: TSA (length 07, AF 05,
// 410100001001 low byte first), date_time_s 2026-12-02 15:01:00, date_time_s 2026-12-02 15:20:00 |
// no time tag | FCS 16. CRCs computed with a separate CRC-16/X-25.
const REPORT = '68 43 00 83 05 01 00 00 00 00 00 00 06 26 88 02 01 01 30 11 02 00 03 00 20 2A 02 00 00 20 1E 02 00 00 20 20 02 00 01 01 55 07 05 01 10 00 00 01 41 1C 07 EA 0C 02 0F 01 00 1C 07 EA 0C 02 0F 14 00 00 E0 A6 16';

describe('outage evidence from DL/T 698.45 power-down records', () => {
  it('a 3011 record becomes supply lost at its occurrence and restored at its end, for the meter of its TSA', () => {
    const bytes = parseHex(REPORT);
    if (!(bytes instanceof Uint8Array)) throw new Error(bytes.error);
    const n = normalizeFrame('dlt698', bytes, { receivedAtMs: Date.UTC(2026, 11, 2, 7, 30), tzOffsetMinutes: 480, source: { frameId: 'f', topic: 't', partition: 0, offset: 0, indexInBatch: 0 } });
    if (!n.ok) throw new Error(n.error.message);
    expect(n.value.events.map((e) => [e.deviceId, e.type])).toEqual([
      ['410100001001', EventType.EVENT_TYPE_METER_POWER_DOWN],
      ['410100001001', EventType.EVENT_TYPE_METER_POWER_UP],
    ]);
    const topology = oneMeterTopology('410100001001', '000000000001');
    const evidence = n.value.events.flatMap((e) => evidenceFromEvent(e, topology));
    expect(evidence.map((e) => [e.kind, e.meterId, e.feederId, e.supplyLost, e.occurredAtMs])).toEqual([
      [EvidenceKind.EVIDENCE_KIND_METER_EVENT, '410100001001', 'F', true, Date.UTC(2026, 11, 2, 7, 1)],
      [EvidenceKind.EVIDENCE_KIND_METER_EVENT, '410100001001', 'F', false, Date.UTC(2026, 11, 2, 7, 20)],
      [EvidenceKind.EVIDENCE_KIND_METER_EVENT, '410100001001', 'F', false, Date.UTC(2026, 11, 2, 7, 20)],
    ]);
  });
});
