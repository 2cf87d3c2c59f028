import { Unit } from '@gridstation/contracts';
import { fail, ok, type Result } from '../common/errors';
import type { DeviceTime } from '../common/values';
import { encodeFn, encodePn, encodeQgdwFrame, type QgdwFrame } from './frame';
import { decodeFormat, encodeFormat, FORMATS, type QgdwFormatName, type QgdwValue } from './formats';
import { AFN, readDataUnitId } from './link';

// Class 2 data (AFN 0D): frozen values. Each data unit starts with a time label:
// - daily freezes: Td_d = the day (A.20); monthly freezes: Td_m = the month (A.21), dated its first day;
// - curves: Td_c = start time (A.15), density m (1 byte), number of points n (1 byte); point k is at
//   start + k * interval(m). m: 1 = 15 min, 2 = 30 min, 3 = 60 min, 254 = 5 min, 255 = 1 min.

export type FrozenKind = 'daily' | 'monthly' | 'curve';

/** One AFN 0D item: its time label (Td_d, Td_m or Td_c) follows from `kind`. */
export interface FrozenDef {
  fn: number;
  kind: FrozenKind;
  name: string;
  format: QgdwFormatName;
  quantity: string;
  unit: Unit;
}

const item =
  (kind: FrozenKind) =>
  (fn: number, name: string, format: QgdwFormatName, quantity: string, unit: Unit): FrozenDef => ({ fn, kind, name, format, quantity, unit });
const curve = item('curve');
const daily = item('daily');
const monthly = item('monthly');
const PH = ['a', 'b', 'c'] as const;

