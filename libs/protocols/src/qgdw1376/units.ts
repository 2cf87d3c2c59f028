import type { QgdwFrame } from './frame';
import { PROTOCOL_ID_2005 } from './frame';
import { AFN, readDataUnitId, type DataUnitId } from './link';

// The data units of any 1376.1 frame, whatever its AFN and direction: each unit's DA (pn set) and DT
// (Fn set) and the bytes of its data, followed by the AUX (PW, EC, Tp). A unit's data length comes from
// the standard's description of that AFN and Fn (the table below); where it is not known here, the walk
// stops at that unit, which is still listed with its identifier, and the rest is kept as raw bytes.
//
// AUX (Q/GDW 1376.1-2013 5.3.6.6): downlink reset, set, control, file transfer and forwarding frames
// (AFN 01, 04, 05, 0F, 10) end with PW (16 bytes; 2 bytes in the predecessor Q/GDW 130-2005); an uplink
// frame with ACD = 1 carries EC (2 bytes); a frame with TpV = 1 ends with Tp (6 bytes).

/** Length of one (pn, Fn) unit's data at `at`; undefined: not known; the body ends at `limit`. */
type Len = number | ((b: Uint8Array, at: number, limit: number) => number | undefined);

const PW_AFNS = new Set<number>([AFN.reset, AFN.setParameters, AFN.control, AFN.fileTransfer, AFN.forward]);

export function pwBytes(frame: Pick<QgdwFrame, 'protocolId'>): number {
  return frame.protocolId === PROTOCOL_ID_2005 ? 2 : 16;
}

/** head bytes, the tariff count M at `mAt`, then (M + 1) groups of `each` bytes. */
const tariffs = (mAt: number, head: number, each: number): Len => (b, at) => (at + mAt < b.length ? head + (b[at + mAt]! + 1) * each : undefined);
/** a count byte (masked) at `countAt`, then count items of `each` bytes after `head` bytes. */
const counted = (countAt: number, head: number, each: number, mask = 0xff): Len => (b, at) => (at + countAt < b.length ? head + (b[at + countAt]! & mask) * each : undefined);
const counted16 = (head: number, each: number): Len => (b, at) => (at + 1 < b.length ? head + (b[at]! | (b[at + 1]! << 8)) * each : undefined);
const range = (from: number, to: number, len: Len): Record<number, Len> => Object.fromEntries(Array.from({ length: to - from + 1 }, (_, k) => [from + k, len]));

// AFN 0C (class 1, current data), uplink. Layouts of appendix A: A.15 5, A.14 5, A.11 4, A.23 3, A.17 4.
const CLASS1_UP: Record<number, Len> = {
  2: 6, // terminal calendar clock A.1
  3: 31, // terminal parameter state (248 flags)
  4: 1, // uplink communication state
  7: 2, // current event counters EC1 EC2
  8: 8, // event flags
  9: 2, // state input and change flags
  10: 8, // terminal-master communication traffic (day, month)
  25: 67,
  33: tariffs(5, 6, 17),
  34: tariffs(5, 6, 17),
  37: tariffs(5, 6, 17),
  38: tariffs(5, 6, 17),
  49: 12, // voltage and current phase angles, 6 x A.5
  153: 20,
  154: 17,
  155: 20,
  156: 17,
  157: 20,
  158: 17,
  159: 20,
  160: 17,
  162: 11, // meter clock: reading time A.15, meter clock A.1
};
for (const fn of [129, 131, 137, 139]) CLASS1_UP[fn] = tariffs(5, 6, 5);
for (const fn of [130, 132, 133, 134, 135, 136, 138, 140, 141, 142, 143, 144]) CLASS1_UP[fn] = tariffs(5, 6, 4);
for (let fn = 145; fn <= 152; fn++) CLASS1_UP[fn] = tariffs(5, 6, 7);

// AFN 0D (class 2, frozen data): the time label of each Fn group.
export type Class2Label = 'daily' | 'monthly' | 'curve';
const MONTHLY = new Set<number>([17, 18, 19, 20, 21, 22, 23, 24, 33, 34, 35, 36, 37, 38, 39, 44, 51, 52, 54, 60, 61, 62, 65, 66, 130, 157, 158, 159, 160, ...Array.from({ length: 8 }, (_, k) => 177 + k), 193, 194, 195, 196, 213, 214, 215, 216]);
const CURVE = new Set<number>([73, 74, 75, 76, ...Array.from({ length: 15 }, (_, k) => 81 + k), ...Array.from({ length: 14 }, (_, k) => 97 + k), 138, 145, 146, 147, 148, 217, 218]);

export function class2Label(fn: number): Class2Label {
  return CURVE.has(fn) ? 'curve' : MONTHLY.has(fn) ? 'monthly' : 'daily';
}
const LABEL_BYTES: Record<Class2Label, number> = { daily: 3, monthly: 2, curve: 7 };

