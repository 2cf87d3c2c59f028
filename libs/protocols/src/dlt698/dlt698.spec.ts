import fc from 'fast-check';
import { Unit } from '@gridstation/contracts';
import { hex } from '../../test/bytes';
import { createAutoDeframer } from '../deframe';
import { describeDlt698 } from '../describe';
import { decodeApdu, encodeApdu, linkResponseFor, reportResponseFor, unwrapSecurity, type Apdu } from './apdu';
import { parseOad, Reader, Writer, type Data } from './data';
import { crc16x25, decodeDlt698Frame, encodeDlt698Frame, SplitReassembler } from './frame';
import { valuesOf } from './oad';

// Checked against the standard's definitions, not this encoder: CRC-16/X-25's catalogue check value, a
// frame published by an independent 698.45 parser, and frames built here byte by byte with their CRCs
// computed by a separate bitwise implementation.

/** CRC-16/X-25 bit by bit (no table), as the standard describes it. */
function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return ~crc & 0xffff;
}

/** A frame: 68 L C SA CA HCS APDU FCS 16, CRCs from crcBitwise. */
function frame(control: number, sa: number[], ca: number, apdu: number[]): Uint8Array {
  const len = 1 + 2 + 1 + sa.length + 1 + 2 + apdu.length + 2 + 1 - 2;
  const head = [len & 0xff, len >> 8, control, ...sa, ca];
  const hcs = crcBitwise(Uint8Array.from(head));
  const body = [...head, hcs & 0xff, hcs >> 8, ...apdu];
  const fcs = crcBitwise(Uint8Array.from(body));
  return Uint8Array.from([0x68, ...body, fcs & 0xff, fcs >> 8, 0x16]);
}

