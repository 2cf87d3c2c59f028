import fc from 'fast-check';
import type { BcdFormat, DeviceTime } from './common/values';
import { decodeDlt645Frame, encodeReadReply, interpretDlt645 } from './dlt645/frame';
import { lookup1997, lookup2007, type FieldDef } from './dlt645/registry';
import { CLASS1, decodeClass1, encodeClass1Response } from './qgdw1376/class-data';
import { decodeQgdwFrame } from './qgdw1376/frame';
import { FORMATS, type QgdwFormat } from './qgdw1376/formats';
import { CLASS2, decodeClass2, encodeClass2Response } from './qgdw1376/frozen-data';
import { decodeEvents } from './qgdw1376/events';
import { decodeForwardResponse } from './qgdw1376/forward';
import { normalizeFrame } from './normalize';
import { must } from '../test/bytes';

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

/** Every DL/T 645-2007 identifier the registry knows, enumerated from its grouping rules. */
function all2007(): string[] {
  const ids: string[] = [];
  const tryId = (di: number) => lookup2007(di) && ids.push(hex8(di));
  for (let kind = 0; kind <= 0x0a; kind++) for (const t of [0, 1, 2, 3, 4, 0x3f, 0xff]) for (const s of [0, 1, 0x0c]) tryId((kind << 16) | (t << 8) | s);
  for (const kind of [1, 2, 3, 4, 9, 10]) for (const t of [0, 1, 4]) for (const s of [0, 1, 0x0c]) tryId(0x01000000 | (kind << 16) | (t << 8) | s);
  for (let q = 1; q <= 9; q++) for (const p of [0, 1, 2, 3, 0xff]) tryId(0x02000000 | (q << 16) | (p << 8));
  for (let x = 1; x <= 0x0a; x++) tryId(0x02800000 | x);
  for (let r = 0; r <= 0x0a; r++) tryId(0x03110000 | r);
  for (const d of [0x04000101, 0x04000102, 0x04000401, 0x04000402, 0x040005ff]) tryId(d);
  for (let w = 1; w <= 7; w++) tryId(0x04000500 | w);
  for (const kind of [1, 2, 3, 4, 9, 10]) for (const s of [0, 1]) tryId(0x0100ff00 | (kind << 16) | s);
  for (const x of [0x00900100, 0x00900101, 0x00900200, 0x00900201, 0x0280000b]) tryId(x);
  for (let x = 0; x <= 0x1005; x++) tryId(0x04000000 | x);
  for (const op of [0, 1, 2, 3, 4, 5, 0x0d, 0x0e]) for (const n of [0, 1, 0x0a]) tryId(0x03300000 | (op << 8) | n);
  for (let ev = 0x10; ev <= 0x1c; ev++) for (const p of [0, 1, 3]) for (const [d1, d0] of [[0, 1], [0, 2], [1, 1], [0x25, 0x0a]] as const) tryId((ev << 24) | (p << 16) | (d1 << 8) | d0);
  for (const c of [0x00, 0x06]) for (const x of [0, 1, 2]) for (const n of [1, 0x3e]) tryId(0x05000000 | (c << 16) | (x << 8) | n);
  return ids;
}
const all1997 = ['9010', '9011', '9014', '901F', '9020', '902F', '9110', '9120', 'B611', 'B612', 'B613', 'B621', 'B622', 'B623', 'B630', 'B640', 'B650', 'C010', 'C011', 'C032'];

