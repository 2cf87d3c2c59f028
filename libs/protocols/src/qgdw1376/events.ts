import { fail, ok, type Result } from '../common/errors';
import type { DeviceTime } from '../common/values';
import { encodeFn, encodeQgdwFrame, type QgdwFrame } from './frame';
import { decodeFormat, encodeFormat, FORMATS, type QgdwFormatName } from './formats';
import { AFN, readDataUnitId } from './link';

// Class 3 data (AFN 0E): event records. F1 = important events, F2 = normal events. The answer (or an
// active report) carries EC1, EC2, the pointers Pm and Pn of the records in this frame, then records
// of the form ERC (1 byte) | Le (1 byte) | Le bytes. Records are decoded by their ERC; one whose ERC is
// not supported is kept with its bytes. Le always decides where the next record starts.

export type PhaseSet = { a: boolean; b: boolean; c: boolean };

export type EventRecord =
  | { erc: 14; name: 'terminal power-off/power-on'; powerOffAt: DeviceTime | null; powerOnAt: DeviceTime | null; attributes?: { normal: boolean; valid: boolean } }
  | {
      erc: 9 | 10;
      name: 'current circuit anomaly' | 'voltage circuit anomaly';
      at: DeviceTime | null;
      pn: number;
      /** true when the anomaly starts, false when it ends. */
      starts: boolean;
      phases: PhaseSet;
      /** ERC10: 'phase-break' | 'voltage-loss'; ERC9: 'short-circuit' | 'open-circuit' | 'reverse'. */
      kind: string;
      voltages: Array<number | null>;
      currents: Array<number | null>;
      energy: number | null;
    }
  | { erc: 24; name: 'voltage out of limits'; at: DeviceTime | null; pn: number; starts: boolean; phases: PhaseSet; kind: 'above-upper-upper' | 'below-lower-lower' | 'unknown'; voltages: Array<number | null> }
  | { erc: 25; name: 'current out of limits'; at: DeviceTime | null; pn: number; starts: boolean; phases: PhaseSet; kind: 'above-upper-upper' | 'above-upper' | 'unknown'; currents: Array<number | null> }
  /** Records whose fields are decoded but carry no supply or circuit meaning for the station: named details. */
  | { erc: number; name: string; described: true; at: DeviceTime | null; pn?: number; starts?: boolean; details: Record<string, string | number | boolean | null> }
  | { erc: number; name: 'unsupported'; raw: Uint8Array };

export interface EventsPayload {
  important: boolean;
  ec1: number;
  ec2: number;
  pm: number;
  pn: number;
  records: EventRecord[];
}

const phasesOf = (flag: number): PhaseSet => ({ a: (flag & 1) !== 0, b: (flag & 2) !== 0, c: (flag & 4) !== 0 });

function reader(buf: Uint8Array, start: number) {
  let p = start;
  const read = (name: QgdwFormatName) => {
    const r = decodeFormat(buf, p, FORMATS[name]);
    p += FORMATS[name].bytes;
    return r;
  };
  return { read, get at() { return p; } };
}

function num(r: Result<unknown>): number | null {
  return r.ok && typeof r.value === 'number' ? r.value : null;
}

function time(r: Result<unknown>): Result<DeviceTime | null> {
  if (!r.ok) return r;
  return ok(r.value as DeviceTime | null);
}

/**
 * The header shared by ERC9, 10, 24 and 25: occurrence time (A.15), a word with the start/end flag in
 * D15 and the measurement point in D11-D0, and a flag byte (phases in D0-D2, anomaly type in D6-D7).
 */
function pointHeader(buf: Uint8Array, at: number) {
  const t = time(decodeFormat(buf, at, FORMATS['A.15']));
  if (!t.ok) return t;
  const word = buf[at + 5]! | (buf[at + 6]! << 8);
  const flag = buf[at + 7]!;
  return ok({
    head: { at: t.value, pn: word & 0x0fff, starts: (word & 0x8000) !== 0, phases: phasesOf(flag), type: flag >> 6 },
    rest: reader(buf, at + 8),
  });
}