describe('DL/T 698.45 link layer', () => {
  it('CRC-16/X-25: the catalogue check value of "123456789" is 906EH', () => {
    expect(crc16x25(new TextEncoder().encode('123456789'))).toBe(0x906e);
  });

  it('CRC-16/X-25 by slices of four equals the bitwise definition for every length and offset', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let n = 0; n < 70; n++) {
      const b = Uint8Array.from({ length: n + 3 }, rnd);
      for (const from of [0, 1, 2, 3]) expect(crc16x25(b, from, b.length)).toBe(crcBitwise(b.subarray(from)));
    }
  });

  it('checks the FCS of frames of every APDU length (the FCS runs on from the HCS)', () => {
    for (let n = 1; n < 40; n++) {
      const apdu = Array.from({ length: n }, (_, k) => (k * 37 + n) & 0xff);
      const f = frame(0x83, [0x05, 1, 0, 0, 0, 0, 0], 0x10, apdu);
      const d = decodeDlt698Frame(f);
      expect(d.ok && [...d.value.apdu]).toEqual(apdu);
      const bad = Uint8Array.from(f);
      bad[f.length - 4] = bad[f.length - 4]! ^ 0x01;
      expect(decodeDlt698Frame(bad)).toMatchObject({ ok: false, error: { code: 'CHECKSUM' } });
    }
  });

  it('decodes a GET-Request frame published by an independent parser, HCS and FCS included', () => {
    const f = decodeDlt698Frame(hex('68 18 00 43 26 01 30 01 00 00 00 00 A1 83 EE 05 01 02 20 00 02 01 00 6B AF 16'));
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.value.control).toEqual({ fromServer: false, initiator: true, split: false, scrambled: false, function: 3 });
    expect(f.value.server).toEqual({ type: 'single', logic: 2, address: '00000000013001' });
    expect(f.value.client).toBe(0xa1);
    const a = decodeApdu(f.value.apdu);
    expect(a.ok && a.value).toEqual({ kind: 'getRequest', piid: 2, request: { type: 'normal', oad: parseOad('20000201') } });
  });

  it('reads a meter login (LINK-Request) and answers it with a LINK-Response the meter can check', () => {
    // Server -> client (DIR=1, PRM=1? no: the server starts the link exchange, PRM=1), link management.
    const login = frame(0x81, [0x05, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11], 0x00, [0x01, 0x00, 0x00, 0x00, 0xb4, 0x07, 0xea, 0x0c, 0x02, 0x03, 0x08, 0x1e, 0x00, 0x00, 0x00]);
    const f = decodeDlt698Frame(login);
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.value.server.address).toBe('111111111111');
    const a = decodeApdu(f.value.apdu);
    expect(a.ok && a.value).toEqual({ kind: 'linkRequest', piid: 0, request: 'login', heartbeatSeconds: 180, time: { year: 2026, month: 12, day: 2, week: 3, hour: 8, minute: 30, second: 0, milliseconds: 0 } });
    if (!a.ok || a.value.kind !== 'linkRequest') return;
    const t = { year: 2026, month: 12, day: 2, week: 3, hour: 8, minute: 30, second: 1, milliseconds: 5 };
    const reply = encodeDlt698Frame({ control: { fromServer: false, initiator: false, split: false, scrambled: false, function: 1 }, server: f.value.server, client: 0, apdu: encodeApdu(linkResponseFor(a.value, t, t)) });
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    const bytes = reply.value;
    // The reply's checksums agree with the bitwise CRC over the same bytes.
    const hcsAt = 4 + 7 + 1;
    expect(bytes[hcsAt]! | (bytes[hcsAt + 1]! << 8)).toBe(crcBitwise(bytes.slice(1, hcsAt)));
    expect(bytes[bytes.length - 3]! | (bytes[bytes.length - 2]! << 8)).toBe(crcBitwise(bytes.slice(1, bytes.length - 3)));
    const back = decodeDlt698Frame(bytes);
    expect(back.ok && decodeApdu(back.value.apdu)).toMatchObject({ ok: true, value: { kind: 'linkResponse', result: 0, clockTrusted: true, receivedTime: t } });
  });

  it('refuses a bad HCS, a bad FCS and a wrong length, naming the offset', () => {
    const good = frame(0x43, [0x05, 0x01, 0, 0, 0, 0, 0], 0x10, [0x05, 0x01, 0x01, 0x40, 0x00, 0x02, 0x00, 0x00]);
    const badHcs = good.slice();
    badHcs[12] = badHcs[12]! ^ 0xff;
    expect(decodeDlt698Frame(badHcs)).toMatchObject({ ok: false, error: { code: 'CHECKSUM', offset: 12 } });
    const badFcs = good.slice();
    badFcs[good.length - 3] = badFcs[good.length - 3]! ^ 0x01;
    expect(decodeDlt698Frame(badFcs)).toMatchObject({ ok: false, error: { code: 'CHECKSUM', offset: good.length - 3 } });
    expect(decodeDlt698Frame(good.slice(0, -1))).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
  });

  it('reassembles a split APDU from its fragments', () => {
    const apdu = encodeApdu({ kind: 'getResponse', piid: 1, response: { type: 'normal', result: { oad: parseOad('40010200'), value: { type: 'octetString', bytes: new Uint8Array(40).fill(7) } } } });
    const mk = (index: number, kind: 'first' | 'middle' | 'last', part: Uint8Array) => {
      const b = encodeDlt698Frame({ control: { fromServer: true, initiator: false, split: true, scrambled: false, function: 3 }, server: { type: 'single', logic: 0, address: '000000000001' }, client: 0x10, split: { index, kind }, apdu: part });
      if (!b.ok) throw new Error(b.error.message);
      const f = decodeDlt698Frame(b.value);
      if (!f.ok) throw new Error(f.error.message);
      return f.value;
    };
    const r = new SplitReassembler();
    expect(r.push(mk(0, 'first', apdu.slice(0, 10)))).toEqual({ ok: true, value: undefined });
    expect(r.push(mk(1, 'middle', apdu.slice(10, 30)))).toEqual({ ok: true, value: undefined });
    const whole = r.push(mk(2, 'last', apdu.slice(30)));
    expect(whole.ok && whole.value).toEqual(apdu);
  });

  it('removes the 33H scrambling of user data', () => {
    const plain = [0x05, 0x01, 0x01, 0x40, 0x00, 0x02, 0x00, 0x00];
    const f = decodeDlt698Frame(frame(0x4b, [0x05, 0x01, 0, 0, 0, 0, 0], 0x10, plain.map((b) => (b + 0x33) & 0xff)));
    expect(f.ok && [...f.value.apdu]).toEqual(plain);
  });
});