export const CLASS2: Record<number, FrozenDef> = Object.fromEntries(
  [
    curve(81, 'total active power curve', 'A.9', 'power.active.total', Unit.UNIT_KW),
    ...PH.map((p, k) => curve(82 + k, `phase ${p.toUpperCase()} active power curve`, 'A.9', `power.active.${p}`, Unit.UNIT_KW)),
    curve(85, 'total reactive power curve', 'A.9', 'power.reactive.total', Unit.UNIT_KVAR),
    ...PH.map((p, k) => curve(86 + k, `phase ${p.toUpperCase()} reactive power curve`, 'A.9', `power.reactive.${p}`, Unit.UNIT_KVAR)),
    ...PH.map((p, k) => curve(89 + k, `phase ${p.toUpperCase()} voltage curve`, 'A.7', `voltage.${p}`, Unit.UNIT_V)),
    ...PH.map((p, k) => curve(92 + k, `phase ${p.toUpperCase()} current curve`, 'A.25', `current.${p}`, Unit.UNIT_A)),
    curve(95, 'zero-sequence current curve', 'A.25', 'current.n', Unit.UNIT_A),
    curve(97, 'forward active energy per interval curve', 'A.13', 'energy.active.import.interval', Unit.UNIT_KWH),
    curve(98, 'forward reactive energy per interval curve', 'A.13', 'energy.reactive.combined1.interval', Unit.UNIT_KVARH),
    curve(99, 'reverse active energy per interval curve', 'A.13', 'energy.active.export.interval', Unit.UNIT_KWH),
    curve(100, 'reverse reactive energy per interval curve', 'A.13', 'energy.reactive.combined2.interval', Unit.UNIT_KVARH),
    curve(101, 'forward active energy reading curve', 'A.11', 'energy.active.import', Unit.UNIT_KWH),
    curve(102, 'forward reactive energy reading curve', 'A.11', 'energy.reactive.combined1', Unit.UNIT_KVARH),
    curve(103, 'reverse active energy reading curve', 'A.11', 'energy.active.export', Unit.UNIT_KWH),
    curve(104, 'reverse reactive energy reading curve', 'A.11', 'energy.reactive.combined2', Unit.UNIT_KVARH),
    curve(105, 'total power factor curve', 'A.5', 'power_factor.total', Unit.UNIT_PERCENT),
    ...PH.map((p, k) => curve(106 + k, `phase ${p.toUpperCase()} power factor curve`, 'A.5', `power_factor.${p}`, Unit.UNIT_PERCENT)),
    curve(145, 'quadrant I reactive energy reading curve', 'A.11', 'energy.reactive.q1', Unit.UNIT_KVARH),
    curve(146, 'quadrant IV reactive energy reading curve', 'A.11', 'energy.reactive.q4', Unit.UNIT_KVARH),
    curve(147, 'quadrant II reactive energy reading curve', 'A.11', 'energy.reactive.q2', Unit.UNIT_KVARH),
    curve(148, 'quadrant III reactive energy reading curve', 'A.11', 'energy.reactive.q3', Unit.UNIT_KVARH),
    daily(161, 'daily frozen forward active energy (total, tariffs 1..M)', 'A.14', 'energy.active.import', Unit.UNIT_KWH),
    daily(162, 'daily frozen forward reactive energy (total, tariffs 1..M)', 'A.11', 'energy.reactive.combined1', Unit.UNIT_KVARH),
    daily(163, 'daily frozen reverse active energy (total, tariffs 1..M)', 'A.14', 'energy.active.export', Unit.UNIT_KWH),
    daily(164, 'daily frozen reverse reactive energy (total, tariffs 1..M)', 'A.11', 'energy.reactive.combined2', Unit.UNIT_KVARH),
    ...(['q1', 'q2', 'q3', 'q4'] as const).map((q, k) => daily(165 + k, `daily frozen quadrant ${['I', 'II', 'III', 'IV'][k]} reactive energy (total, tariffs 1..M)`, 'A.11', `energy.reactive.${q}`, Unit.UNIT_KVARH)),
    monthly(177, 'monthly frozen forward active energy (total, tariffs 1..M)', 'A.14', 'energy.active.import', Unit.UNIT_KWH),
    monthly(178, 'monthly frozen forward reactive energy (total, tariffs 1..M)', 'A.11', 'energy.reactive.combined1', Unit.UNIT_KVARH),
    monthly(179, 'monthly frozen reverse active energy (total, tariffs 1..M)', 'A.14', 'energy.active.export', Unit.UNIT_KWH),
    monthly(180, 'monthly frozen reverse reactive energy (total, tariffs 1..M)', 'A.11', 'energy.reactive.combined2', Unit.UNIT_KVARH),
    ...(['q1', 'q2', 'q3', 'q4'] as const).map((q, k) => monthly(181 + k, `monthly frozen quadrant ${['I', 'II', 'III', 'IV'][k]} reactive energy (total, tariffs 1..M)`, 'A.11', `energy.reactive.${q}`, Unit.UNIT_KVARH)),
  ].map((d) => [d.fn, d]),
);

export const DENSITY_MINUTES: Record<number, number> = { 1: 15, 2: 30, 3: 60, 254: 5, 255: 1 };

export interface FrozenUnit {
  pn: number;
  fn: number;
  name: string;
  kind: FrozenKind;
  quantity: string;
  unit: Unit;
  /** Daily: the frozen day; curve: the first point. */
  start: DeviceTime | null;
  /** Curve only: minutes between points. */
  intervalMinutes?: number;
  /** Daily: the terminal's reading time. */
  readAt?: DeviceTime | null;
  /** Daily: values total first, then tariffs; curve: one value per point (null = no data). */
  values: Array<number | null>;
}

export interface FrozenPayload {
  units: FrozenUnit[];
  unsupported?: { fn: number[]; reason: string; raw: Uint8Array };
}

function asTime(v: QgdwValue): DeviceTime | null {
  return v !== null && typeof v === 'object' ? v : null;
}

