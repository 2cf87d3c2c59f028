import { Unit } from '@gridstation/contracts';
import { fail, ok, type Result } from '../common/errors';
import { encodeFn, encodePn, encodeQgdwFrame, type QgdwFrame } from './frame';
import { decodeFormat, encodeFormat, FORMATS, type QgdwFormatName, type QgdwValue } from './formats';
import { AFN, readDataUnitId } from './link';

// Class 1 data (AFN 0C): current values, one data unit per (pn, Fn). Each supported Fn is a row of the
// table below: its fields in order, a field's format from appendix A, and "series" whose length is the
// tariff count M read earlier in the same unit (total first, then tariffs 1..M).

interface Scalar {
  name: string;
  format: QgdwFormatName;
  quantity?: string;
  unit?: Unit;
}
interface Series {
  series: string;
  format: QgdwFormatName;
  quantity: string;
  unit: Unit;
  /** Name of the BIN1 field holding M; the series has M + 1 values. */
  countFrom: string;
}
type Element = Scalar | Series;

export interface FnDef {
  fn: number;
  name: string;
  elements: Element[];
}

const P = (name: string, quantity: string, format: QgdwFormatName, unit: Unit): Scalar => ({ name, format, quantity, unit });
const phases = (base: string, quantity: string, format: QgdwFormatName, unit: Unit): Scalar[] =>
  (['a', 'b', 'c'] as const).map((ph) => P(`${base} ${ph.toUpperCase()}`, `${quantity}.${ph}`, format, unit));

const READ_TIME: Scalar = { name: 'meter reading time', format: 'A.15' };
const M: Scalar = { name: 'tariff count', format: 'BIN1' };

export const CLASS1: Record<number, FnDef> = {
  2: { fn: 2, name: 'terminal calendar clock', elements: [{ name: 'clock', format: 'A.1' }] },
  25: {
    fn: 25,
    name: 'current three-phase and total active/reactive power, power factor, voltage, current, zero-sequence current, apparent power',
    elements: [
      READ_TIME,
      P('total active power', 'power.active.total', 'A.9', Unit.UNIT_KW),
      ...phases('active power', 'power.active', 'A.9', Unit.UNIT_KW),
      P('total reactive power', 'power.reactive.total', 'A.9', Unit.UNIT_KVAR),
      ...phases('reactive power', 'power.reactive', 'A.9', Unit.UNIT_KVAR),
      P('total power factor', 'power_factor.total', 'A.5', Unit.UNIT_PERCENT),
      ...phases('power factor', 'power_factor', 'A.5', Unit.UNIT_PERCENT),
      ...phases('voltage', 'voltage', 'A.7', Unit.UNIT_V),
      ...phases('current', 'current', 'A.25', Unit.UNIT_A),
      P('zero-sequence current', 'current.n', 'A.25', Unit.UNIT_A),
      P('total apparent power', 'power.apparent.total', 'A.9', Unit.UNIT_KVA),
      ...phases('apparent power', 'power.apparent', 'A.9', Unit.UNIT_KVA),
    ],
  },
  33: {
    fn: 33,
    name: 'current forward active/reactive energy, quadrant I/IV reactive energy (total, tariffs 1..M)',
    elements: [
      READ_TIME,
      M,
      { series: 'forward active energy', format: 'A.14', quantity: 'energy.active.import', unit: Unit.UNIT_KWH, countFrom: M.name },
      { series: 'forward reactive energy', format: 'A.11', quantity: 'energy.reactive.combined1', unit: Unit.UNIT_KVARH, countFrom: M.name },
      { series: 'quadrant I reactive energy', format: 'A.11', quantity: 'energy.reactive.q1', unit: Unit.UNIT_KVARH, countFrom: M.name },
      { series: 'quadrant IV reactive energy', format: 'A.11', quantity: 'energy.reactive.q4', unit: Unit.UNIT_KVARH, countFrom: M.name },
    ],
  },
  34: {
    fn: 34,
    name: 'current reverse active/reactive energy, quadrant II/III reactive energy (total, tariffs 1..M)',
    elements: [
      READ_TIME,
      M,
      { series: 'reverse active energy', format: 'A.14', quantity: 'energy.active.export', unit: Unit.UNIT_KWH, countFrom: M.name },
      { series: 'reverse reactive energy', format: 'A.11', quantity: 'energy.reactive.combined2', unit: Unit.UNIT_KVARH, countFrom: M.name },
      { series: 'quadrant II reactive energy', format: 'A.11', quantity: 'energy.reactive.q2', unit: Unit.UNIT_KVARH, countFrom: M.name },
      { series: 'quadrant III reactive energy', format: 'A.11', quantity: 'energy.reactive.q3', unit: Unit.UNIT_KVARH, countFrom: M.name },
    ],
  },
  129: {
    fn: 129,
    name: 'current forward active energy (total, tariffs 1..M)',
    elements: [READ_TIME, M, { series: 'forward active energy', format: 'A.14', quantity: 'energy.active.import', unit: Unit.UNIT_KWH, countFrom: M.name }],
  },
  130: {
    fn: 130,
    name: 'current forward reactive energy (total, tariffs 1..M)',
    elements: [READ_TIME, M, { series: 'forward reactive energy', format: 'A.11', quantity: 'energy.reactive.combined1', unit: Unit.UNIT_KVARH, countFrom: M.name }],
  },
  ...Object.fromEntries(
    ([
      [132, 'reverse reactive energy', 'energy.reactive.combined2'],
      [133, 'quadrant I reactive energy', 'energy.reactive.q1'],
      [134, 'quadrant II reactive energy', 'energy.reactive.q2'],
      [135, 'quadrant III reactive energy', 'energy.reactive.q3'],
      [136, 'quadrant IV reactive energy', 'energy.reactive.q4'],
    ] as const).map(([fn, name, quantity]) => [fn, { fn, name: `current ${name} (total, tariffs 1..M)`, elements: [READ_TIME, M, { series: name, format: 'A.11', quantity, unit: Unit.UNIT_KVARH, countFrom: M.name }] }]),
  ),
  131: {
    fn: 131,
    name: 'current reverse active energy (total, tariffs 1..M)',
    elements: [READ_TIME, M, { series: 'reverse active energy', format: 'A.14', quantity: 'energy.active.export', unit: Unit.UNIT_KWH, countFrom: M.name }],
  },
};

