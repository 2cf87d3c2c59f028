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
    expect(kinds(s.receive(concat(login(7), report(7), heartbeat(7))))).toEqual(['check-login']);
    expect(s.state).toBe('checking');
    const after = s.loginChecked('known');
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
    const [, pub] = s.loginChecked('known');
    expect(pub).toMatchObject({ kind: 'publish' });
    const confirm = must(qgdw1376.decodeQgdwFrame((pub as { confirm: Uint8Array }).confirm));
    expect({ afn: confirm.afn, seq: confirm.seq.seq, kind: must(qgdw1376.decodeConfirm(confirm)).kind }).toEqual({ afn: 0, seq: 5, kind: 'all-confirmed' });
  });

  it('refuses an unknown terminal (AFN 00 F2) and closes, dropping what waited behind its login', () => {
    const s = new TerminalSession();
    s.receive(concat(login(8), report(8)));
    const out = s.loginChecked('unknown');
    expect(kinds(out)).toEqual(['refused', 'send', 'close']);
    expect(out[0]).toMatchObject({ reason: 'unknown_terminal', terminal: '4101-00008' });
    expect(must(qgdw1376.decodeConfirm(must(qgdw1376.decodeQgdwFrame((out[1] as { bytes: Uint8Array }).bytes)))).kind).toBe('all-denied');
    expect(s.terminal).toBeUndefined();
  });

  it('says archive_unavailable when the archive could not be asked', () => {
    const s = new TerminalSession();
    s.receive(login(7));
    expect(s.loginChecked('unavailable')[0]).toMatchObject({ kind: 'refused', reason: 'archive_unavailable' });
  });

  it('denies data from a connection that never logged in, and data naming another terminal', () => {
    const s = new TerminalSession();
    expect(s.receive(heartbeat(7))).toEqual([expect.objectContaining({ kind: 'refused', reason: 'not_logged_in' }), expect.objectContaining({ kind: 'send' })]);
    s.receive(login(7));
    s.loginChecked('known');
    expect(s.receive(report(9))[0]).toMatchObject({ kind: 'refused', reason: 'address_mismatch', terminal: '4101-00009' });
  });

  it('keeps one identity for its lifetime: a second login as another terminal is refused, the first stays', () => {
    const s = new TerminalSession();
    s.receive(login(7));
    s.loginChecked('known');
    const out = s.receive(login(9));
    expect(kinds(out)).toEqual(['refused', 'send']);
    expect(out[0]).toMatchObject({ reason: 'identity_change', terminal: '4101-00009' });
    expect(s.terminal).toBe('4101-00007');
    expect(kinds(s.receive(login(7, 3)))).toEqual(['claim', 'publish']);
  });

  it('pauses reading when many frames pile up behind a login that is still being checked, and resumes after', () => {
    const s = new TerminalSession({ ...DEFAULT_SESSION, maxQueuedWhileChecking: 3 });
    const out = s.receive(concat(login(7), report(7), report(7), report(7), report(7)));
    expect(kinds(out)).toEqual(['check-login', 'pause']);
    const after = s.loginChecked('known');
    expect(kinds(after).filter((k) => k === 'publish')).toHaveLength(5);
    expect(kinds(after).at(-1)).toBe('resume');
  });

  it('turns corrupted bytes into bad input with the deframer reason, and DL/T 645 frames into records keyed by meter address', () => {
    const s = new TerminalSession();
    const bad = login(7);
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
    expect(s.receive(bad)[0]).toMatchObject({ kind: 'bad-input', code: 'DEFRAME_CHECKSUM' });
    const dl = Buffer.from('6811223344556668110433333433' + 'XX16'.replace('XX', '00'), 'hex');
    // checksum of 68 .. data
    let cs = 0;
    for (let i = 0; i < dl.length - 2; i++) cs = (cs + dl[i]!) & 0xff;
    dl[dl.length - 2] = cs;
    expect(s.receive(dl)).toEqual([expect.objectContaining({ kind: 'publish', key: '665544332211', protocol: Protocol.PROTOCOL_DLT645_2007, terminal: '' })]);
  });
});