const deviceTime = fc.record({
  year: fc.integer({ min: 2000, max: 2099 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
});

function bcdValue(f: BcdFormat): fc.Arbitrary<number> {
  const limit = f.signed ? 8 * 10 ** (f.bytes * 2 - 1) - 1 : 10 ** (f.bytes * 2) - 1;
  return fc.integer({ min: f.signed ? -limit : 0, max: limit }).map((n) => n / 10 ** f.decimals);
}

function fieldValue(f: FieldDef): fc.Arbitrary<number | DeviceTime | string> {
  switch (f.format.kind) {
    case 'bcd':
      return bcdValue(f.format);
    case 'hex':
      return fc.stringMatching(new RegExp(`^[0-9A-F]{${f.format.bytes * 2}}$`));
    case 'ascii':
      return fc.stringMatching(new RegExp(`^[0-9A-Za-z.-]{1,${f.format.bytes}}$`));
    case 'time': {
      const layout = f.format.layout;
      // Only the parts the layout carries survive the round trip.
      return deviceTime.map((t) => ({
        year: layout.includes('YY') ? t.year : 2000,
        month: layout.includes('MM') && !layout.startsWith('hh') ? t.month : 1,
        day: layout.includes('DD') ? t.day : 1,
        hour: layout.includes('hh') ? t.hour : 0,
        minute: /mm(?!$)|hhmm/.test(layout) ? t.minute : 0,
        second: layout.includes('ss') ? t.second : 0,
      }));
    }
  }
}

const strip = (v: unknown) => (v !== null && typeof v === 'object' && 'weekday' in v ? { ...(v as DeviceTime), weekday: undefined } : v);
const zero = (v: unknown) => (Object.is(v, -0) ? 0 : v);

describe('encode -> decode round trips for every supported item', () => {
  // Load profile records have a layout of their own (tested in dlt645/load-records.spec.ts).
  const ids = [...all2007().filter((di) => !di.startsWith('06')), ...all1997];

  it('enumerates the registry', () => {
    expect(ids.length).toBeGreaterThan(250);
  });

  it.each(ids)('DL/T 645 %s', (di) => {
    const def = di.length === 8 ? lookup2007(parseInt(di, 16) >>> 0)! : lookup1997(parseInt(di, 16))!;
    const fields = fc.tuple(...def.fields.map(fieldValue));
    const group = def.repeatedGroup ? fc.tuple(...def.repeatedGroup.map(fieldValue)) : undefined;
    const block = def.repeated ? fc.array(fieldValue(def.repeated), { minLength: 1, maxLength: 9 }) : group ? fc.array(group, { minLength: 1, maxLength: 5 }).map((gs) => gs.flat()) : fc.constant([]);
    fc.assert(
      fc.property(fields, block, (a, b) => {
        const values = [...(a as unknown[]), ...(b as unknown[])] as Array<number | DeviceTime | string>;
        const frame = must(encodeReadReply('000000000001', di, values));
        const p = must(interpretDlt645(must(decodeDlt645Frame(frame))));
        expect(p.fields!.map((f) => zero(strip(f.value)))).toEqual(values.map((v) => zero(v)));
      }),
      { numRuns: 20 },
    );
  });

  const qValue = (f: QgdwFormat): fc.Arbitrary<number | DeviceTime | null> =>
    f.kind === 'bcd' ? fc.option(bcdValue(f.bcd), { nil: null, freq: 10 }) : f.kind === 'bin' ? fc.integer({ min: 0, max: 8 }) : deviceTime.map((t) => (f.kind === 'clock' ? t : { ...t, second: 0 }));

  it.each(Object.keys(CLASS1).map(Number))('Q/GDW 1376.1 AFN 0C F%i', (fn) => {
    const def = CLASS1[fn]!;
    // Values in table order: series get M + 1 values, the count field is M itself.
    const values = fc.integer({ min: 0, max: 6 }).chain((m) =>
      fc.tuple(
        ...def.elements.flatMap((el) => {
          const f = FORMATS[el.format];
          if ('series' in el) return Array.from({ length: m + 1 }, () => qValue(f));
          return [el.format === 'BIN1' ? fc.constant(m) : qValue(f)];
        }),
      ),
    );
    fc.assert(
      fc.property(values, fc.integer({ min: 0, max: 2040 }), (vals, pn) => {
        const list = vals as Array<number | DeviceTime | null>;
        const frame = must(encodeClass1Response({ region: '0001', terminal: 2, master: 1, group: false }, 0, [{ pn, fn, values: list }]));
        const u = must(decodeClass1(must(decodeQgdwFrame(frame)))).units[0]!;
        expect(u.values.map((v) => zero(strip(v.value)))).toEqual(list.map((v) => zero(strip(v))));
      }),
      { numRuns: 30 },
    );
  });

  it.each(Object.keys(CLASS2).map(Number))('Q/GDW 1376.1 AFN 0D F%i', (fn) => {
    const def = CLASS2[fn]!;
    fc.assert(
      fc.property(fc.array(qValue(FORMATS[def.format]), { minLength: 1, maxLength: 96 }), deviceTime, (values, t) => {
        const start = { ...t, second: 0, ...(def.kind === 'daily' ? { hour: 0, minute: 0 } : def.kind === 'monthly' ? { day: 1, hour: 0, minute: 0 } : {}) };
        const frame = must(encodeClass2Response({ region: '0001', terminal: 2, master: 1, group: false }, 0, [{ pn: 1, fn, start, density: 1, values: values as Array<number | null> }]));
        const u = must(decodeClass2(must(decodeQgdwFrame(frame)))).units[0]!;
        expect(u.values.map(zero)).toEqual(values.map(zero));
        expect(u.start).toEqual(start);
      }),
      { numRuns: 30 },
    );
  });
});

describe('decoders never throw on random bytes', () => {
  const ctx = { receivedAtMs: 0, tzOffsetMinutes: 480, source: { frameId: '', topic: '', partition: 0, offset: 0, indexInBatch: 0 } };

  it('frame decoders, payload decoders and normalisation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const d = decodeDlt645Frame(bytes);
        if (d.ok) interpretDlt645(d.value);
        const q = decodeQgdwFrame(bytes);
        if (q.ok) {
          decodeClass1(q.value);
          decodeClass2(q.value);
          decodeEvents(q.value);
          decodeForwardResponse(q.value);
        }
        normalizeFrame('dlt645', bytes, ctx);
        normalizeFrame('qgdw1376', bytes, ctx);
      }),
      { numRuns: 2000 },
    );
  });

  it('payload decoders on well-framed 1376.1 frames with random bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0x00, 0x02, 0x0c, 0x0d, 0x0e, 0x10), fc.constantFrom(0x88, 0xa8, 0xc4), fc.constantFrom(0x60, 0xe0), (body, afn, c, seq) => {
        const user = [c, 0x01, 0x41, 0x01, 0x00, 0x00, afn, seq, ...body];
        const l = (user.length << 2) | 2;
        const frame = Uint8Array.from([0x68, l & 0xff, l >> 8, l & 0xff, l >> 8, 0x68, ...user, user.reduce((s, b) => (s + b) & 0xff, 0), 0x16]);
        const r = normalizeFrame('qgdw1376', frame, ctx);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
