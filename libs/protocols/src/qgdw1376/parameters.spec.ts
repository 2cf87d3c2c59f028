import { decodeQgdwFrame, encodeQgdwFrame } from './frame';
import { decodeQueryParameters, decodeQueryParametersResponse, decodeSetParameters, encodeQueryParameters, encodeQueryParametersResponse, encodeSetParameters, type MeterConfig } from './parameters';
import { hex, must, toHex } from '../../test/bytes';

const ADDRESS = { region: '4101', terminal: 18, master: 0, group: false };

// By hand from the standard's layouts (see parameters.ts).
// F3 at p0: DA 00 00, DT F3 = 04 00; primary 192.168.1.10:9000, backup 10.0.0.2:9001, APN "CMNET".
const F3 = '00 00 04 00 C0 A8 01 0A 28 23 0A 00 00 02 29 23 43 4D 4E 45 54 00 00 00 00 00 00 00 00 00 00 00';
// F10 at p0: DA 00 00, DT F10 = 02 01; one device: number 1, pn 1, 9600 baud (code 6) on port 2 (C2),
// DL/T 645-2007 (1E), address 000000123456, password 0, 4 tariffs, 6 integer and 2 decimal digits (09),
// no collector, user class 5/1 (51).
const F10 = '00 00 02 01 01 00 01 00 01 00 C2 1E 56 34 12 00 00 00 00 00 00 00 00 00 04 09 00 00 00 00 00 00 51';
const PW = Array(16).fill('00').join(' ');

const meter: MeterConfig = { device: 1, pn: 1, rateCode: 6, port: 2, protocol: 30, address: '000000123456', password: '000000000000', tariffs: 4, integerDigits: 6, decimalDigits: 2, collector: '000000000000', userMajor: 5, userMinor: 1 };
const master = { primary: { ip: '192.168.1.10', port: 9000 }, backup: { ip: '10.0.0.2', port: 9001 }, apn: 'CMNET' };

describe('terminal parameters (AFN 04H set, AFN 0AH query)', () => {
  it('sets F3 and F10 in one frame: C = 4AH, CON set, data units then PW', () => {
    const f = must(decodeQgdwFrame(must(encodeSetParameters(ADDRESS, 5, [{ fn: 3, value: master }, { fn: 10, value: [meter] }]))));
    expect(f.afn).toBe(0x04);
    expect(f.control).toMatchObject({ up: false, prm: true, fn: 10 });
    expect(f.seq).toMatchObject({ con: true, seq: 5 });
    expect(toHex(f.body)).toBe(`${F3} ${F10} ${PW}`);
    expect(must(decodeSetParameters(f))).toEqual({ items: [{ fn: 3, value: master }, { fn: 10, value: [meter] }], password: new Uint8Array(16) });
  });

  it('queries F10 for named devices and F3, and reads the terminal\'s answer', () => {
    const q = must(decodeQgdwFrame(must(encodeQueryParameters(ADDRESS, 6, [{ fn: 10, devices: [1, 2] }, { fn: 3 }]))));
    expect(q.afn).toBe(0x0a);
    expect(toHex(q.body)).toBe('00 00 02 01 02 00 01 00 02 00 00 00 04 00');
    expect(must(decodeQueryParameters(q))).toEqual([{ fn: 10, devices: [1, 2] }, { fn: 3 }]);
    // The answer, built by hand: C = 88H, the same data units with their data.
    const answer = must(decodeQgdwFrame(must(encodeQgdwFrame({ control: 0x88, address: ADDRESS, afn: 0x0a, seq: 0x66, body: hex(`${F10} ${F3}`) }))));
    expect(must(decodeQueryParametersResponse(answer))).toEqual([{ fn: 10, value: [meter] }, { fn: 3, value: master }]);
    expect(toHex(must(encodeQueryParametersResponse(ADDRESS, 6, [{ fn: 10, value: [meter] }, { fn: 3, value: master }])))).toBe(toHex(must(encodeQgdwFrame({ control: 0x88, address: ADDRESS, afn: 0x0a, seq: 0x66, body: hex(`${F10} ${F3}`) }))));
  });

  it('refuses what the layouts cannot carry, saying what', () => {
    expect(encodeSetParameters(ADDRESS, 1, [{ fn: 10, value: [{ ...meter, address: '12345', integerDigits: 9 }] }])).toMatchObject({ ok: false, error: { message: expect.stringMatching(/integer digits 9 not in 4..7/) } });
    expect(encodeSetParameters(ADDRESS, 1, [{ fn: 10, value: [{ ...meter, address: '12345' }] }])).toMatchObject({ ok: false, error: { message: expect.stringMatching(/address must be 12 digits/) } });
    expect(encodeSetParameters(ADDRESS, 1, [{ fn: 3, value: { ...master, primary: { ip: '300.1.1.1', port: 1 } } }])).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not an IPv4 address/) } });
    const cut = must(decodeQgdwFrame(must(encodeQgdwFrame({ control: 0x88, address: ADDRESS, afn: 0x0a, seq: 0x66, body: hex(F10).subarray(0, 20) }))));
    expect(decodeQueryParametersResponse(cut)).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });
});