/** Bytes per curve point. */
const CURVE_POINT: Record<number, number> = {
  73: 2, 74: 2, 75: 4, 76: 4,
  ...range(81, 88, 3), 89: 2, 90: 2, 91: 2, ...range(92, 95, 3),
  ...range(97, 104, 4), ...range(105, 108, 2), 138: 2, ...range(145, 148, 4),
};

function class2Up(fn: number): Len | undefined {
  const label = class2Label(fn);
  if (label === 'curve') {
    const point = CURVE_POINT[fn];
    return point === undefined ? undefined : (b, at) => (at + 6 < b.length ? 7 + b[at + 6]! * point : undefined);
  }
  const t = LABEL_BYTES[label];
  // Energy readings: label, reading time, M, (M + 1) values (A.14 active, A.11 reactive).
  if (fn >= 161 && fn <= 184) return tariffs(t + 5, t + 6, fn % 8 === 1 || fn % 8 === 3 ? 5 : 4);
  // Maximum demand and its time: label, reading time, M, (M + 1) x (A.23 + A.17).
  if (fn >= 185 && fn <= 196) return tariffs(t + 5, t + 6, 7);
  // Daily / monthly freezes of energies with quadrant reactive (F1, F2, F9, F10, F17, F18).
  if ([1, 2, 9, 10, 17, 18].includes(fn)) return tariffs(t + 5, t + 6, 17);
  // Per-day / per-month energy amounts, total and tariffs (A.13): label, M, values.
  if ((fn >= 5 && fn <= 8) || (fn >= 21 && fn <= 24)) return tariffs(t, t + 1, 4);
  return undefined;
}

// AFN 04 (set) downlink and AFN 0A (query) uplink: parameter data.
const PARAMETER: Record<number, Len> = {
  1: 6, 2: counted(0, 1, 2, 0x7f), 3: 28, 4: 16, 5: 3, 6: 16,
  7: (b, at) => {
    const m = b[at + 20];
    if (m === undefined) return undefined;
    const n = b[at + 21 + m];
    return n === undefined ? undefined : 24 + m + n;
  },
  8: 8, 9: 16, 10: counted16(2, 27), 11: counted(0, 1, 5), 12: 2, 13: counted(0, 1, 3), 15: counted(0, 1, 9), 16: 64, 17: 2, 18: 12, 19: 1, 20: 1, 21: 49, 22: counted(0, 1, 4), 23: 3,
  25: 11, 28: 4, 29: 12, 30: 1, 31: counted(0, 1, 6), 35: counted(0, 1, 2), 36: 4,
  42: 6, 43: 1, 44: 8, 45: 1, 46: 4, 47: 17, 48: 1, 49: 1, 57: 3, 58: 1, 59: 4, 60: 80, 61: 1,
  65: counted(8, 9, 4), 66: counted(8, 9, 4), 67: 1, 68: 1, 73: 48, 74: 10, 75: 16, 76: 1, 81: 4, 82: 4, 83: 1,
};

// AFN 0A downlink: most queries carry no data; these name the items wanted.
const QUERY: Record<number, Len> = { 10: counted16(2, 2), 11: counted(0, 1, 1), 13: counted(0, 1, 1), 14: counted(0, 1, 1), 15: counted(0, 1, 1), 33: counted(0, 1, 1), 34: counted(0, 1, 1) };

// AFN 05 (control) downlink.
const CONTROL: Record<number, Len> = {
  1: 1, 2: 0, 9: 2, 10: 0, 11: 0, 15: 0, 16: 0, 17: 0, 18: 0, 19: 0, 20: 0, 25: 1, 26: 0, 27: 0, 28: 0, 29: 0, 31: 6,
  32: counted(1, 2, 1), 33: 0, 34: 0, 35: 0, 36: 0, 37: 0, 38: 0, 39: 0, 49: 1, 50: 1, 51: 1, 52: 1, 53: 1,
};

/** AFN 09 F1: vendor 4, device number 8, software version 4, its date A.20, capacity code 11, protocol version 4, hardware version 4, its date A.20. */
export const CONFIG_F1_BYTES = 41;

