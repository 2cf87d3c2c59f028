import { decodeQgdwFrame } from './frame';
import { decodeEventRecord, decodeEvents, encodeEventsRequest, encodePowerEventsReport } from './events';
import { hex, must, toHex } from '../../test/bytes';

const ADDRESS = { region: '4101', terminal: 1, master: 0, group: false };

// Written out from the standard by hand. Active report of one ERC14 record (C = C4H, CON set):
// power off 2026-11-21 08:05, power on 08:47 (A.15 each), EC1 = 1, Pm = 0, Pn = 1.
const ERC14_REPORT = '68 72 00 72 00 68 C4 01 41 01 00 00 0E 70 00 00 01 00 01 00 00 01 0E 0A 05 08 21 11 26 47 08 21 11 26 AC 16';
// Answer to F1 with one ERC10 record: p1, start, phase A, voltage loss (flag 81H), Ua 0, Ub 220.5,
// Uc 219.8, Ia 0, Ib 1.250, Ic 1.100, forward active energy 12345.6789.
const ERC10_ANSWER =
  '68 BA 00 BA 00 68 88 01 41 01 00 00 0E 60 00 00 01 00 02 00 01 02 0A 1C 00 09 21 11 26 01 80 81 00 00 05 22 98 21 00 00 00 50 12 00 00 11 00 89 67 45 23 01 74 16';

describe('AFN 0E events', () => {
  it('decodes an active ERC14 report: power-off and power-on times', () => {
    const f = must(decodeQgdwFrame(hex(ERC14_REPORT)));
    expect(f.control).toMatchObject({ up: true, prm: true, fn: 4 });
    expect(f.seq.con).toBe(true);
    expect(must(decodeEvents(f))).toEqual({
      important: true,
      ec1: 1,
      ec2: 0,
      pm: 0,
      pn: 1,
      records: [
        {
          erc: 14,
          name: 'terminal power-off/power-on',
          powerOffAt: { year: 2026, month: 11, day: 21, hour: 8, minute: 5, second: 0 },
          powerOnAt: { year: 2026, month: 11, day: 21, hour: 8, minute: 47, second: 0 },
        },
      ],
    });
  });

  it('encodes the same report', () => {
    const frame = must(
      encodePowerEventsReport(ADDRESS, 0, 1, 0, [
        { powerOffAt: { year: 2026, month: 11, day: 21, hour: 8, minute: 5, second: 0 }, powerOnAt: { year: 2026, month: 11, day: 21, hour: 8, minute: 47, second: 0 } },
      ]),
    );
    expect(toHex(frame)).toBe(ERC14_REPORT);
  });

  it('decodes ERC10 voltage loss on phase A with voltages, currents and energy', () => {
    const p = must(decodeEvents(must(decodeQgdwFrame(hex(ERC10_ANSWER)))));
    expect(p.records[0]).toEqual({
      erc: 10,
      name: 'voltage circuit anomaly',
      at: { year: 2026, month: 11, day: 21, hour: 9, minute: 0, second: 0 },
      pn: 1,
      starts: true,
      phases: { a: true, b: false, c: false },
      kind: 'voltage-loss',
      voltages: [0, 220.5, 219.8],
      currents: [0, 1.25, 1.1],
      energy: 12345.6789,
    });
  });

  it('reads a power-off record still open (power-on time not yet known, EE filler) and the 11-byte 2013 layout', () => {
    const content = hex('05 08 21 11 26 EE EE EE EE EE 03');
    expect(must(decodeEventRecord(14, content, 0, 11))).toEqual({
      erc: 14,
      name: 'terminal power-off/power-on',
      powerOffAt: { year: 2026, month: 11, day: 21, hour: 8, minute: 5, second: 0 },
      powerOnAt: null,
      attributes: { normal: true, valid: true },
    });
  });

  it('decodes ERC24 voltage above the upper-upper limit on phases A and C', () => {
    // 2026-11-21 10:30, start on p2 (word 8002H), flag 45H = type 01 + phases A, C; Ua 253.4, Ub 231.0, Uc 252.0 (A.7)
    const content = hex('30 10 21 11 26 02 80 45 34 25 10 23 20 25');
    expect(must(decodeEventRecord(24, content, 0, 14))).toEqual({
      erc: 24,
      name: 'voltage out of limits',
      at: { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 0 },
      pn: 2,
      starts: true,
      phases: { a: true, b: false, c: true },
      kind: 'above-upper-upper',
      voltages: [253.4, 231, 252],
    });
  });

  it('decodes ERC25 current above the upper limit ending on phase B, with a negative and a missing current', () => {
    // end on p3 (word 0003H), flag 82H = type 10 + phase B; Ia 1.000, Ib -65.500 (sign bit), Ic missing (EE)
    const content = hex('30 10 21 11 26 03 00 82 00 10 00 00 55 86 EE EE EE');
    expect(must(decodeEventRecord(25, content, 0, 17))).toMatchObject({
      erc: 25,
      pn: 3,
      starts: false,
      phases: { a: false, b: true, c: false },
      kind: 'above-upper',
      currents: [1, -65.5, null],
    });
  });

  it('decodes ERC9 reversed current on phase C', () => {
    const content = hex('30 10 21 11 26 01 80 C4 00 22 00 22 00 22 00 10 00 00 10 00 00 10 80 00 00 00 00 00');
    expect(must(decodeEventRecord(9, content, 0, 28))).toMatchObject({
      erc: 9,
      name: 'current circuit anomaly',
      pn: 1,
      starts: true,
      phases: { a: false, b: false, c: true },
      kind: 'reverse',
      voltages: [220, 220, 220],
      currents: [1, 1, -1],
      energy: 0,
    });
  });

  it('keeps records it does not decode, and stays aligned on Le', () => {
    const body = hex('01 03 AA BB CC');
    expect(must(decodeEventRecord(1, body, 2, 3))).toEqual({ erc: 1, name: 'unsupported', raw: hex('AA BB CC') });
  });

  it('reports a record whose Le runs past the frame', () => {
    const f = must(decodeQgdwFrame(hex(ERC14_REPORT)));
    const cut = { ...f, body: f.body.subarray(0, f.body.length - 3) };
    expect(decodeEvents(cut)).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
  });

  it('builds the master request for important events 0..255', () => {
    const f = must(decodeQgdwFrame(must(encodeEventsRequest(ADDRESS, 2, true, 0, 255))));
    expect(f.afn).toBe(0x0e);
    expect([...f.body]).toEqual([0, 0, 1, 0, 0, 255]);
  });
});
