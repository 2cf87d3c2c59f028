import fc from 'fast-check';
import { addOffset33, bcdToInt, checksum8, intToBcd, removeOffset33 } from './bytes';
import { bcd, decodeBcd, encodeBcd } from './values';
import { hex } from '../../test/bytes';


describe('checksum8', () => {
  it('matches the CS of a DL/T 645-2007 broadcast read of forward active energy (DI 00 01 00 00)', () => {
    // 68 AA AA AA AA AA AA 68 11 04 33 33 34 33 CS 16: control 11H = read data, length 4,
    // data identifier 00010000 sent low byte first with +33H on every byte.
    const frame = hex('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');
    expect(checksum8(frame, 0, frame.length - 2)).toBe(0xae);
  });

  it('wraps modulo 256', () => {
    expect(checksum8(Uint8Array.from([0xff, 0x02]))).toBe(0x01);
  });
});

describe('BCD', () => {
  it('reads low byte first: 0x78 0x56 0x34 0x12 is 12345678', () => {
    expect(bcdToInt(hex('78 56 34 12'), 0, 4)).toEqual({ ok: true, value: 12345678 });
  });

  it('names the offending byte when a nibble is not decimal', () => {
    expect(bcdToInt(hex('12 3A 56'), 0, 3)).toEqual({
      ok: false,
      error: { code: 'BAD_BCD', offset: 1, message: 'byte 0x3a at 1 is not BCD' },
    });
  });

  it('reports truncation instead of reading past the end', () => {
    expect(bcdToInt(hex('12'), 0, 2)).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });

  it('round-trips every value that fits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (len, n) => {
        const v = n % 100 ** Math.min(len, 4);
        const enc = intToBcd(v, len);
        expect(enc.ok).toBe(true);
        if (enc.ok) expect(bcdToInt(enc.value, 0, len)).toEqual({ ok: true, value: v });
      }),
    );
  });

  it('refuses values that do not fit', () => {
    expect(intToBcd(100, 1)).toMatchObject({ ok: false, error: { code: 'RANGE' } });
    expect(intToBcd(-1, 2)).toMatchObject({ ok: false });
  });
});

describe('DL/T 645 data offset', () => {
  it('adds 0x33 to each data byte, wrapping', () => {
    expect([...addOffset33(hex('00 00 01 00 CD'))]).toEqual([0x33, 0x33, 0x34, 0x33, 0x00]);
  });

  it('is undone by removeOffset33 for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => expect([...removeOffset33(addOffset33(b))]).toEqual([...b])));
  });
});

describe('signed BCD range', () => {
  it('uses the 3 bits left beside the sign for the top digit (A.9 reaches ±79.9999)', () => {
    const f = bcd(3, 4, true);
    const out = new Uint8Array(3);
    expect(encodeBcd(79.9999, f, out, 0).ok).toBe(true);
    expect([...out]).toEqual([0x99, 0x99, 0x79]);
    expect(decodeBcd(out, 0, f)).toEqual({ ok: true, value: 79.9999 });
    expect(encodeBcd(-10, f, out, 0).ok).toBe(true);
    expect([...out]).toEqual([0x00, 0x00, 0x90]);
    expect(encodeBcd(80, f, out, 0)).toMatchObject({ ok: false, error: { code: 'RANGE' } });
  });
});
