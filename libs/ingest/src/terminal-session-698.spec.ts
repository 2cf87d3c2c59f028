import { Protocol } from '@gridstation/contracts';
import { dlt698, parseHex } from '@gridstation/protocols';
import { TerminalSession, type SessionDecision } from './terminal-session';

// DL/T 698.45 terminals on the same port: frames laid out by hand from the standard (C = 81H / 83H:
// DIR = 1, from the server, PRM = 0, the server started the exchange; AF = 05H: single address of
// 6 bytes, logic 0; CA = 00H), HCS and FCS computed with an independent CRC-16/X-25.
const hex = (s: string) => {
  const b = parseHex(s);
  if (!(b instanceof Uint8Array)) throw new Error(b.error);
  return b;
};
// LINK-Request login, PIID 0, heartbeat 60 s, request time 2026-12-02 (Wednesday) 15:30:00.000, SA 000000000001.
const LOGIN = hex('68 1E 00 81 05 01 00 00 00 00 00 00 D2 B6 01 00 00 00 3C 07 EA 0C 02 03 0F 1E 00 00 00 F5 03 16');
// LINK-Request heartbeat, PIID 1.
const HEARTBEAT = hex('68 1E 00 81 05 01 00 00 00 00 00 00 D2 B6 01 01 01 00 3C 07 EA 0C 02 03 0F 1F 00 00 00 09 64 16');
// Login of SA 000000000099, not in the archive.
const STRANGER = hex('68 1E 00 81 05 99 00 00 00 00 00 00 EA 5B 01 00 00 00 3C 07 EA 0C 02 03 0F 1E 00 00 00 F5 03 16');
// REPORT-Notification-List, PIID 2: 00100200 (forward active energy) = [1234.56, 1000.00] kWh, no time tag.
const REPORT = hex('68 25 00 83 05 01 00 00 00 00 00 00 FE FC 88 01 02 01 00 10 02 00 01 01 02 06 00 01 E2 40 06 00 01 86 A0 00 3C BD 16');

// The same REPORT split in two application-layer fragments (C = A3H: the split bit set): fragment 0
// (first, header 00 00) with the first ten APDU bytes, fragment 1 (last, header 01 40) with the rest.
const FRAGMENT_0 = hex('68 1B 00 A3 05 01 00 00 00 00 00 00 D5 D1 00 00 88 01 02 01 00 10 02 00 01 01 95 3E 16');
const FRAGMENT_1 = hex('68 1D 00 A3 05 01 00 00 00 00 00 00 A2 24 01 40 02 06 00 01 E2 40 06 00 01 86 A0 00 22 AD 16');

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const apduOf = (bytes: Uint8Array) => {
  const f = must(dlt698.decodeDlt698Frame(bytes));
  return { f, a: must(dlt698.decodeApdu(f.apdu)) };
};
const NOW = Date.UTC(2026, 11, 2, 7, 30, 1);