describe('A-XDR data', () => {
  const roundTrip = (d: Data) => {
    const bytes = new Writer().data(d).finish();
    const r = new Reader(bytes);
    const back = r.data();
    expect(r.left).toBe(0);
    return back;
  };

  it('every type of the Data CHOICE round-trips, and its bytes follow the standard for the fixed ones', () => {
    const samples: Data[] = [
      { type: 'null' },
      { type: 'array', items: [{ type: 'unsigned', value: 1 }, { type: 'unsigned', value: 2 }] },
      { type: 'structure', items: [{ type: 'bool', value: true }, { type: 'enum', value: 3 }] },
      { type: 'bitString', bits: 12, bytes: Uint8Array.of(0xab, 0xc0) },
      { type: 'doubleLong', value: -123456 },
      { type: 'doubleLongUnsigned', value: 4_000_000_000 },
      { type: 'octetString', bytes: Uint8Array.of(1, 2, 3) },
      { type: 'visibleString', value: 'GS-698' },
      { type: 'utf8String', value: '电能表' },
      { type: 'integer', value: -5 },
      { type: 'long', value: -300 },
      { type: 'longUnsigned', value: 65000 },
      { type: 'long64', value: -(2n ** 40n) },
      { type: 'long64Unsigned', value: 2n ** 60n },
      { type: 'float32', value: 1.5 },
      { type: 'float64', value: Math.PI },
      { type: 'dateTime', value: { year: 2026, month: 12, day: 2, week: 3, hour: 8, minute: 30, second: 5, milliseconds: 250 } },
      { type: 'date', value: { year: 2026, month: 12, day: 2, week: 3, hour: 0, minute: 0, second: 0 } },
      { type: 'time', value: { year: 0, month: 0, day: 0, hour: 23, minute: 59, second: 58 } },
      { type: 'dateTimeS', value: { year: 2026, month: 12, day: 2, hour: 0, minute: 15, second: 0 } },
      { type: 'oi', value: 0x4000 },
      { type: 'oad', value: parseOad('00100201') },
      { type: 'road', oad: parseOad('50040200'), oads: [parseOad('20210200'), parseOad('00100200')] },
      { type: 'omd', oi: 0x4000, method: 127, mode: 0 },
      { type: 'ti', unit: 4, value: 1 },
      { type: 'tsa', address: '000000000001', af: 5 },
      { type: 'mac', bytes: Uint8Array.of(9, 9, 9, 9) },
      { type: 'rn', bytes: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { type: 'region', unit: 0, from: { type: 'unsigned', value: 1 }, to: { type: 'unsigned', value: 9 } },
      { type: 'scalerUnit', scaler: -2, unit: 33 },
      { type: 'rsd', value: { selector: 9, last: 1 } },
      { type: 'rsd', value: { selector: 1, oad: parseOad('20210200'), value: { type: 'dateTimeS', value: { year: 2026, month: 12, day: 1, hour: 0, minute: 0, second: 0 } } } },
      { type: 'rsd', value: { selector: 7, from: { year: 2026, month: 12, day: 1, hour: 0, minute: 0, second: 0 }, to: { year: 2026, month: 12, day: 2, hour: 0, minute: 0, second: 0 }, interval: { unit: 1, value: 15 }, ms: { type: 'all' } } },
      { type: 'csd', value: { type: 'oad', oad: parseOad('20000200') } },
      { type: 'ms', value: { type: 'addresses', values: ['000000000001', '000000000002'] } },
      { type: 'sid', tag: 0x81010000, bytes: Uint8Array.of(1, 2) },
      { type: 'sidMac', tag: 1, bytes: Uint8Array.of(3), mac: Uint8Array.of(4, 4, 4, 4) },
      { type: 'comdcb', baud: 6, parity: 2, dataBits: 3, stopBits: 1, flow: 0 },
      { type: 'rcsd', value: [{ type: 'oad', oad: parseOad('20210200') }, { type: 'road', oad: parseOad('50040200'), oads: [parseOad('00100200')] }] },
    ];
    for (const d of samples) expect(roundTrip(d)).toEqual(d);
    // Fixed layouts from the standard: double-long-unsigned 06 + 4 bytes big-endian; long-unsigned 12 + 2.
    expect([...new Writer().data({ type: 'doubleLongUnsigned', value: 0x01020304 }).finish()]).toEqual([0x06, 1, 2, 3, 4]);
    expect([...new Writer().data({ type: 'longUnsigned', value: 2200 }).finish()]).toEqual([0x12, 0x08, 0x98]);
    // A length of 200 takes two bytes: 81H C8H.
    expect([...new Writer().data({ type: 'octetString', bytes: new Uint8Array(200) }).finish().slice(0, 3)]).toEqual([0x09, 0x81, 0xc8]);
  });

  it('integers round-trip over their whole range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -128, max: 127 }), (dl, lu, i) => {
        expect(roundTrip({ type: 'doubleLong', value: dl })).toEqual({ type: 'doubleLong', value: dl });
        expect(roundTrip({ type: 'longUnsigned', value: lu })).toEqual({ type: 'longUnsigned', value: lu });
        expect(roundTrip({ type: 'integer', value: i })).toEqual({ type: 'integer', value: i });
      }),
    );
  });
});