export interface ItemValue {
  name: string;
  value: QgdwValue;
  format: QgdwFormatName;
  quantity?: string;
  unit?: Unit;
  /** Series only: 0 = total, n = tariff n. */
  tariff?: number;
}

export interface DataUnit {
  pn: number;
  fn: number;
  name: string;
  values: ItemValue[];
}

export interface UnsupportedUnit {
  pn: number[] | 'all';
  fn: number[];
  reason: string;
  /** Everything from this unit's identifier to the end of the data: its length is not known. */
  raw: Uint8Array;
}

export interface ClassDataPayload {
  units: DataUnit[];
  unsupported?: UnsupportedUnit;
  /** AUX: important/normal event counters (uplink with ACD = 1). */
  ec?: { important: number; normal: number };
  /** AUX: time label. */
  tp?: { pfc: number; sentAt: { second: number; minute: number; hour: number; day: number }; delayMinutes: number };
}

function decodeUnitValues(def: FnDef, body: Uint8Array, at: number, limit: number): Result<{ values: ItemValue[]; next: number }> {
  const values: ItemValue[] = [];
  const counts: Record<string, number> = {};
  let p = at;
  for (const el of def.elements) {
    if ('series' in el) {
      const m = counts[el.countFrom];
      if (m === undefined) return fail('RANGE', p, `F${def.fn}: count ${el.countFrom} missing`);
      const f = FORMATS[el.format];
      for (let t = 0; t <= m; t++) {
        if (p + f.bytes > limit) return fail('TRUNCATED', p, `F${def.fn} ${el.series}: needs ${f.bytes} bytes at ${p}`);
        const v = decodeFormat(body, p, f);
        if (!v.ok) return v;
        values.push({ name: el.series, value: v.value, format: el.format, quantity: el.quantity, unit: el.unit, tariff: t });
        p += f.bytes;
      }
      continue;
    }
    const f = FORMATS[el.format];
    if (p + f.bytes > limit) return fail('TRUNCATED', p, `F${def.fn} ${el.name}: needs ${f.bytes} bytes at ${p}`);
    const v = decodeFormat(body, p, f);
    if (!v.ok) return v;
    if (el.format === 'BIN1') counts[el.name] = v.value as number;
    values.push({ name: el.name, value: v.value, format: el.format, ...(el.quantity ? { quantity: el.quantity } : {}), ...(el.unit === undefined ? {} : { unit: el.unit }) });
    p += f.bytes;
  }
  return ok({ values, next: p });
}

const bcd2 = (b: number) => (b >> 4) * 10 + (b & 0x0f);