/** Decodes one record's content (`le` bytes at `at`); errors carry offsets within `buf`. */
export function decodeEventRecord(erc: number, buf: Uint8Array, at: number, le: number): Result<EventRecord> {
  const r = reader(buf, at);
  switch (erc) {
    case 14: {
      if (le !== 10 && le !== 11) break;
      const off = time(r.read('A.15'));
      if (!off.ok) return off;
      const on = time(r.read('A.15'));
      if (!on.ok) return on;
      const rec: EventRecord = { erc: 14, name: 'terminal power-off/power-on', powerOffAt: off.value, powerOnAt: on.value };
      // The 2013 edition adds an attribute byte: D0 = event normal, D1 = event valid.
      if (le === 11) rec.attributes = { normal: (buf[at + 10]! & 1) !== 0, valid: (buf[at + 10]! & 2) !== 0 };
      return ok(rec);
    }
    case 9:
    case 10: {
      if (le !== 28) break;
      const h = pointHeader(buf, at);
      if (!h.ok) return h;
      const { head, rest } = h.value;
      const { type, ...common } = head;
      const kind = erc === 10 ? (['unknown', 'phase-break', 'voltage-loss', 'unknown'] as const)[type]! : (['unknown', 'short-circuit', 'open-circuit', 'reverse'] as const)[type]!;
      const voltages = [num(rest.read('A.7')), num(rest.read('A.7')), num(rest.read('A.7'))];
      const currents = [num(rest.read('A.25')), num(rest.read('A.25')), num(rest.read('A.25'))];
      const energy = num(rest.read('A.14'));
      return ok({ erc, name: erc === 10 ? 'voltage circuit anomaly' : 'current circuit anomaly', ...common, kind, voltages, currents, energy });
    }
    case 24: {
      if (le !== 14) break;
      const h = pointHeader(buf, at);
      if (!h.ok) return h;
      const { head, rest } = h.value;
      const { type, ...common } = head;
      const kind = (['unknown', 'above-upper-upper', 'below-lower-lower', 'unknown'] as const)[type]!;
      return ok({ erc: 24, name: 'voltage out of limits', ...common, kind, voltages: [num(rest.read('A.7')), num(rest.read('A.7')), num(rest.read('A.7'))] });
    }
    case 25: {
      if (le !== 17) break;
      const h = pointHeader(buf, at);
      if (!h.ok) return h;
      const { head, rest } = h.value;
      const { type, ...common } = head;
      const kind = (['unknown', 'above-upper-upper', 'above-upper', 'unknown'] as const)[type]!;
      return ok({ erc: 25, name: 'current out of limits', ...common, kind, currents: [num(rest.read('A.25')), num(rest.read('A.25')), num(rest.read('A.25'))] });
    }
    default: {
      const d = describedRecord(erc, buf, at, le);
      if (d) return d;
    }
  }
  return ok({ erc, name: 'unsupported', raw: buf.slice(at, at + le) });
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n)).replace(/[\0\s]+$/, '');
const hexOf = (b: Uint8Array, at: number, n: number) => [...b.subarray(at, at + n)].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');

/**
 * ERC 1, 2, 3, 4, 12, 13, 20, 21, 31 (appendix "event records" of Q/GDW 1376.1-2013): every one starts
 * with its occurrence time (A.15); a word with D15 = start/end and D11-D0 = pn where a point is named.
 */
const DESCRIBED_LENGTH: Record<number, (le: number) => boolean> = {
  1: (le) => le === 14,
  2: (le) => le === 6,
  3: (le) => le >= 6 && (le - 6) % 4 === 0,
  4: (le) => le === 7,
  12: (le) => le === 7,
  13: (le) => le === 8,
  20: (le) => le === 22,
  21: (le) => le === 6,
  31: (le) => le === 21,
};

function describedRecord(erc: number, buf: Uint8Array, at: number, le: number): Result<EventRecord> | undefined {
  if (!DESCRIBED_LENGTH[erc]?.(le)) return undefined;
  const t = time(decodeFormat(buf, at, FORMATS['A.15']));
  if (!t.ok) return t;
  const word = (p: number) => ({ pn: (buf[p]! | (buf[p + 1]! << 8)) & 0x0fff, starts: ((buf[p]! | (buf[p + 1]! << 8)) & 0x8000) !== 0 });
  const base = { erc, described: true as const, at: t.value };
  switch (erc) {
    case 1:
      if (le !== 14) return undefined;
      return ok({ ...base, name: 'data initialisation / version change', details: { dataInitialised: (buf[at + 5]! & 1) !== 0, versionChanged: (buf[at + 5]! & 2) !== 0, versionBefore: ascii(buf, at + 6, 4), versionAfter: ascii(buf, at + 10, 4) } });
    case 2:
      if (le !== 6) return undefined;
      return ok({ ...base, name: 'parameters lost', details: { terminalParameters: (buf[at + 5]! & 1) !== 0, pointParameters: (buf[at + 5]! & 2) !== 0 } });
    case 3: {
      if (le < 6 || (le - 6) % 4 !== 0) return undefined;
      const units: string[] = [];
      for (let p = at + 6; p < at + le; p += 4) units.push(hexOf(buf, p, 4));
      return ok({ ...base, name: 'parameters changed', details: { master: buf[at + 5]!, units: units.join(',') } });
    }
    case 4:
      if (le !== 7) return undefined;
      return ok({ ...base, name: 'state input change', details: { state: buf[at + 5]!, changed: buf[at + 6]! } });
    case 12:
      if (le !== 7) return undefined;
      return ok({ ...base, name: 'meter clock out of tolerance', ...word(at + 5), details: {} });
    case 13:
      if (le !== 8) return undefined;
      return ok({ ...base, name: 'meter fault', ...word(at + 5), details: { programmingTimesChanged: (buf[at + 7]! & 1) !== 0, demandResetsChanged: (buf[at + 7]! & 2) !== 0, batteryLow: (buf[at + 7]! & 4) !== 0, powerDownsChanged: (buf[at + 7]! & 8) !== 0, constantChanged: (buf[at + 7]! & 16) !== 0 } });
    case 20:
      if (le !== 22) return undefined;
      return ok({ ...base, name: 'message authentication error', details: { pw: hexOf(buf, at + 5, 16), master: buf[at + 21]! } });
    case 21:
      if (le !== 6) return undefined;
      return ok({ ...base, name: 'terminal fault', details: { code: buf[at + 5]!, fault: ['', 'memory', 'clock', 'main board communication', '485 meter reading', 'display board'][buf[at + 5]!] ?? 'other' } });
    case 31: {
      if (le !== 21) return undefined;
      const lastRead = decodeFormat(buf, at + 7, FORMATS['A.15']);
      const active = decodeFormat(buf, at + 12, FORMATS['A.14']);
      const reactive = decodeFormat(buf, at + 17, FORMATS['A.11']);
      const last = lastRead.ok && lastRead.value && typeof lastRead.value === 'object' ? lastRead.value : null;
      return ok({
        ...base,
        name: 'meter reading failure (RS-485)',
        ...word(at + 5),
        details: {
          lastSuccess: last ? `${last.year}-${String(last.month).padStart(2, '0')}-${String(last.day).padStart(2, '0')} ${String(last.hour).padStart(2, '0')}:${String(last.minute).padStart(2, '0')}` : null,
          activeEnergy: active.ok && typeof active.value === 'number' ? active.value : null,
          reactiveEnergy: reactive.ok && typeof reactive.value === 'number' ? reactive.value : null,
        },
      });
    }
    default:
      return undefined;
  }
}