function unitLength(frame: QgdwFrame, fn: number, b: Uint8Array, at: number, limit: number): number | undefined {
  const up = frame.control.up;
  let len: Len | undefined;
  switch (frame.afn) {
    case AFN.confirm:
      if (fn === 1 || fn === 2) len = 0;
      else if (fn === 3) len = limit - at; // confirmed AFN then (DA DT ERR) items to the end
      break;
    case AFN.reset:
    case AFN.linkCheck:
      len = 0;
      break;
    case AFN.setParameters:
      if (!up) len = PARAMETER[fn];
      break;
    case AFN.control:
      if (!up) len = CONTROL[fn];
      break;
    case AFN.config:
      len = up ? (fn === 1 ? CONFIG_F1_BYTES : undefined) : 0;
      break;
    case AFN.queryParameters:
      len = up ? PARAMETER[fn] : (QUERY[fn] ?? 0);
      break;
    case AFN.class1:
      len = up ? CLASS1_UP[fn] : 0;
      break;
    case AFN.class2:
      len = up ? class2Up(fn) : LABEL_BYTES[class2Label(fn)];
      break;
    case AFN.class3:
      if (fn === 1 || fn === 2) len = up ? limit - at : 2; // answer: EC1 EC2 Pm Pn records (Le-delimited) to the end
      break;
    case AFN.forward:
      if (fn === 1) len = up ? (b2: Uint8Array, a: number) => (a + 2 < b2.length ? 3 + (b2[a + 1]! | (b2[a + 2]! << 8)) : undefined) : (b2: Uint8Array, a: number) => (a + 5 < b2.length ? 6 + (b2[a + 4]! | (b2[a + 5]! << 8)) : undefined);
      break;
  }
  if (len === undefined) return undefined;
  const n = typeof len === 'number' ? len : len(b, at, limit);
  return n === undefined || n < 0 || at + n > limit ? undefined : n;
}

export interface DataUnitSpan extends DataUnitId {
  /** Offset of DA1 within the frame. */
  offset: number;
  /** The unit's data (every pn x Fn of the identifier, in that order); undefined when its length is not known. */
  data?: Uint8Array;
}

export interface Aux {
  pw?: Uint8Array;
  ec?: { important: number; normal: number };
  tp?: { pfc: number; sentAt: { second: number; minute: number; hour: number; day: number }; delayMinutes: number };
}

export interface UnitWalk {
  units: DataUnitSpan[];
  aux: Aux;
  /** Bytes after the last unit whose length is known (from the unit that stopped the walk to the AUX). */
  rest?: { offset: number; raw: Uint8Array; reason: string };
}

export function auxLength(frame: QgdwFrame): number {
  const pw = !frame.control.up && PW_AFNS.has(frame.afn) ? pwBytes(frame) : 0;
  return pw + (frame.control.up && frame.control.acd ? 2 : 0) + (frame.seq.tpv ? 6 : 0);
}

const bcd2 = (b: number) => (b >> 4) * 10 + (b & 0x0f);
const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** Lists the data units of any 1376.1 frame. Never throws; what it cannot size is kept as `rest`. */
export function walkDataUnits(frame: QgdwFrame): UnitWalk {
  const b = frame.body;
  const auxLen = auxLength(frame);
  const limit = Math.max(0, b.length - auxLen);
  const out: UnitWalk = { units: [], aux: {} };
  let p = 0;
  while (p < limit) {
    const id = readDataUnitId(b, p);
    if (!id.ok) {
      out.rest = { offset: frame.bodyOffset + p, raw: b.slice(p, limit), reason: id.error.message };
      break;
    }
    const unit: DataUnitSpan = { ...id.value, offset: frame.bodyOffset + p };
    out.units.push(unit);
    const start = p + 4;
    let q = start;
    const points = id.value.pn === 'all' ? 1 : Math.max(1, id.value.pn.length);
    let known = id.value.fn.length > 0;
    for (let k = 0; k < points && known; k++) {
      for (const fn of id.value.fn) {
        const n = unitLength(frame, fn, b, q, limit);
        if (n === undefined) {
          known = false;
          break;
        }
        q += n;
      }
    }
    if (!known) {
      out.rest = { offset: frame.bodyOffset + start, raw: b.slice(start, limit), reason: `AFN ${hex2(frame.afn)}H F${id.value.fn.join(',F')} ${frame.control.up ? 'uplink' : 'downlink'} data layout not known: the rest is kept raw` };
      break;
    }
    unit.data = b.slice(start, q);
    p = q;
  }
  let a = limit;
  if (!frame.control.up && PW_AFNS.has(frame.afn) && a + pwBytes(frame) <= b.length) {
    out.aux.pw = b.slice(a, a + pwBytes(frame));
    a += pwBytes(frame);
  }
  if (frame.control.up && frame.control.acd && a + 2 <= b.length) {
    out.aux.ec = { important: b[a]!, normal: b[a + 1]! };
    a += 2;
  }
  if (frame.seq.tpv && a + 6 <= b.length) {
    out.aux.tp = { pfc: b[a]!, sentAt: { second: bcd2(b[a + 1]!), minute: bcd2(b[a + 2]!), hour: bcd2(b[a + 3]!), day: bcd2(b[a + 4]!) }, delayMinutes: b[a + 5]! };
  }
  return out;
}
