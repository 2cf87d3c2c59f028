import { describeQgdw } from '../describe';
import { decodeQgdwFrame, isBroadcast, type QgdwVariant } from './frame';
import { walkDataUnits } from './units';
import { hex, must } from '../../test/bytes';

// Frames laid out by hand from Q/GDW 1376.1-2013 (and Q/GDW 130-2005 for protocol bits 01): the test
// wraps the user data area (C .. AUX) with 68 L L 68 ... CS 16, L = length << 2 | protocol, CS = the
// byte sum of the user data area modulo 256 -- the standard's rules, written here independently of
// the codec's encoder.
function wrap(user: string, protocol = 2): Uint8Array {
  const u = hex(user);
  const l = (u.length << 2) | protocol;
  let cs = 0;
  for (const b of u) cs = (cs + b) & 0xff;
  return Uint8Array.from([0x68, l & 0xff, l >> 8, l & 0xff, l >> 8, 0x68, ...u, cs, 0x16]);
}
const walk = (bytes: Uint8Array, variant?: QgdwVariant) => walkDataUnits(must(decodeQgdwFrame(bytes, 0, variant)));
const PW16 = '00 '.repeat(16);

describe('1376.1 data units of every AFN', () => {
  it('lists a class 1 read request: several pn in one DA, several Fn in one DT', () => {
    // C = 4BH (down, PRM, request class 2 function); A1 = 4101, A2 = 1, A3 = 02 (master 1); AFN 0C;
    // SEQ 61; DA p1..p3 (07 01), DT F25 (01 03); DA p1 (01 01), DT F129 F130 (01 10 | 02 10 = 03 10).
    const w = walk(wrap('4B 01 41 01 00 02 0C 61 07 01 01 03 01 01 03 10'));
    expect(w.units.map((u) => ({ pn: u.pn, fn: u.fn }))).toEqual([
      { pn: [1, 2, 3], fn: [25] },
      { pn: [1], fn: [129, 130] },
    ]);
    expect(w.rest).toBeUndefined();
  });

  it('walks a class 2 request: Td_d for daily freezes, Td_c for curves, then Tp', () => {
    // F161 p1 with Td_d = 01 12 26 (2026-12-01); F81 p2 with Td_c = 00 00 01 12 26, m = 1 (15 min), n = 96;
    // SEQ E1: TpV set; Tp = PFC 05, 00 10 09 02 (02 09:10:00), delay 0.
    const w = walk(wrap('4B 01 41 01 00 02 0D E1 01 01 01 14 01 12 26 02 01 01 0A 00 00 01 12 26 01 60 05 00 10 09 02 00'));
    expect(w.units.map((u) => ({ pn: u.pn, fn: u.fn, len: u.data?.length }))).toEqual([
      { pn: [1], fn: [161], len: 3 },
      { pn: [2], fn: [81], len: 7 },
    ]);
    expect(w.aux.tp).toEqual({ pfc: 5, sentAt: { second: 0, minute: 10, hour: 9, day: 2 }, delayMinutes: 0 });
  });

  it('walks an AFN 04 set of F1 and F3 with the 16-byte PW', () => {
    // F1: RTS 0, delay 0, timeout 30 s + retries 3 (1E 30), confirm flags 01, heartbeat 5 min = 6 bytes.
    // F3: 10.0.0.1:9000, 10.0.0.2:9001, APN "CMNET" = 28 bytes.
    const f1 = '00 00 1E 30 01 05';
    const f3 = `0A 00 00 01 28 23 0A 00 00 02 29 23 ${'43 4D 4E 45 54 '}${'00 '.repeat(11)}`;
    const w = walk(wrap(`4A 01 41 01 00 02 04 71 00 00 01 00 ${f1} 00 00 04 00 ${f3} ${PW16}`));
    expect(w.units.map((u) => ({ fn: u.fn, len: u.data?.length }))).toEqual([
      { fn: [1], len: 6 },
      { fn: [3], len: 28 },
    ]);
    expect(w.aux.pw).toHaveLength(16);
    const d = describeQgdw(wrap(`4A 01 41 01 00 02 04 71 00 00 01 00 ${f1} 00 00 04 00 ${f3} ${PW16}`), 0);
    expect(d['dataUnits']).toEqual([
      {
        pn: [0],
        fn: [1],
        name: 'terminal uplink communication parameters',
        data: '00 00 1E 30 01 05',
        values: { rtsDelayMs: 0, sendDelaySeconds: 0, answerTimeoutSeconds: 30, retries: 3, confirmClass1: true, confirmClass2: false, confirmClass3: false, heartbeatMinutes: 5 },
      },
      expect.objectContaining({ pn: [0], fn: [3], name: 'master station IP address and port' }),
    ]);
  });

  it('prints F25 measurement point basics of an AFN 0A answer', () => {
    // p1 (01 01), F25 (01 03): PT 1, CT 40, 220.0 V (A.7: 00 22), 5.0 A (A.22: 50), 50.0000 kVA (A.23: 00 00 50), three-phase four-wire (02).
    const d = describeQgdw(wrap('88 01 41 01 00 00 0A 60 01 01 01 03 01 00 28 00 00 22 50 00 00 50 02'), 0);
    expect(d['dataUnits']).toEqual([expect.objectContaining({ pn: [1], fn: [25], values: { ptRatio: 1, ctRatio: 40, ratedVoltage: 220, ratedCurrent: 5, ratedLoadKva: 50, connection: 'three-phase four-wire' } })]);
  });

  it('prints an AFN 01 reset and its PW; an AFN 09 F1 version answer is decoded', () => {
    const reset = describeQgdw(wrap(`41 01 41 01 00 02 01 71 00 00 04 00 ${PW16}`), 0);
    expect(reset['dataUnits']).toEqual([{ pn: [0], fn: [3], name: 'parameter and all data initialisation (factory)' }]);
    expect(reset['pw']).toBe(PW16.trim());
    // Vendor "GSTN", device "00000001", software "V1.0" of 2026-11-20, capacity "12345678901",
    // protocol "1376", hardware "H2.1" of 2025-01-05.
    const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16)).join(' ');
    const data = `${ascii('GSTN')} ${ascii('00000001')} ${ascii('V1.0')} 20 11 26 ${ascii('12345678901')} ${ascii('1376')} ${ascii('H2.1')} 05 01 25`;
    const v = describeQgdw(wrap(`88 01 41 01 00 02 09 60 00 00 01 00 ${data}`), 0);
    expect(v['version']).toEqual({ vendor: 'GSTN', device: '00000001', software: 'V1.0', softwareDate: '2026-11-20', capacity: '12345678901', protocolVersion: '1376', hardware: 'H2.1', hardwareDate: '2025-01-05' });
  });

  it('keeps the rest raw from a unit whose layout is not known, still naming the unit', () => {
    // AFN 0C uplink F26 (phase break statistics) is not sized here; F2 before it is.
    const w = walk(wrap('88 01 41 01 00 02 0C 60 00 00 02 00 00 00 09 01 12 26 00 00 02 03 AA BB CC'));
    expect(w.units.map((u) => u.fn)).toEqual([[2], [26]]);
    expect(w.units[1]!.data).toBeUndefined();
    expect(w.rest?.raw).toEqual(hex('AA BB CC'));
  });

  it('accepts broadcast addresses: A1 = FFFFH, A2 = FFFFH with A3 D0 = 1', () => {
    const bytes = wrap('44 FF FF FF FF 03 05 71 00 00 40 03 00 00 09 01 12 26 ' + PW16);
    const f = must(decodeQgdwFrame(bytes));
    expect(f.address).toEqual({ region: 'FFFF', terminal: 0xffff, master: 1, group: true });
    expect(isBroadcast(f.address)).toBe(true);
    const d = describeQgdw(bytes, 0);
    expect(d['broadcast']).toBe(true);
    expect(d['clock']).toBe('2026-12-01 09:00:00');
  });

  it('decodes a Q/GDW 130-2005 frame (protocol bits 01, 2-byte PW)', () => {
    const bytes = wrap('4A 01 41 01 00 02 04 71 00 00 01 00 00 00 1E 30 01 05 12 34', 1);
    const d = describeQgdw(bytes, 0);
    expect(d['protocol']).toBe('qgdw130-2005');
    expect(d['pw']).toBe('12 34');
    expect(d['dataUnits']).toEqual([expect.objectContaining({ fn: [1], data: '00 00 1E 30 01 05' })]);
  });

  it('reads 4-byte terminal addresses only when that variant is configured', () => {
    const bytes = wrap('C9 01 41 78 56 34 12 00 02 70 00 00 04 00');
    expect(must(decodeQgdwFrame(bytes, 0, { terminalAddressBytes: 4 })).address.terminal).toBe(0x12345678);
    expect(walk(bytes, { terminalAddressBytes: 4 }).units).toEqual([expect.objectContaining({ pn: [0], fn: [3] })]);
    // Read as the standard layout the same bytes give a different AFN: nothing is guessed.
    expect(must(decodeQgdwFrame(bytes)).afn).toBe(0x12);
  });

  it('never throws on random bodies of any AFN', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let k = 0; k < 3000; k++) {
      const afn = Math.floor(rnd() * 17);
      const n = Math.floor(rnd() * 40);
      const body = Array.from({ length: n }, () => Math.floor(rnd() * 256).toString(16).padStart(2, '0')).join(' ');
      const c = rnd() < 0.5 ? 'A8' : '4B';
      const bytes = wrap(`${c} 01 41 01 00 02 ${afn.toString(16).padStart(2, '0')} ${rnd() < 0.3 ? 'E0' : '60'} ${body}`);
      expect(() => describeQgdw(bytes, 0)).not.toThrow();
    }
  });
});
