import { decodeFn, decodePn, decodeQgdwFrame, encodeFn, encodePn, terminalKey, type QgdwFrame } from './frame';
import { decodeConfirm, decodeLinkCheck, encodeConfirmAll, encodeDenyAll, encodeLinkCheck } from './link';
import { hex, must, toHex } from '../../test/bytes';

// Frames written out from Q/GDW 1376.1-2013 by hand: L = (user data length << 2) | 2, checksum over
// the user data area (C through the last data byte), summed by hand.
const frame = (s: string): QgdwFrame => must(decodeQgdwFrame(hex(s)));

const LOGIN = '68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16';
const HEARTBEAT = '68 32 00 32 00 68 C9 01 41 01 00 00 02 71 00 00 04 00 83 16';
const CONFIRM = '68 32 00 32 00 68 0B 01 41 01 00 00 00 60 00 00 01 00 AF 16';
// AFN 00 F2 (all denied): DT1 = 02H, checksum one more than CONFIRM's.
const DENY = '68 32 00 32 00 68 0B 01 41 01 00 00 00 60 00 00 02 00 B0 16';

describe('Q/GDW 1376.1 link layer', () => {
  it('decodes a terminal login: L, C, A, AFN, SEQ and the data unit', () => {
    const f = frame(LOGIN);
    expect(f.protocolId).toBe(2);
    expect(f.length).toBe(20);
    expect(f.control).toMatchObject({ up: true, prm: true, acd: false, fn: 9, fnName: 'link test' });
    expect(f.address).toEqual({ region: '4101', terminal: 1, master: 0, group: false });
    expect(terminalKey(f.address)).toBe('4101-00001');
    expect(f.afn).toBe(0x02);
    expect(f.seq).toMatchObject({ tpv: false, fir: true, fin: true, con: true, seq: 0 });
    expect(must(decodeLinkCheck(f))).toBe('login');
  });

  it('decodes a heartbeat (AFN 02 F3)', () => {
    const f = frame(HEARTBEAT);
    expect(f.seq.seq).toBe(1);
    expect(must(decodeLinkCheck(f))).toBe('heartbeat');
  });

  it('answers a login with AFN 00 F1 from the master, echoing the sequence number', () => {
    expect(toHex(must(encodeConfirmAll(frame(LOGIN))))).toBe(CONFIRM);
    const c = frame(CONFIRM);
    expect(c.control).toMatchObject({ up: false, prm: false, fn: 11 });
    expect(must(decodeConfirm(c))).toEqual({ kind: 'all-confirmed' });
  });

  it('refuses a login with AFN 00 F2 (all denied)', () => {
    expect(toHex(must(encodeDenyAll(frame(LOGIN))))).toBe(DENY);
    expect(must(decodeConfirm(frame(DENY)))).toEqual({ kind: 'all-denied' });
  });

  it('builds the login and heartbeat frames a terminal sends', () => {
    const a = { region: '4101', terminal: 1, master: 0, group: false };
    expect(toHex(must(encodeLinkCheck('login', a, 0)))).toBe(LOGIN);
    expect(toHex(must(encodeLinkCheck('heartbeat', a, 1)))).toBe(HEARTBEAT);
  });

  it('reads terminal addresses above 255 low byte first, and the master address from A3', () => {
    // A2 = 0x1234 = 4660, A3 = 0x05 -> master 2, group flag set
    const f = frame('68 32 00 32 00 68 C9 01 41 34 12 05 02 70 00 00 01 00 C9 16');
    expect(f.address).toEqual({ region: '4101', terminal: 4660, master: 2, group: true });
  });

  it('reports checksum, length and L-copy errors with offsets', () => {
    expect(decodeQgdwFrame(hex(LOGIN.replace('7F 16', '7E 16')))).toMatchObject({ ok: false, error: { code: 'CHECKSUM', offset: 18 } });
    expect(decodeQgdwFrame(hex('68 32 00 36 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16'))).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH', offset: 3 } });
    expect(decodeQgdwFrame(hex(LOGIN).subarray(0, 15))).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
    expect(decodeQgdwFrame(hex(LOGIN.replace('68 C9 01 41', '68 C9 01 4A')))).toMatchObject({ ok: false });
  });
});

describe('data unit identifiers (DA = pn, DT = Fn)', () => {
  it('decodes pn from DA1 bitmap and DA2 group', () => {
    expect(decodePn(0x00, 0x00)).toEqual([0]);
    expect(decodePn(0x01, 0x01)).toEqual([1]);
    expect(decodePn(0x80, 0x02)).toEqual([16]);
    expect(decodePn(0x05, 0x01)).toEqual([1, 3]);
    expect(decodePn(0xff, 0xff)).toBe('all');
  });

  it('decodes Fn from DT1 bitmap and DT2 group', () => {
    expect(decodeFn(0x02, 0x00)).toEqual([2]);
    expect(decodeFn(0x01, 0x03)).toEqual([25]);
    expect(decodeFn(0x01, 0x04)).toEqual([33]);
    expect(decodeFn(0x01, 0x10)).toEqual([129]);
    expect(decodeFn(0x01, 0x14)).toEqual([161]);
  });

  it('encodes every pn and Fn back to itself', () => {
    for (let pn = 0; pn <= 2040; pn++) expect(decodePn(...encodePn(pn))).toEqual([pn]);
    for (let fn = 1; fn <= 248; fn++) expect(decodeFn(...encodeFn(fn))).toEqual([fn]);
  });
});