describe('TerminalSession with DL/T 698.45 terminals', () => {
  it('checks the login with the archive, then publishes it with a LINK-Response to send after the bus acknowledged it', () => {
    const s = new TerminalSession(undefined, () => NOW);
    expect(s.receive(LOGIN)).toEqual([{ kind: 'check-identity', identity: { kind: 'terminal', id: '000000000001' } }]);
    const out = s.identityChecked('known');
    expect(out.map((d) => d.kind)).toEqual(['claim', 'publish']);
    const pub = out[1] as Extract<SessionDecision, { kind: 'publish' }>;
    expect(pub).toMatchObject({ key: '000000000001', protocol: Protocol.PROTOCOL_DLT698_45, terminal: '000000000001' });
    expect(Buffer.from(pub.bytes)).toEqual(Buffer.from(LOGIN));
    const { f, a } = apduOf(pub.confirm!);
    expect(f.control).toMatchObject({ fromServer: false, initiator: false, function: 1 });
    expect(f.server.address).toBe('000000000001');
    expect(a).toMatchObject({ kind: 'linkResponse', piid: 0, result: 0, requestTime: { year: 2026, month: 12, day: 2, hour: 15, minute: 30, second: 0 }, receivedTime: { hour: 15, minute: 30, second: 1 } });
    expect(s.terminal).toBe('000000000001');
  });

  it('answers heartbeats and confirms a REPORT-Notification with a REPORT-Response naming its OADs', () => {
    const s = new TerminalSession(undefined, () => NOW);
    s.receive(LOGIN);
    s.identityChecked('known');
    const hb = s.receive(HEARTBEAT);
    expect(hb.map((d) => d.kind)).toEqual(['claim', 'publish']);
    expect(apduOf((hb[1] as { confirm: Uint8Array }).confirm).a).toMatchObject({ kind: 'linkResponse', piid: 1 });
    const rep = s.receive(REPORT);
    expect(rep.map((d) => d.kind)).toEqual(['publish']);
    const { f, a } = apduOf((rep[0] as { confirm: Uint8Array }).confirm);
    expect(f.control.function).toBe(3);
    expect(a).toMatchObject({ kind: 'reportResponse', piid: 2, oads: [{ oi: 0x0010, attribute: 2, index: 0 }] });
  });

  it('refuses an unknown terminal with LINK-Response "illegal device" and closes', () => {
    const s = new TerminalSession(undefined, () => NOW);
    s.receive(STRANGER);
    const out = s.identityChecked('unknown');
    expect(out.map((d) => d.kind)).toEqual(['refused', 'send', 'close']);
    expect(out[0]).toMatchObject({ reason: 'unknown_terminal', id: '000000000099' });
    expect(apduOf((out[1] as { bytes: Uint8Array }).bytes).a).toMatchObject({ kind: 'linkResponse', result: dlt698.LINK_RESULT.illegalDevice });
  });

  it('dead-letters a report from a connection that never logged in (698.45 has no deny)', () => {
    const s = new TerminalSession(undefined, () => NOW);
    const out = s.receive(REPORT);
    expect(out).toEqual([expect.objectContaining({ kind: 'refused', reason: 'not_logged_in', id: '000000000001', deadLetter: REPORT })]);
  });

  it('takes 1376.1 and 698.45 terminals on the same port: each connection is whichever logged in', () => {
    const s = new TerminalSession(undefined, () => NOW);
    s.receive(LOGIN);
    s.identityChecked('known');
    const qgdwLogin = hex('68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16');
    expect(s.receive(qgdwLogin)).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'refused', reason: 'identity_change' })]));
  });

  it('sends a frame whose CRC is wrong to the dead-letter topic with the reason', () => {
    const s = new TerminalSession(undefined, () => NOW);
    const bad = Uint8Array.from(REPORT);
    bad[20] = bad[20]! ^ 0xff; // inside the APDU: the FCS no longer matches (the HCS still does, so it deframes)
    const out = s.receive(bad);
    expect(out).toEqual([expect.objectContaining({ kind: 'bad-input' })]);
  });

  it('reassembles a split REPORT: each fragment confirmed, the whole APDU published once and answered after the bus ack', () => {
    const s = new TerminalSession(undefined, () => NOW);
    s.receive(LOGIN);
    s.identityChecked('known');
    const first = s.receive(FRAGMENT_0);
    expect(first.map((d) => d.kind)).toEqual(['send']);
    const c0 = must(dlt698.decodeDlt698Frame((first[0] as { bytes: Uint8Array }).bytes));
    expect({ fromServer: c0.control.fromServer, split: c0.split }).toEqual({ fromServer: false, split: { index: 0, kind: 'confirm' } });
    const last = s.receive(FRAGMENT_1);
    expect(last.map((d) => d.kind)).toEqual(['send', 'publish']);
    expect(must(dlt698.decodeDlt698Frame((last[0] as { bytes: Uint8Array }).bytes)).split).toEqual({ index: 1, kind: 'confirm' });
    const pub = last[1] as Extract<SessionDecision, { kind: 'publish' }>;
    // The published frame is the whole APDU in one frame: byte for byte the unsplit REPORT.
    expect(Buffer.from(pub.bytes)).toEqual(Buffer.from(REPORT));
    expect(apduOf(pub.confirm!).a).toMatchObject({ kind: 'reportResponse', piid: 2 });
  });

  it('starts a split exchange over when a fragment is out of order, and takes no fragments before login', () => {
    const s = new TerminalSession(undefined, () => NOW);
    expect(s.receive(FRAGMENT_0)).toEqual([expect.objectContaining({ kind: 'refused', reason: 'not_logged_in' })]);
    s.receive(LOGIN);
    s.identityChecked('known');
    expect(s.receive(FRAGMENT_1)).toEqual([expect.objectContaining({ kind: 'bad-input', code: 'SPLIT_OUT_OF_ORDER' })]);
  });
});