/** Decodes an AFN 0E answer or active report (uplink). */
export function decodeEvents(frame: QgdwFrame): Result<EventsPayload> {
  const body = frame.body;
  const shift = <T>(r: Result<T>): Result<T> => (r.ok ? r : { ok: false, error: { ...r.error, offset: r.error.offset + frame.bodyOffset } });
  const id = shift(readDataUnitId(body, 0));
  if (!id.ok) return id;
  const f = id.value.fn[0];
  if (f !== 1 && f !== 2) return fail('RANGE', frame.bodyOffset + 2, `AFN 0E F${String(f)} is not an event request`);
  const auxLen = (frame.control.up && frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
  const limit = body.length - auxLen;
  if (limit < 8) return fail('TRUNCATED', frame.bodyOffset + limit, 'AFN 0E answer without EC1, EC2, Pm, Pn');
  const out: EventsPayload = { important: f === 1, ec1: body[4]!, ec2: body[5]!, pm: body[6]!, pn: body[7]!, records: [] };
  let p = 8;
  while (p < limit) {
    if (p + 2 > limit) return fail('TRUNCATED', frame.bodyOffset + p, 'event record header cut off');
    const erc = body[p]!;
    const le = body[p + 1]!;
    if (p + 2 + le > limit) return fail('LENGTH_MISMATCH', frame.bodyOffset + p + 1, `ERC${erc} declares ${le} bytes, ${limit - p - 2} left`);
    const rec = shift(decodeEventRecord(erc, body, p + 2, le));
    if (!rec.ok) return rec;
    out.records.push(rec.value);
    p += 2 + le;
  }
  return ok(out);
}

/** Master -> terminal: read event records Pm..Pn-1 (F1 important, F2 normal). C = 4BH. */
export function encodeEventsRequest(address: QgdwFrame['address'], pseq: number, important: boolean, pm: number, pn: number): Result<Uint8Array> {
  const [dt1, dt2] = encodeFn(important ? 1 : 2);
  return encodeQgdwFrame({ control: 0x4b, address, afn: AFN.class3, seq: 0x60 | (pseq & 0x0f), body: Uint8Array.of(0, 0, dt1, dt2, pm & 0xff, pn & 0xff) });
}

export interface PowerRecordToEncode {
  powerOffAt: DeviceTime | null;
  powerOnAt: DeviceTime | null;
}

/** Terminal -> master: active report of ERC14 records (simulator, tests). C = C4H (up, PRM = 1, user data), CON set. */
export function encodePowerEventsReport(address: QgdwFrame['address'], pseq: number, ec1: number, ec2: number, records: readonly PowerRecordToEncode[]): Result<Uint8Array> {
  const body: number[] = [0, 0, 1, 0, ec1, ec2, (ec1 - records.length) & 0xff, ec1 & 0xff];
  for (const r of records) {
    const content = new Uint8Array(10);
    const a = encodeFormat(r.powerOffAt, FORMATS['A.15'], content, 0);
    if (!a.ok) return a;
    const b = encodeFormat(r.powerOnAt, FORMATS['A.15'], content, 5);
    if (!b.ok) return b;
    body.push(14, 10, ...content);
  }
  return encodeQgdwFrame({ control: 0xc4, address, afn: AFN.class3, seq: 0x70 | (pseq & 0x0f), body: Uint8Array.from(body) });
}