/**
 * Decodes an AFN 0C response (uplink). Data units are read until the AUX; a unit whose Fn is not in the
 * table stops decoding there (its length is unknown) and the rest is kept raw, marked unsupported.
 */
export function decodeClass1(frame: QgdwFrame, table: Record<number, FnDef> = CLASS1): Result<ClassDataPayload> {
  const body = frame.body;
  const auxLen = (frame.control.up && frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
  const limit = body.length - auxLen;
  if (limit < 0) return fail('TRUNCATED', frame.bodyOffset, 'frame shorter than its AUX');
  const out: ClassDataPayload = { units: [] };
  const shift = <T>(r: Result<T>): Result<T> => (r.ok ? r : { ok: false, error: { ...r.error, offset: r.error.offset + frame.bodyOffset } });
  let p = 0;
  while (p < limit) {
    const id = shift(readDataUnitId(body, p));
    if (!id.ok) return id;
    const { pn, fn } = id.value;
    const defs = fn.map((f) => table[f]);
    if (pn === 'all' || pn.length === 0 || fn.length === 0 || defs.some((d) => !d)) {
      const missing = fn.filter((f) => !table[f]);
      out.unsupported = {
        pn,
        fn,
        reason: missing.length > 0 ? `AFN 0C F${missing.join(', F')} not supported` : 'data unit names no single measurement point',
        raw: body.slice(p, limit),
      };
      break;
    }
    p += 4;
    // One identifier may name several pn and several Fn: values follow pn-major, Fn-minor.
    for (const point of pn) {
      for (const def of defs as FnDef[]) {
        const r = shift(decodeUnitValues(def, body, p, limit));
        if (!r.ok) return r;
        out.units.push({ pn: point, fn: def.fn, name: def.name, values: r.value.values });
        p = r.value.next;
      }
    }
  }
  let a = limit;
  if (frame.control.up && frame.control.acd) {
    out.ec = { important: body[a]!, normal: body[a + 1]! };
    a += 2;
  }
  if (frame.seq.tpv) {
    out.tp = { pfc: body[a]!, sentAt: { second: bcd2(body[a + 1]!), minute: bcd2(body[a + 2]!), hour: bcd2(body[a + 3]!), day: bcd2(body[a + 4]!) }, delayMinutes: body[a + 5]! };
  }
  return ok(out);
}

export interface UnitToEncode {
  pn: number;
  fn: number;
  /** Values in table order; series values total first. */
  values: QgdwValue[];
}

/** Terminal -> master AFN 0C response (simulator, tests, benchmark). C = 88H: up, PRM = 0, user data. */
export function encodeClass1Response(address: QgdwFrame['address'], rseq: number, units: readonly UnitToEncode[], table: Record<number, FnDef> = CLASS1): Result<Uint8Array> {
  const parts: number[] = [];
  for (const u of units) {
    const def = table[u.fn];
    if (!def) return fail('RANGE', 0, `F${u.fn} not supported`);
    parts.push(...encodePn(u.pn), ...encodeFn(u.fn));
    let k = 0;
    let count = 0;
    for (const el of def.elements) {
      const f = FORMATS[el.format];
      const n = 'series' in el ? count + 1 : 1;
      for (let t = 0; t < n; t++) {
        const v = u.values[k++];
        if (v === undefined) return fail('RANGE', 0, `F${u.fn}: too few values`);
        const tmp = new Uint8Array(f.bytes);
        const r = encodeFormat(v, f, tmp, 0);
        if (!r.ok) return r;
        if (!('series' in el) && el.format === 'BIN1') count = v as number;
        parts.push(...tmp);
      }
    }
    if (k !== u.values.length) return fail('RANGE', 0, `F${u.fn}: ${u.values.length - k} values too many`);
  }
  return encodeQgdwFrame({ control: 0x88, address, afn: AFN.class1, seq: 0x60 | (rseq & 0x0f), body: Uint8Array.from(parts) });
}

/** Master -> terminal AFN 0C request for the given (pn, Fn) pairs. C = 4BH: down, PRM = 1, class 2 request function. */
export function encodeClass1Request(address: QgdwFrame['address'], pseq: number, units: ReadonlyArray<{ pn: number; fn: number }>): Result<Uint8Array> {
  const body = units.flatMap((u) => [...encodePn(u.pn), ...encodeFn(u.fn)]);
  return encodeQgdwFrame({ control: 0x4b, address, afn: AFN.class1, seq: 0x60 | (pseq & 0x0f), body: Uint8Array.from(body) });
}
