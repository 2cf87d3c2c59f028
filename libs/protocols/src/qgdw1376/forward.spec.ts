import { encodeReadReply } from '../dlt645/frame';
import { decodeQgdwFrame } from './frame';
import { decodeForwardResponse, decodeTimeSet, DLT645_PORT_DEFAULTS, encodeForwardRequest, encodeForwardResponse, encodeTimeSet } from './forward';
import { hex, must, toHex } from '../../test/bytes';

const ADDRESS = { region: '4101', terminal: 1, master: 0, group: false };
const READ_645 = hex('68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16');

describe('AFN 10 transparent forwarding', () => {
  it('lays out the request: port, control word, timeouts, length, content, PW', () => {
    const f = must(decodeQgdwFrame(must(encodeForwardRequest(ADDRESS, 3, { port: 2, ...DLT645_PORT_DEFAULTS }, READ_645))));
    expect(f.afn).toBe(0x10);
    expect(f.control).toMatchObject({ up: false, prm: true, fn: 10 });
    expect(f.seq).toMatchObject({ con: true, seq: 3 });
    // 2400 baud (3 << 5), even parity (08H), 8 data bits (3): 6BH; 2 s frame timeout (82H); 500 ms bytes (50 x 10 ms).
    expect(toHex(f.body.subarray(0, 10))).toBe('00 00 01 00 02 6B 82 32 10 00');
    expect(toHex(f.body.subarray(10, 26))).toBe(toHex(READ_645));
    expect(f.body.length).toBe(10 + 16 + 16);
  });

  it('decodes the answer and the DL/T 645 reply inside it, wake-up bytes included', () => {
    const reply = must(encodeReadReply('123456789012', '00010000', [1234.56]));
    const content = Uint8Array.from([0xfe, 0xfe, 0xfe, 0xfe, ...reply]);
    const f = must(decodeQgdwFrame(must(encodeForwardResponse(ADDRESS, 3, 2, content))));
    const p = must(decodeForwardResponse(f));
    expect(p.port).toBe(2);
    expect(p.inner).toHaveLength(1);
    expect(p.inner[0]!.offset).toBe(4);
    expect(p.inner[0]!.frame.address).toBe('123456789012');
    expect(p.inner[0]!.payload?.fields?.[0]?.value).toBe(1234.56);
  });

  it('reports a declared length longer than the data', () => {
    const f = must(decodeQgdwFrame(must(encodeForwardResponse(ADDRESS, 0, 1, READ_645))));
    const cut = { ...f, body: f.body.subarray(0, f.body.length - 4) };
    expect(decodeForwardResponse(cut)).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
  });
});

describe('AFN 05 F31 time set', () => {
  it('carries the A.1 clock (week in the month byte) and the password', () => {
    const pw = Uint8Array.from({ length: 16 }, (_, i) => i);
    // 2026-11-21 is a Saturday: week 6 in D7-D5 of the month byte -> C0H | 11H = D1H.
    const f = must(decodeQgdwFrame(must(encodeTimeSet(ADDRESS, 1, { year: 2026, month: 11, day: 21, hour: 8, minute: 30, second: 15 }, pw))));
    expect(f.afn).toBe(0x05);
    expect(toHex(f.body.subarray(0, 10))).toBe('00 00 40 03 15 30 08 21 D1 26');
    expect(must(decodeTimeSet(f))).toEqual({ time: { year: 2026, month: 11, day: 21, hour: 8, minute: 30, second: 15, weekday: 6 }, password: pw });
  });
});
