import { EventType } from '@gridstation/contracts';
import { describeQgdw } from '../describe';
import { normalizeFrame } from '../normalize';
import { hex, must } from '../../test/bytes';

// AFN 0E answers laid out by hand from Q/GDW 1376.1-2013 (C = 88H, AFN 0E, SEQ 60, DA p0, DT F1, EC1 EC2
// Pm Pn, then records ERC | Le | content); the frame is wrapped with L and the byte sum by the test.
function wrap(user: string): Uint8Array {
  const u = hex(user);
  const l = (u.length << 2) | 2;
  const cs = u.reduce((s, b) => (s + b) & 0xff, 0);
  return Uint8Array.from([0x68, l & 0xff, l >> 8, l & 0xff, l >> 8, 0x68, ...u, cs, 0x16]);
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16)).join(' ');
// ERC1 (Le 14): 2026-12-02 10:30, flags 03 (data initialised, version changed), "V1.0" -> "V1.1".
const ERC1 = `01 0E 30 10 02 12 26 03 ${ascii('V1.0')} ${ascii('V1.1')}`;
// ERC31 (Le 21): 2026-12-02 11:00, pn 3 with the start flag (03 80), last success 10:45, forward active
// 1234.5678 kWh (A.14: 78 56 34 12 00), forward reactive 12.34 kvarh (A.11: 34 12 00 00).
const ERC31 = '1F 15 00 11 02 12 26 03 80 45 10 02 12 26 78 56 34 12 00 34 12 00 00';
const FRAME = wrap(`88 01 41 01 00 00 0E 60 00 00 01 00 05 00 00 02 ${ERC1} ${ERC31}`);

describe('AFN 0E records with decoded fields (ERC 1, 31)', () => {
  it('decodes the records for the inspector', () => {
    const d = describeQgdw(FRAME, 0);
    const records = (d['events'] as { records: Array<Record<string, unknown>> }).records;
    expect(records).toEqual([
      expect.objectContaining({ erc: 1, name: 'data initialisation / version change', at: '2026-12-02 10:30:00', details: { dataInitialised: true, versionChanged: true, versionBefore: 'V1.0', versionAfter: 'V1.1' } }),
      expect.objectContaining({ erc: 31, pn: 3, starts: true, details: { lastSuccess: '2026-12-02 10:45', activeEnergy: 1234.5678, reactiveEnergy: 12.34 } }),
    ]);
  });

  it("normalises them into events with their details as attributes, the point's meter as the device", () => {
    const n = must(normalizeFrame('qgdw1376', FRAME, { receivedAtMs: 0, tzOffsetMinutes: 480, source: { frameId: 'f', topic: 't', partition: 0, offset: 0, indexInBatch: 0 }, meterOf: (_t, pn) => (pn === 3 ? '000000000103' : undefined) }));
    expect(n.unsupported).toEqual([]);
    expect(n.events.map((e) => [e.code, e.type, e.deviceId, e.occurredAtMs, e.attributes['state'] ?? ''])).toEqual([
      ['ERC1', EventType.EVENT_TYPE_OTHER, '4101-00001', Date.UTC(2026, 11, 2, 2, 30), ''],
      ['ERC31', EventType.EVENT_TYPE_OTHER, '000000000103', Date.UTC(2026, 11, 2, 3, 0), 'start'],
    ]);
    expect(n.events[1]!.attributes).toMatchObject({ lastSuccess: '2026-12-02 10:45', activeEnergy: '1234.5678' });
  });
});

describe('AFN 0D monthly freezes (Td_m)', () => {
  it('F177: the month, the reading time, M, total and tariffs; stored as a monthly quantity dated the 1st', () => {
    // DA p1 (01 01), DT F177 (01 16), Td_m 11 26 (November 2026), read at 2026-12-01 00:00 (00 00 01 12 26),
    // M = 1, 1234.5678 kWh (78 56 34 12 00), 1000.0000 kWh (00 00 00 10 00).
    const frame = wrap('88 01 41 01 00 00 0D 60 01 01 01 16 11 26 00 00 01 12 26 01 78 56 34 12 00 00 00 00 10 00');
    const d = describeQgdw(frame, 0);
    expect(d['dataUnits']).toEqual([expect.objectContaining({ pn: [1], fn: [177], name: 'monthly frozen forward active energy (total, tariffs)' })]);
    const n = must(normalizeFrame('qgdw1376', frame, { receivedAtMs: 0, tzOffsetMinutes: 480, source: { frameId: 'f', topic: 't', partition: 0, offset: 0, indexInBatch: 0 }, meterOf: () => 'm1' }));
    expect(n.readings.map((r) => [r.quantity, r.tariff, r.value, r.dataTimeMs])).toEqual([
      ['energy.active.import.monthly', 0, 1234.5678, Date.UTC(2026, 9, 31, 16, 0)],
      ['energy.active.import.monthly', 1, 1000, Date.UTC(2026, 9, 31, 16, 0)],
    ]);
  });
});
