import fc from 'fast-check';
import { encodeRead, encodeReadReply } from '../dlt645/frame';
import { encodeLinkCheck } from '../qgdw1376/link';
import { createAutoDeframer, createDlt645Deframer, createQgdwDeframer, GARBAGE_RUN_MAX, GARBAGE_SAMPLE, type DeframeEvent } from './index';
import { hex, must } from '../../test/bytes';

const LOGIN = hex('68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16');
const HEARTBEAT = hex('68 32 00 32 00 68 C9 01 41 01 00 00 02 71 00 00 04 00 83 16');
const READ_645 = hex('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const summary = (events: DeframeEvent[]) =>
  events.map((e) => (e.type === 'frame' ? `frame ${e.protocol} @${e.offset} +${e.bytes.length}` : `${e.code} @${e.offset} +${e.length}`));

describe('deframers', () => {
  it('skips FE wake-up bytes silently and splits several frames in one chunk', () => {
    const d = createQgdwDeframer();
    const events = d.push(concat(hex('FE FE FE FE'), LOGIN, HEARTBEAT));
    expect(summary(events)).toEqual(['frame qgdw1376 @4 +20', 'frame qgdw1376 @24 +20']);
    expect(d.buffered).toBe(0);
  });

  it('holds a small buffer between frames: one grown for a long frame is given back once it is consumed, offsets still counted', () => {
    const d = createQgdwDeframer();
    const idle = d.capacity;
    expect(idle).toBeLessThanOrEqual(256);
    // A 1376.1 frame of 2000 user-data bytes (L = 2000), delivered in two chunks: the buffer must grow.
    const long = new Uint8Array(2008);
    long.set([0x68, (2000 << 2 | 2) & 0xff, (2000 << 2 | 2) >> 8, (2000 << 2 | 2) & 0xff, (2000 << 2 | 2) >> 8, 0x68, 0xc9, 0x01, 0x41, 0x01, 0x00, 0x00, 0x02, 0x70]);
    let cs = 0;
    for (let i = 6; i < 2006; i++) cs = (cs + long[i]!) & 0xff;
    long[2006] = cs;
    long[2007] = 0x16;
    expect(d.push(long.subarray(0, 1500))).toEqual([]);
    expect(d.capacity).toBeGreaterThanOrEqual(1500);
    expect(summary(d.push(long.subarray(1500)))).toEqual(['frame qgdw1376 @0 +2008']);
    expect(d.capacity).toBe(idle);
    expect(summary(d.push(HEARTBEAT))).toEqual(['frame qgdw1376 @2008 +20']);
    expect(d.capacity).toBe(idle);
  });

  it('reassembles a frame split across chunks, byte by byte', () => {
    const d = createQgdwDeframer();
    const events = [...LOGIN].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(summary(events)).toEqual(['frame qgdw1376 @0 +20']);
  });

  it('reports garbage with its offset and length, and resynchronises on the next frame', () => {
    const d = createQgdwDeframer();
    const events = d.push(concat(hex('01 02 03'), LOGIN));
    expect(summary(events)).toEqual(['GARBAGE @0 +3', 'frame qgdw1376 @3 +20']);
  });

  it('reports garbage dripped one byte per chunk as one run (with a sample of its bytes) when a frame starts', () => {
    const d = createQgdwDeframer();
    const drip = [...hex('01 02 03 04 05')].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(drip).toEqual([]);
    const events = d.push(LOGIN);
    expect(summary(events)).toEqual(['GARBAGE @0 +5', 'frame qgdw1376 @5 +20']);
    expect(events[0]).toMatchObject({ bytes: hex('01 02 03 04 05') });
  });

  it('keeps only a bounded sample of a long garbage run, and reports a run that never ends at its maximum length', () => {
    const d = createQgdwDeframer();
    const events = d.push(new Uint8Array(GARBAGE_RUN_MAX + 10).fill(0x11));
    expect(summary(events)).toEqual([`GARBAGE @0 +${GARBAGE_RUN_MAX}`]);
    expect((events[0] as { bytes: Uint8Array }).bytes).toHaveLength(GARBAGE_SAMPLE);
    expect(summary(d.finish())).toEqual([`GARBAGE @${GARBAGE_RUN_MAX} +10`]);
  });

  it('treats a false 68H start as garbage without losing the frame right behind it', () => {
    const d = createQgdwDeframer();
    // "68 11 22 68" looks like a start but its L copies differ.
    const events = d.push(concat(hex('68 11 22 68'), LOGIN));
    expect(summary(events)).toEqual(['GARBAGE @0 +4', 'frame qgdw1376 @4 +20']);
  });

  it('reports a frame with a bad checksum at its checksum byte and keeps going', () => {
    const bad = LOGIN.slice();
    bad[18] = 0x00;
    const d = createQgdwDeframer();
    const events = d.push(concat(bad, HEARTBEAT));
    expect(summary(events)[0]).toBe('CHECKSUM @18 +20');
    expect(events[0]).toMatchObject({ bytes: bad }); // the damaged frame itself, for the dead letter
    expect(summary(events)).toContain('frame qgdw1376 @20 +20');
  });

  it('refuses headers longer than the maximum frame and does not wait for them', () => {
    const d = createQgdwDeframer(64);
    // L = 0x3FFF user bytes: far above the 64-byte limit.
    const events = d.push(concat(hex('68 FE FF FE FF 68'), LOGIN));
    expect(summary(events).at(-1)).toBe('frame qgdw1376 @6 +20');
  });

  it('tells DL/T 645 and 1376.1 apart in one stream', () => {
    const d = createAutoDeframer();
    const events = d.push(concat(hex('FE FE'), READ_645, LOGIN, hex('FE FE FE FE'), READ_645));
    expect(summary(events)).toEqual(['frame dlt645 @2 +16', 'frame qgdw1376 @18 +20', 'frame dlt645 @42 +16']);
  });

  it('finish() reports what is left over', () => {
    const d = createDlt645Deframer();
    d.push(READ_645.subarray(0, 9));
    expect(summary(d.finish())).toEqual(['GARBAGE @0 +9']);
  });

  describe('properties', () => {
    const frames = [
      LOGIN,
      HEARTBEAT,
      READ_645,
      must(encodeRead('000000000001', '02010100')),
      must(encodeReadReply('123456789012', '0001FF00', [1, 2, 3, 4, 5])),
      must(encodeLinkCheck('logout', { region: '3301', terminal: 65535, master: 3, group: false }, 9)),
    ];

    it('a stream of valid frames cut at random points yields the same frames and nothing else', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: frames.length - 1 }), { minLength: 1, maxLength: 30 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
          fc.integer({ min: 0, max: 4 }),
          (picks, cuts, wake) => {
            const parts = picks.map((i) => concat(new Uint8Array(wake).fill(0xfe), frames[i]!));
            const stream = concat(...parts);
            const d = createAutoDeframer();
            const events: DeframeEvent[] = [];
            let p = 0;
            for (let k = 0; p < stream.length; k++) {
              const n = cuts[k % cuts.length]!;
              events.push(...d.push(stream.subarray(p, p + n)));
              p += n;
            }
            events.push(...d.finish());
            expect(events.every((e) => e.type === 'frame')).toBe(true);
            expect(events.map((e) => (e.type === 'frame' ? [...e.bytes] : []))).toEqual(picks.map((i) => [...frames[i]!]));
          },
        ),
      );
    });

    it('random bytes never throw, always terminate, and account for every byte at most once', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), (bytes, chunk) => {
          const d = createAutoDeframer();
          const events: DeframeEvent[] = [];
          for (let p = 0; p < bytes.length; p += chunk) events.push(...d.push(bytes.subarray(p, p + chunk)));
          events.push(...d.finish());
          const covered = events.filter((e) => e.type === 'frame' || e.code === 'GARBAGE').reduce((n, e) => n + (e.type === 'frame' ? e.bytes.length : e.length), 0);
          expect(covered).toBeLessThanOrEqual(bytes.length);
          expect(d.buffered).toBe(0);
        }),
      );
    });

    it('valid frames embedded in random noise are all found', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: frames.length - 1 })), { minLength: 1, maxLength: 10 }), (pairs) => {
          const d = createAutoDeframer();
          const stream = concat(...pairs.flatMap(([noise, i]) => [noise, frames[i]!]));
          const found = [...d.push(stream), ...d.finish()].filter((e): e is Extract<DeframeEvent, { type: 'frame' }> => e.type === 'frame').map((e) => [...e.bytes]);
          // Noise may itself contain a frame by chance, so the expected frames must appear in order.
          let k = 0;
          for (const f of found) if (k < pairs.length && JSON.stringify(f) === JSON.stringify([...frames[pairs[k]![1]]!])) k++;
          expect(k).toBe(pairs.length);
        }),
      );
    });
  });
});