describe('DL/T 698.45 APDUs', () => {
  it('a GET-Response Normal of forward active energy: total and four tariffs, scaler -2, kWh', () => {
    // 85 01 | PIID 01 | OAD 00100200 | 01 (Data) 01 05 (array of 5) 06 ... | 00 (no FollowReport) 00 (no TimeTag)
    const apdu = hex('85 01 01 00 10 02 00 01 01 05 06 00 01 E2 40 06 00 00 27 10 06 00 00 4E 20 06 00 00 75 30 06 00 00 9C 40 00 00');
    const a = decodeApdu(apdu);
    expect(a.ok).toBe(true);
    if (!a.ok || a.value.kind !== 'getResponse' || a.value.response.type !== 'normal') throw new Error('not a GET-Response Normal');
    const r = a.value.response.result;
    expect(valuesOf(r.oad, r.value!)).toEqual([
      { quantity: 'energy.active.import', tariff: 0, unit: Unit.UNIT_KWH, value: 1234.56 },
      { quantity: 'energy.active.import', tariff: 1, unit: Unit.UNIT_KWH, value: 100 },
      { quantity: 'energy.active.import', tariff: 2, unit: Unit.UNIT_KWH, value: 200 },
      { quantity: 'energy.active.import', tariff: 3, unit: Unit.UNIT_KWH, value: 300 },
      { quantity: 'energy.active.import', tariff: 4, unit: Unit.UNIT_KWH, value: 400 },
    ]);
    expect(encodeApdu(a.value)).toEqual(apdu);
  });

  it('a GET-Response NormalList with a value, a DAR, voltages per phase and power in kW', () => {
    const a: Apdu = {
      kind: 'getResponse',
      piid: 3,
      response: {
        type: 'normalList',
        results: [
          { oad: parseOad('20000200'), value: { type: 'array', items: [2201, 2215, 2199].map((value) => ({ type: 'longUnsigned' as const, value })) } },
          { oad: parseOad('20040200'), value: { type: 'array', items: [12345, 4000, 4100, 4245].map((value) => ({ type: 'doubleLong' as const, value })) } },
          { oad: parseOad('30110200'), dar: 6 },
        ],
      },
    };
    const back = decodeApdu(encodeApdu(a));
    expect(back.ok && back.value).toEqual(a);
    if (a.response.type !== 'normalList') return;
    expect(valuesOf(a.response.results[0]!.oad, a.response.results[0]!.value!)!.map((v) => [v.quantity, v.value])).toEqual([['voltage.a', 220.1], ['voltage.b', 221.5], ['voltage.c', 219.9]]);
    expect(valuesOf(a.response.results[1]!.oad, a.response.results[1]!.value!)!.map((v) => [v.quantity, v.value])).toEqual([['power.active.total', 1.2345], ['power.active.a', 0.4], ['power.active.b', 0.41], ['power.active.c', 0.4245]]);
  });

  it('a GET-Request Record of the daily freeze (selector 9: the last one) and its record response', () => {
    const columns = [{ type: 'oad' as const, oad: parseOad('20210200') }, { type: 'oad' as const, oad: parseOad('00100200') }];
    const req: Apdu = { kind: 'getRequest', piid: 5, request: { type: 'record', oad: parseOad('50040200'), rsd: { selector: 9, last: 1 }, rcsd: columns } };
    const bytes = encodeApdu(req);
    // 05 03 | 05 | 50 04 02 00 | 09 01 | 02 00 20 21 02 00 00 00 10 02 00 | 00
    expect([...bytes]).toEqual([...hex('05 03 05 50 04 02 00 09 01 02 00 20 21 02 00 00 00 10 02 00 00')]);
    expect(decodeApdu(bytes)).toEqual({ ok: true, value: req });
    const res: Apdu = {
      kind: 'getResponse',
      piid: 5,
      response: { type: 'record', result: { oad: parseOad('50040200'), columns, rows: [[{ type: 'dateTimeS', value: { year: 2026, month: 12, day: 2, hour: 0, minute: 0, second: 0 } }, { type: 'array', items: [{ type: 'doubleLongUnsigned', value: 123456 }] }]] } },
    };
    expect(decodeApdu(encodeApdu(res))).toEqual({ ok: true, value: res });
  });

  it('a REPORT-Notification of a power-down event record, and the REPORT-Response the master must send', () => {
    const n: Apdu = {
      kind: 'reportNotification',
      piid: 0x41,
      report: { type: 'recordList', results: [{ oad: parseOad('30110200'), columns: [{ type: 'oad', oad: parseOad('20220200') }, { type: 'oad', oad: parseOad('201E0200') }], rows: [[{ type: 'doubleLongUnsigned', value: 7 }, { type: 'dateTimeS', value: { year: 2026, month: 12, day: 2, hour: 3, minute: 4, second: 5 } }]] }] },
    };
    const d = decodeApdu(encodeApdu(n));
    expect(d).toEqual({ ok: true, value: n });
    if (!d.ok || d.value.kind !== 'reportNotification') return;
    const resp = reportResponseFor(d.value);
    expect(resp).toEqual({ kind: 'reportResponse', piid: 1, choice: 2, oads: [parseOad('30110200')] });
    // 08 02 | 01 | 01 30 11 02 00 | 00
    expect([...encodeApdu(resp)]).toEqual([...hex('08 02 01 01 30 11 02 00 00')]);
  });

  it('a SECURITY-Response in plaintext with a MAC: the plain APDU inside is decoded', () => {
    const inner = encodeApdu({ kind: 'getResponse', piid: 1, response: { type: 'normal', result: { oad: parseOad('40000200'), value: { type: 'dateTimeS', value: { year: 2026, month: 12, day: 2, hour: 8, minute: 0, second: 0 } } } } });
    const sec = decodeApdu(Uint8Array.from([0x90, 0x00, inner.length, ...inner, 0x01, 0x00, 0x04, 0xaa, 0xbb, 0xcc, 0xdd]));
    expect(sec.ok).toBe(true);
    if (!sec.ok) return;
    const u = unwrapSecurity(sec.value);
    expect(u.ok && u.value.secured).toBe(true);
    expect(u.ok && u.value.apdu.kind).toBe('getResponse');
    const ciphered = decodeApdu(Uint8Array.from([0x90, 0x01, 0x02, 0x11, 0x22, 0x00]));
    expect(ciphered.ok && unwrapSecurity(ciphered.value)).toMatchObject({ ok: false, error: { message: expect.stringContaining('ESAM') } });
  });

  it('an ERROR-Response and unknown APDUs are reported with their offset, never thrown', () => {
    expect(decodeApdu(hex('EE 01 02'))).toEqual({ ok: true, value: { kind: 'errorResponse', piid: 1, error: 2 } });
    expect(decodeApdu(hex('7F 00'), 20)).toMatchObject({ ok: false, error: { code: 'RANGE', offset: 20 } });
    expect(decodeApdu(hex('85 01 01 00 10 02 00 01 01 05 06 00'))).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });

  it('random bytes never throw, as frames or as APDUs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(() => decodeDlt698Frame(Uint8Array.from([0x68, ...b]))).not.toThrow();
        expect(() => decodeApdu(b)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});

describe('698.45 in the stream and for people', () => {
  const published = hex('68 18 00 43 26 01 30 01 00 00 00 00 A1 83 EE 05 01 02 20 00 02 01 00 6B AF 16');
  const login1376 = hex('68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16');
  const read645 = hex('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');

  it('the auto deframer tells 698.45, 1376.1 and 645 apart in one stream, split at every byte', () => {
    const stream = Uint8Array.from([0xfe, 0xfe, ...published, ...login1376, ...published, ...read645]);
    const d = createAutoDeframer();
    const events = [...stream].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(events.map((e) => (e.type === 'frame' ? e.protocol : e.code))).toEqual(['dlt698', 'qgdw1376', 'dlt698', 'dlt645']);
    // A 698.45 frame with a damaged FCS is reported at its FCS (its bytes after the start then count as
    // garbage: scanning resumes one byte after a damaged start), and the next frame still comes out.
    const bad = published.slice();
    bad[bad.length - 3] = bad[bad.length - 3]! ^ 0xff;
    const ev2 = createAutoDeframer().push(Uint8Array.from([...bad, ...login1376]));
    expect(ev2.map((e) => (e.type === 'frame' ? e.protocol : `${e.code}@${e.offset}`))).toEqual([`CHECKSUM@${bad.length - 3}`, 'GARBAGE@1', 'qgdw1376']);
  });

  it('describes a frame with its address and the items a request asks for', () => {
    expect(describeDlt698(published, 0)).toMatchObject({ protocol: 'dlt698.45', server: { address: '00000000013001', logic: 2 }, client: 0xa1, apdu: 'GET-Request', type: 'normal', items: [{ oad: '20000201', name: 'voltage' }] });
  });
});

describe('every registered OAD: encode -> frame -> decode -> scaled values', () => {
  // Scalers and element layouts as DL/T 698.45-2017 appendix gives them for attribute 2 (and energy's
  // high-precision attribute 4), written out here rather than taken from the registry under test.
  const CASES: Array<{ oad: string; type: 'doubleLongUnsigned' | 'doubleLong' | 'longUnsigned' | 'long'; elements: number; scale: number; quantity: (k: number) => [string, number] }> = [
    ...['0000', '0010', '0020', '0030', '0040', '0050', '0060', '0070', '0080'].flatMap((oi) => [
      { oad: `${oi}0200`, type: oi === '0000' || oi === '0030' || oi === '0040' ? ('doubleLong' as const) : ('doubleLongUnsigned' as const), elements: 5, scale: 0.01, quantity: (k: number): [string, number] => ['', k] },
    ]),
    { oad: '20000200', type: 'longUnsigned', elements: 3, scale: 0.1, quantity: (k) => [`voltage.${'abc'[k]}`, 0] },
    { oad: '20010200', type: 'doubleLong', elements: 3, scale: 0.001, quantity: (k) => [`current.${'abc'[k]}`, 0] },
    { oad: '20020200', type: 'longUnsigned', elements: 3, scale: 0.1, quantity: (k) => [`angle.voltage.${'abc'[k]}`, 0] },
    { oad: '20040200', type: 'doubleLong', elements: 4, scale: 0.0001, quantity: (k) => [`power.active.${['total', 'a', 'b', 'c'][k]}`, 0] },
    { oad: '20050200', type: 'doubleLong', elements: 4, scale: 0.0001, quantity: (k) => [`power.reactive.${['total', 'a', 'b', 'c'][k]}`, 0] },
    { oad: '20060200', type: 'doubleLong', elements: 4, scale: 0.0001, quantity: (k) => [`power.apparent.${['total', 'a', 'b', 'c'][k]}`, 0] },
    { oad: '200A0200', type: 'long', elements: 4, scale: 0.001, quantity: (k) => [`power_factor.${['total', 'a', 'b', 'c'][k]}`, 0] },
  ];
  const limits = { doubleLongUnsigned: [0, 2 ** 32 - 1], doubleLong: [-(2 ** 31), 2 ** 31 - 1], longUnsigned: [0, 65535], long: [-32768, 32767] } as const;

  it.each(CASES.map((c) => [c.oad, c] as const))('%s', (_name, c) => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: limits[c.type][0], max: limits[c.type][1] }), { minLength: c.elements, maxLength: c.elements }), (ints) => {
        const oad = parseOad(c.oad);
        const value: Data = { type: 'array', items: ints.map((v) => ({ type: c.type, value: v }) as Data) };
        const bytes = encodeDlt698Frame({ control: { fromServer: true, initiator: true, split: false, scrambled: false, function: 3 }, server: { type: 'single', logic: 0, address: '000000000001' }, client: 0, apdu: encodeApdu({ kind: 'getResponse', piid: 1, response: { type: 'normal', result: { oad, value } } }) });
        if (!bytes.ok) throw new Error(bytes.error.message);
        const f = decodeDlt698Frame(bytes.value);
        if (!f.ok) throw new Error(f.error.message);
        const a = decodeApdu(f.value.apdu);
        if (!a.ok || a.value.kind !== 'getResponse' || a.value.response.type !== 'normal') throw new Error('not a GET-Response-Normal');
        const got = valuesOf(a.value.response.result.oad, a.value.response.result.value!)!;
        expect(got.map((v) => v.value)).toEqual(ints.map((v) => Math.round(v * c.scale * 1e9) / 1e9));
        got.forEach((v, k) => {
          const [q, tariff] = c.quantity(k);
          if (q) expect(v.quantity).toBe(q);
          expect(v.tariff).toBe(tariff);
        });
      }),
      { numRuns: 25 },
    );
  });
});