export function decodeClass2(frame: QgdwFrame, table: Record<number, FrozenDef> = CLASS2): Result<FrozenPayload> {
  const body = frame.body;
  const shift = <T>(r: Result<T>): Result<T> => (r.ok ? r : { ok: false, error: { ...r.error, offset: r.error.offset + frame.bodyOffset } });
  const auxLen = (frame.control.up && frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
  const limit = body.length - auxLen;
  const out: FrozenPayload = { units: [] };
  let p = 0;
  const read = (name: QgdwFormatName): Result<QgdwValue> => {
    const f = FORMATS[name];
    if (p + f.bytes > limit) return fail('TRUNCATED', frame.bodyOffset + p, `${name} needs ${f.bytes} bytes, ${limit - p} left`);
    const r = shift(decodeFormat(body, p, f));
    p += f.bytes;
    return r;
  };
  while (p < limit) {
    const id = shift(readDataUnitId(body, p));
    if (!id.ok) return id;
    const { pn, fn } = id.value;
    const def = fn.length === 1 ? table[fn[0]!] : undefined;
    if (!def || pn === 'all' || pn.length !== 1) {
      out.unsupported = { fn, reason: def ? 'data unit names more than one measurement point' : `AFN 0D F${fn.join(', F')} not supported`, raw: body.slice(p, limit) };
      break;
    }
    p += 4;
    const unit: FrozenUnit = { pn: pn[0]!, fn: def.fn, name: def.name, kind: def.kind, quantity: def.quantity, unit: def.unit, start: null, values: [] };
    if (def.kind === 'daily' || def.kind === 'monthly') {
      const day = read(def.kind === 'daily' ? 'A.20' : 'A.21');
      if (!day.ok) return day;
      const readAt = read('A.15');
      if (!readAt.ok) return readAt;
      const m = read('BIN1');
      if (!m.ok) return m;
      unit.start = asTime(day.value);
      unit.readAt = asTime(readAt.value);
      for (let t = 0; t <= (m.value as number); t++) {
        const v = read(def.format);
        if (!v.ok) return v;
        unit.values.push(v.value as number | null);
      }
    } else {
      const start = read('A.15');
      if (!start.ok) return start;
      const m = read('BIN1');
      if (!m.ok) return m;
      const n = read('BIN1');
      if (!n.ok) return n;
      const minutes = DENSITY_MINUTES[m.value as number];
      if (minutes === undefined) return fail('RANGE', frame.bodyOffset + p - 2, `curve density ${String(m.value)} is not defined`);
      unit.start = asTime(start.value);
      unit.intervalMinutes = minutes;
      for (let k = 0; k < (n.value as number); k++) {
        const v = read(def.format);
        if (!v.ok) return v;
        unit.values.push(v.value as number | null);
      }
    }
    out.units.push(unit);
  }
  return ok(out);
}

export interface FrozenRequest {
  pn: number;
  fn: number;
  /** Daily: the day; curve: the first point. */
  start: DeviceTime;
  /** Curve: density code and number of points. */
  density?: number;
  points?: number;
}

/** Master -> terminal AFN 0D request: each unit's identifier followed by its time label. */
export function encodeClass2Request(address: QgdwFrame['address'], pseq: number, units: readonly FrozenRequest[], table: Record<number, FrozenDef> = CLASS2): Result<Uint8Array> {
  const body: number[] = [];
  for (const u of units) {
    const def = table[u.fn];
    if (!def) return fail('RANGE', 0, `F${u.fn} not supported`);
    body.push(...encodePn(u.pn), ...encodeFn(u.fn));
    const t = new Uint8Array(5);
    if (def.kind === 'daily' || def.kind === 'monthly') {
      const f = FORMATS[def.kind === 'daily' ? 'A.20' : 'A.21'];
      const r = encodeFormat(u.start, f, t, 0);
      if (!r.ok) return r;
      body.push(...t.subarray(0, f.bytes));
    } else {
      const r = encodeFormat(u.start, FORMATS['A.15'], t, 0);
      if (!r.ok) return r;
      body.push(...t, u.density ?? 1, u.points ?? 96);
    }
  }
  return encodeQgdwFrame({ control: 0x4b, address, afn: AFN.class2, seq: 0x60 | (pseq & 0x0f), body: Uint8Array.from(body) });
}

/**
 * Terminal side of an AFN 0D request (simulator and tests): each data unit identifier with its time
 * label, for one measurement point and one Fn (a DA naming several points, or a DT several Fn, carries
 * one time label for each point x Fn in that order). A request from the master may end with Tp.
 */
export function decodeClass2Request(frame: QgdwFrame, table: Record<number, FrozenDef> = CLASS2): Result<FrozenRequest[]> {
  const body = frame.body;
  const limit = body.length - (frame.seq.tpv ? 6 : 0);
  const out: FrozenRequest[] = [];
  let p = 0;
  while (p < limit) {
    const id = readDataUnitId(body, p);
    if (!id.ok) return { ok: false, error: { ...id.error, offset: id.error.offset + frame.bodyOffset } };
    const { pn, fn } = id.value;
    if (pn === 'all') return fail('RANGE', frame.bodyOffset + p, 'AFN 0D request for all measurement points is not supported');
    p += 4;
    for (const point of pn) {
      for (const f of fn) {
        const def = table[f];
        if (!def) return fail('RANGE', frame.bodyOffset + p - 2, `AFN 0D F${f} not supported`);
        const label = def.kind === 'daily' ? FORMATS['A.20'] : def.kind === 'monthly' ? FORMATS['A.21'] : FORMATS['A.15'];
        const need = label.bytes + (def.kind === 'curve' ? 2 : 0);
        if (p + need > limit) return fail('TRUNCATED', frame.bodyOffset + p, `F${f} time label needs ${need} bytes, ${limit - p} left`);
        const start = decodeFormat(body, p, label);
        if (!start.ok) return { ok: false, error: { ...start.error, offset: start.error.offset + frame.bodyOffset } };
        if (start.value === null || typeof start.value !== 'object') return fail('RANGE', frame.bodyOffset + p, `F${f} time label is empty`);
        p += label.bytes;
        const req: FrozenRequest = { pn: point, fn: f, start: start.value as DeviceTime };
        if (def.kind === 'curve') {
          req.density = body[p]!;
          req.points = body[p + 1]!;
          p += 2;
        }
        out.push(req);
      }
    }
  }
  return ok(out);
}

export interface FrozenToEncode {
  pn: number;
  fn: number;
  start: DeviceTime;
  readAt?: DeviceTime;
  density?: number;
  values: Array<number | null>;
}

/** Terminal -> master AFN 0D response (simulator, tests). C = 88H. */
export function encodeClass2Response(address: QgdwFrame['address'], rseq: number, units: readonly FrozenToEncode[], table: Record<number, FrozenDef> = CLASS2): Result<Uint8Array> {
  const body: number[] = [];
  const put = (v: QgdwValue, name: QgdwFormatName): Result<void> => {
    const tmp = new Uint8Array(FORMATS[name].bytes);
    const r = encodeFormat(v, FORMATS[name], tmp, 0);
    if (r.ok) body.push(...tmp);
    return r;
  };
  for (const u of units) {
    const def = table[u.fn];
    if (!def) return fail('RANGE', 0, `F${u.fn} not supported`);
    body.push(...encodePn(u.pn), ...encodeFn(u.fn));
    if (def.kind === 'daily' || def.kind === 'monthly') {
      for (const r of [put(u.start, def.kind === 'daily' ? 'A.20' : 'A.21'), put(u.readAt ?? u.start, 'A.15'), put(u.values.length - 1, 'BIN1')]) if (!r.ok) return r;
    } else {
      for (const r of [put(u.start, 'A.15'), put(u.density ?? 1, 'BIN1'), put(u.values.length, 'BIN1')]) if (!r.ok) return r;
    }
    for (const v of u.values) {
      const r = put(v, def.format);
      if (!r.ok) return r;
    }
  }
  return encodeQgdwFrame({ control: 0x88, address, afn: AFN.class2, seq: 0x60 | (rseq & 0x0f), body: Uint8Array.from(body) });
}
