import { Protocol } from '@gridstation/contracts';
import { qgdw1376 } from '@gridstation/protocols';
import { DEFAULT_SESSION, TerminalSession, type SessionDecision } from './terminal-session';

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const address = (terminal: number) => ({ region: '4101', terminal, master: 0, group: false });
const login = (t: number, seq = 1) => must(qgdw1376.encodeLinkCheck('login', address(t), seq));
const heartbeat = (t: number, seq = 2) => must(qgdw1376.encodeLinkCheck('heartbeat', address(t), seq));
const report = (t: number) => must(qgdw1376.encodeClass1Response(address(t), 3, [{ pn: 1, fn: 129, values: [{ year: 2026, month: 11, day: 1, hour: 10, minute: 15, second: 0 }, 1, 1.5, 2.5] }]));
/** What happened, leaving out the replies offered to downlink correlation (the test reports are responses). */
const kinds = (ds: readonly SessionDecision[]) => ds.filter((d) => d.kind !== 'reply').map((d) => d.kind);
const concat = (...parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

describe('TerminalSession', () => {
  it('holds frames that arrive behind a login in the same chunk until the archive answered, then publishes them in order', () => {
    const s = new TerminalSession();
    expect(kinds(s.receive(concat(login(7), report(7), heartbeat(7))))).toEqual(['check-identity']);
    expect(s.state).toBe('checking');
    const after = s.identityChecked('known');
    expect(kinds(after)).toEqual(['claim', 'publish', 'publish', 'claim', 'publish']);
    const published = after.filter((d) => d.kind === 'publish');
    expect(published.map((d) => d.kind === 'publish' && qgdw1376.decodeQgdwFrame(d.bytes).ok && must(qgdw1376.decodeQgdwFrame(d.bytes)).afn)).toEqual([0x02, 0x0c, 0x02]);
    expect(published.every((d) => d.kind === 'publish' && d.key === '4101-00007' && d.protocol === Protocol.PROTOCOL_QGDW_1376_1)).toBe(true);
    expect(after.some((d) => d.kind === 'refused')).toBe(false);
    expect(s.terminal).toBe('4101-00007');
  });

  it('confirms only what asked for it: the login and heartbeat carry an AFN 00 F1 to send after the bus acknowledged them', () => {
    const s = new TerminalSession();
    s.receive(login(7, 5));
    const [, pub] = s.identityChecked('known');
    expect(pub).toMatchObject({ kind: 'publish' });
    const confirm = must(qgdw1376.decodeQgdwFrame((pub as { confirm: Uint8Array }).confirm));
    expect({ afn: confirm.afn, seq: confirm.seq.seq, kind: must(qgdw1376.decodeConfirm(confirm)).kind }).toEqual({ afn: 0, seq: 5, kind: 'all-confirmed' });
  });

  it('refuses an unknown terminal (AFN 00 F2) and closes, dropping what waited behind its login', () => {
    const s = new TerminalSession();
    s.receive(concat(login(8), report(8)));
    const out = s.identityChecked('unknown');
    expect(kinds(out)).toEqual(['refused', 'send', 'close']);
    expect(out[0]).toMatchObject({ reason: 'unknown_terminal', id: '4101-00008' });
    expect(must(qgdw1376.decodeConfirm(must(qgdw1376.decodeQgdwFrame((out[1] as { bytes: Uint8Array }).bytes)))).kind).toBe('all-denied');
    expect(s.terminal).toBeUndefined();
  });

  it('says archive_unavailable when the archive could not be asked', () => {
    const s = new TerminalSession();
    s.receive(login(7));
    expect(s.identityChecked('unavailable')[0]).toMatchObject({ kind: 'refused', reason: 'archive_unavailable' });
  });

  it('denies data from a connection that never logged in, and data naming another terminal', () => {
    const s = new TerminalSession();
    expect(s.receive(heartbeat(7))).toEqual([expect.objectContaining({ kind: 'refused', reason: 'not_logged_in' }), expect.objectContaining({ kind: 'send' })]);
    s.receive(login(7));
    s.identityChecked('known');
    expect(s.receive(report(9))[0]).toMatchObject({ kind: 'refused', reason: 'address_mismatch', id: '4101-00009' });
  });

  it('keeps one identity for its lifetime: a second login as another terminal is refused, the first stays', () => {
    const s = new TerminalSession();
    s.receive(login(7));
    s.identityChecked('known');
    const out = s.receive(login(9));
    expect(kinds(out)).toEqual(['refused', 'send']);
    expect(out[0]).toMatchObject({ reason: 'identity_change', id: '4101-00009' });
    expect(s.terminal).toBe('4101-00007');
    expect(kinds(s.receive(login(7, 3)))).toEqual(['claim', 'publish']);
  });

  it('pauses reading when many frames pile up behind a login that is still being checked, and resumes after', () => {
    const s = new TerminalSession({ ...DEFAULT_SESSION, maxQueuedWhileChecking: 3 });
    const out = s.receive(concat(login(7), report(7), report(7), report(7), report(7)));
    expect(kinds(out)).toEqual(['check-identity', 'pause']);
    const after = s.identityChecked('known');
    expect(kinds(after).filter((k) => k === 'publish')).toHaveLength(5);
    expect(kinds(after).at(-1)).toBe('resume');
  });

  it('turns corrupted bytes into bad input carrying the damaged bytes and the deframer reason', () => {
    const s = new TerminalSession();
    const bad = login(7);
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
    expect(s.receive(bad)[0]).toMatchObject({ kind: 'bad-input', code: 'DEFRAME_CHECKSUM', bytes: bad, report: true });
  });
});

/** A DL/T 645 read reply of meter 665544332211 (address A0 first on the wire), checksum computed here. */
function dlt645Reply(address = '112233445566'): Buffer {
  const f = Buffer.from(`68${address}68910833333433${'33'.repeat(4)}0016`, 'hex');
  let cs = 0;
  for (let i = 0; i < f.length - 2; i++) cs = (cs + f[i]!) & 0xff;
  f[f.length - 2] = cs;
  return f;
}

describe('TerminalSession: DL/T 645 through serial-to-TCP gateways', () => {
  it('refuses DL/T 645 from a connection that never identified itself, dead-lettering the frame with the reason', () => {
    const s = new TerminalSession();
    const out = s.receive(dlt645Reply());
    expect(out).toEqual([expect.objectContaining({ kind: 'refused', reason: 'gateway_not_identified', id: '665544332211', deadLetter: expect.any(Uint8Array) })]);
    expect(out.some((d) => d.kind === 'publish')).toBe(false);
  });

  it('takes a gateway\'s registration packet, asks the archive, then accepts only the meters bound to that gateway', () => {
    const s = new TerminalSession();
    const first = s.receive(Buffer.concat([Buffer.from('REG:GW0001\r\n'), dlt645Reply()]));
    expect(first).toEqual([{ kind: 'check-identity', identity: { kind: 'gateway', id: 'GW0001' } }]);
    const after = s.identityChecked('known', ['665544332211']);
    expect(after).toEqual([{ kind: 'claim', id: 'GW0001' }, expect.objectContaining({ kind: 'publish', key: '665544332211', protocol: Protocol.PROTOCOL_DLT645_2007, terminal: 'GW0001' })]);
    expect(s.receive(dlt645Reply('999999999999'))).toEqual([expect.objectContaining({ kind: 'refused', reason: 'meter_not_bound', id: '999999999999' })]);
  });

  it('waits for a registration packet that arrives a byte at a time, and treats a connection starting with a frame as no gateway', () => {
    const s = new TerminalSession();
    const parts = [...Buffer.from('REG:GW7\n')].map((b) => s.receive(Uint8Array.of(b)));
    expect(parts.flat()).toEqual([{ kind: 'check-identity', identity: { kind: 'gateway', id: 'GW7' } }]);
    const t = new TerminalSession();
    expect(t.receive(login(7))).toEqual([{ kind: 'check-identity', identity: { kind: 'terminal', id: '4101-00007' } }]);
  });

  it('identifies a gateway by its source address when the allow-list names it, and refuses an unknown one', () => {
    const s = new TerminalSession();
    expect(s.identifyBySource('GW0002')).toEqual([{ kind: 'check-identity', identity: { kind: 'gateway', id: 'GW0002' } }]);
    expect(s.identityChecked('unknown')).toEqual([expect.objectContaining({ kind: 'refused', reason: 'unknown_gateway' }), expect.objectContaining({ kind: 'close' })]);
  });

  it('closes a connection after the configured number of refused frames', () => {
    const s = new TerminalSession({ ...DEFAULT_SESSION, maxRefusals: 3 });
    const out = s.receive(Buffer.concat([dlt645Reply(), dlt645Reply(), dlt645Reply(), dlt645Reply()]));
    expect(kinds(out)).toEqual(['refused', 'refused', 'refused', 'close']);
    expect(s.state).toBe('closed');
  });
});

describe('TerminalSession: abusive input', () => {
  it('spends a dead-letter budget per connection, counts the rest, and closes a connection that keeps going', () => {
    const now = 0; // frozen: the budget does not refill during the burst
    const s = new TerminalSession({ ...DEFAULT_SESSION, deadLetterBurst: 3, deadLettersPerSec: 1, maxSuppressed: 5 }, () => now);
    const bad = login(7);
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
    const out = s.receive(Buffer.concat(Array.from({ length: 10 }, () => Buffer.from(bad))));
    const reports = out.filter((d) => d.kind === 'bad-input').map((d) => (d as { report: boolean }).report);
    expect(reports.slice(0, 3)).toEqual([true, true, true]);
    expect(reports.slice(3).every((r) => !r)).toBe(true);
    expect(out.at(-1)).toMatchObject({ kind: 'close' });
    expect(reports).toHaveLength(8);
  });
});
