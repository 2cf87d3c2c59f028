import { Unit } from '@gridstation/contracts';
import { time, type TimeFormat } from '../common/time';
import { bcd, type BcdFormat } from '../common/values';

// DL/T 645 data identifiers and the layout of their values. DL/T 645-2007 identifiers are four bytes
// DI3 DI2 DI1 DI0 (written here most significant first, e.g. 00010000 = forward active energy, total,
// current); DL/T 645-1997 identifiers are two bytes (e.g. 9010). The 2007 registry is built from the
// standard's grouping rules (DI3 = class, DI2 = quantity, DI1 = tariff or phase, DI0 = settlement or
// record number) so whole families are covered by one row.

/** `ascii`: text sent low byte first like every 645 value (the last character first on the wire). */
export type FieldFormat = BcdFormat | TimeFormat | { kind: 'hex'; bytes: number } | { kind: 'ascii'; bytes: number };

export interface FieldDef {
  name: string;
  format: FieldFormat;
  /** Quantity code (reading.proto vocabulary) when the field is a measurement. */
  quantity?: string;
  unit?: Unit;
}

export interface DataItemDef {
  /** Identifier as hex text, most significant byte first ("00010000", "9010"). */
  id: string;
  name: string;
  fields: FieldDef[];
  /** Blocks (DI1 = FF): the same field repeated, total first then tariffs 1..n, n from the length. */
  repeated?: FieldDef;
  /** Blocks of groups (demand blocks: value then time), repeated like `repeated`. */
  repeatedGroup?: FieldDef[];
  /** Load profile record blocks (06 xx xx xx): a layout of their own, decoded record by record. */
  loadRecords?: boolean;
  /** 0 = total, 1..63 = tariff, for energy and demand items. */
  tariff?: number;
  /** 0 = current, n = n-th previous settlement / freeze / record. */
  history?: number;
}

const ENERGY_KINDS: Record<number, { name: string; quantity: string; unit: Unit; signed: boolean }> = {
  0x00: { name: 'combined active energy', quantity: 'energy.active.combined', unit: Unit.UNIT_KWH, signed: true },
  0x01: { name: 'forward active energy', quantity: 'energy.active.import', unit: Unit.UNIT_KWH, signed: false },
  0x02: { name: 'reverse active energy', quantity: 'energy.active.export', unit: Unit.UNIT_KWH, signed: false },
  0x03: { name: 'combined reactive energy 1', quantity: 'energy.reactive.combined1', unit: Unit.UNIT_KVARH, signed: true },
  0x04: { name: 'combined reactive energy 2', quantity: 'energy.reactive.combined2', unit: Unit.UNIT_KVARH, signed: true },
  0x05: { name: 'quadrant I reactive energy', quantity: 'energy.reactive.q1', unit: Unit.UNIT_KVARH, signed: false },
  0x06: { name: 'quadrant II reactive energy', quantity: 'energy.reactive.q2', unit: Unit.UNIT_KVARH, signed: false },
  0x07: { name: 'quadrant III reactive energy', quantity: 'energy.reactive.q3', unit: Unit.UNIT_KVARH, signed: false },
  0x08: { name: 'quadrant IV reactive energy', quantity: 'energy.reactive.q4', unit: Unit.UNIT_KVARH, signed: false },
  0x09: { name: 'forward apparent energy', quantity: 'energy.apparent.import', unit: Unit.UNIT_KVAH, signed: false },
  0x0a: { name: 'reverse apparent energy', quantity: 'energy.apparent.export', unit: Unit.UNIT_KVAH, signed: false },
};

const DEMAND_KINDS: Record<number, { name: string; quantity: string; unit: Unit }> = {
  0x01: { name: 'forward active maximum demand', quantity: 'demand.active.import.max', unit: Unit.UNIT_KW },
  0x02: { name: 'reverse active maximum demand', quantity: 'demand.active.export.max', unit: Unit.UNIT_KW },
  0x03: { name: 'combined reactive 1 maximum demand', quantity: 'demand.reactive.combined1.max', unit: Unit.UNIT_KVAR },
  0x04: { name: 'combined reactive 2 maximum demand', quantity: 'demand.reactive.combined2.max', unit: Unit.UNIT_KVAR },
  0x09: { name: 'forward apparent maximum demand', quantity: 'demand.apparent.import.max', unit: Unit.UNIT_KVA },
  0x0a: { name: 'reverse apparent maximum demand', quantity: 'demand.apparent.export.max', unit: Unit.UNIT_KVA },
};

const PHASES = ['total', 'a', 'b', 'c'] as const;

/** Instantaneous variables 02 xx yy 00: DI2 = quantity, DI1 = phase (1..3, or 0 = total for powers). */
const VARIABLES: Record<number, { name: string; quantity: string; unit: Unit; format: BcdFormat; phases: readonly number[] }> = {
  0x01: { name: 'voltage', quantity: 'voltage', unit: Unit.UNIT_V, format: bcd(2, 1), phases: [1, 2, 3] },
  0x02: { name: 'current', quantity: 'current', unit: Unit.UNIT_A, format: bcd(3, 3, true), phases: [1, 2, 3] },
  0x03: { name: 'active power', quantity: 'power.active', unit: Unit.UNIT_KW, format: bcd(3, 4, true), phases: [0, 1, 2, 3] },
  0x04: { name: 'reactive power', quantity: 'power.reactive', unit: Unit.UNIT_KVAR, format: bcd(3, 4, true), phases: [0, 1, 2, 3] },
  0x05: { name: 'apparent power', quantity: 'power.apparent', unit: Unit.UNIT_KVA, format: bcd(3, 4, true), phases: [0, 1, 2, 3] },
  0x06: { name: 'power factor', quantity: 'power_factor', unit: Unit.UNIT_NONE, format: bcd(2, 3, true), phases: [0, 1, 2, 3] },
  0x07: { name: 'phase angle', quantity: 'phase_angle', unit: Unit.UNIT_DEGREE, format: bcd(2, 1), phases: [1, 2, 3] },
  0x08: { name: 'voltage waveform distortion', quantity: 'voltage_thd', unit: Unit.UNIT_PERCENT, format: bcd(2, 2), phases: [1, 2, 3] },
  0x09: { name: 'current waveform distortion', quantity: 'current_thd', unit: Unit.UNIT_PERCENT, format: bcd(2, 2), phases: [1, 2, 3] },
};

/** 02 80 00 xx: further instantaneous values. */
const VARIABLES_80: Record<number, FieldDef & { label: string }> = {
  0x01: { label: 'zero-line current', name: 'value', format: bcd(3, 3, true), quantity: 'current.n', unit: Unit.UNIT_A },
  0x02: { label: 'grid frequency', name: 'value', format: bcd(2, 2), quantity: 'frequency', unit: Unit.UNIT_HZ },
  0x03: { label: 'one-minute average total active power', name: 'value', format: bcd(3, 4, true), quantity: 'power.active.total.avg1m', unit: Unit.UNIT_KW },
  0x04: { label: 'current active demand', name: 'value', format: bcd(3, 4, true), quantity: 'demand.active', unit: Unit.UNIT_KW },
  0x05: { label: 'current reactive demand', name: 'value', format: bcd(3, 4, true), quantity: 'demand.reactive', unit: Unit.UNIT_KVAR },
  0x06: { label: 'current apparent demand', name: 'value', format: bcd(3, 4, true), quantity: 'demand.apparent', unit: Unit.UNIT_KVA },
  0x07: { label: 'meter temperature', name: 'value', format: bcd(2, 1, true), quantity: 'temperature.meter', unit: Unit.UNIT_CELSIUS },
  0x08: { label: 'clock battery voltage', name: 'value', format: bcd(2, 2), quantity: 'battery.clock.voltage', unit: Unit.UNIT_V },
  0x09: { label: 'meter-reading battery voltage', name: 'value', format: bcd(2, 2), quantity: 'battery.reading.voltage', unit: Unit.UNIT_V },
  0x0a: { label: 'internal battery working time', name: 'value', format: bcd(4, 0), quantity: 'battery.working_time', unit: Unit.UNIT_NONE },
  0x0b: { label: 'current step tariff price (yuan/kWh)', name: 'value', format: bcd(4, 4), quantity: 'prepayment.price.current', unit: Unit.UNIT_NONE },
};

const hex8 = (di: number) => (di >>> 0).toString(16).toUpperCase().padStart(8, '0');

function energy(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  const kind = ENERGY_KINDS[d2];
  if (!kind || d0 > 0x0c) return undefined;
  const field: FieldDef = { name: 'value', format: bcd(4, 2, kind.signed), quantity: kind.quantity, unit: kind.unit };
  const when = d0 === 0 ? 'current' : `settlement day -${d0}`;
  if (d1 === 0xff) return { id: hex8(di), name: `${kind.name}, total and tariffs, ${when}`, fields: [], repeated: field, history: d0 };
  if (d1 > 0x3f) return undefined;
  return { id: hex8(di), name: `${kind.name}, ${d1 === 0 ? 'total' : `tariff ${d1}`}, ${when}`, fields: [field], tariff: d1, history: d0 };
}

function demand(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  const kind = DEMAND_KINDS[d2];
  if (!kind || d0 > 0x0c || (d1 > 0x3f && d1 !== 0xff)) return undefined;
  const value: FieldDef = { name: 'value', format: bcd(3, 4), quantity: kind.quantity, unit: kind.unit };
  const at: FieldDef = { name: 'time', format: time('YYMMDDhhmm') };
  const when = d0 === 0 ? 'current' : `settlement day -${d0}`;
  if (d1 === 0xff) return { id: hex8(di), name: `${kind.name} and its time, total and tariffs, ${when}`, fields: [], repeatedGroup: [value, at], history: d0 };
  return { id: hex8(di), name: `${kind.name} and its time, ${d1 === 0 ? 'total' : `tariff ${d1}`}, ${when}`, fields: [value, at], tariff: d1, history: d0 };
}

function variable(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  if (d2 === 0x80 && d1 === 0x00) {
    const v = VARIABLES_80[d0];
    if (!v) return undefined;
    const { label, ...field } = v;
    return { id: hex8(di), name: label, fields: [field] };
  }
  const v = VARIABLES[d2];
  if (!v || d0 !== 0x00) return undefined;
  if (d1 === 0xff) {
    const fields = v.phases.map((p) => ({ name: PHASES[p]!, format: v.format, quantity: `${v.quantity}.${PHASES[p]!}`, unit: v.unit }));
    return { id: hex8(di), name: `${v.name}, all phases`, fields };
  }
  if (!v.phases.includes(d1)) return undefined;
  const phase = PHASES[d1]!;
  return { id: hex8(di), name: `${v.name}, ${phase === 'total' ? 'total' : `phase ${phase.toUpperCase()}`}`, fields: [{ name: 'value', format: v.format, quantity: `${v.quantity}.${phase}`, unit: v.unit }] };
}

/** 03 30 xx 00: counts of the programming / clearing / setting events (DI1). */
const OPERATION_EVENTS: Record<number, { name: string; key: string }> = {
  0x00: { name: 'programming', key: 'programming' },
  0x01: { name: 'meter clear', key: 'meter_clear' },
  0x02: { name: 'demand clear', key: 'demand_clear' },
  0x03: { name: 'event clear', key: 'event_clear' },
  0x04: { name: 'time set', key: 'time_set' },
  0x05: { name: 'daily schedule programming', key: 'schedule_programming' },
  0x06: { name: 'time zone programming', key: 'zone_programming' },
  0x07: { name: 'weekly rest day programming', key: 'rest_day_programming' },
  0x08: { name: 'holiday programming', key: 'holiday_programming' },
  0x09: { name: 'active combination programming', key: 'active_combination_programming' },
  0x0c: { name: 'settlement day programming', key: 'settlement_day_programming' },
  0x0d: { name: 'meter cover open', key: 'cover_open' },
  0x0e: { name: 'terminal cover open', key: 'terminal_cover_open' },
};

/** DI3 10..1C: the phase events of DL/T 645-2007 (per phase p = 1..3; 0 = all phases for the totals). */
const PHASE_EVENTS: Record<number, { name: string; key: string }> = {
  0x10: { name: 'voltage loss', key: 'voltage_loss' },
  0x11: { name: 'undervoltage', key: 'undervoltage' },
  0x12: { name: 'overvoltage', key: 'overvoltage' },
  0x13: { name: 'phase break', key: 'phase_break' },
  0x18: { name: 'current loss', key: 'current_loss' },
  0x19: { name: 'overcurrent', key: 'overcurrent' },
  0x1a: { name: 'current break', key: 'current_break' },
  0x1b: { name: 'power reversal', key: 'power_reversal' },
  0x1c: { name: 'overload', key: 'overload' },
};

const count = (name: string, quantity: string): FieldDef => ({ name, format: bcd(3, 0), quantity, unit: Unit.UNIT_NONE });
const TS = (name: string): FieldDef => ({ name, format: time('YYMMDDhhmmss') });
const KWH = (name: string, quantity?: string): FieldDef => ({ name, format: bcd(4, 2), ...(quantity ? { quantity, unit: Unit.UNIT_KWH } : {}) });
const KVARH = (name: string): FieldDef => ({ name, format: bcd(4, 2) });

function eventRecord(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  // 03 11 00 00: number of power-down events; 03 11 00 nn: the nn-th last power-down (start, end).
  if (d2 === 0x11 && d1 === 0x00) {
    if (d0 === 0) return { id: hex8(di), name: 'power-down events, total count', fields: [count('count', 'events.power_down.count')] };
    if (d0 > 0x0a) return undefined;
    return { id: hex8(di), name: `power-down record -${d0} (start and end time)`, fields: [TS('start'), TS('end')], history: d0 };
  }
  if (d2 !== 0x30) return undefined;
  const op = OPERATION_EVENTS[d1];
  if (!op) return undefined;
  if (d0 === 0) return { id: hex8(di), name: `${op.name} events, total count`, fields: [count('count', `events.${op.key}.count`)] };
  if (d0 > 0x0a) return undefined;
  switch (d1) {
    case 0x00: // programming: time, operator code, the ten identifiers programmed
      return { id: hex8(di), name: `programming record -${d0}`, fields: [TS('time'), { name: 'operator', format: { kind: 'hex', bytes: 4 } }, ...Array.from({ length: 10 }, (_, k): FieldDef => ({ name: `di${k + 1}`, format: { kind: 'hex', bytes: 4 } }))], history: d0 };
    case 0x04: // time set: operator code, time before, time after
      return { id: hex8(di), name: `time set record -${d0}`, fields: [{ name: 'operator', format: { kind: 'hex', bytes: 4 } }, TS('before'), TS('after')], history: d0 };
    case 0x0d:
    case 0x0e: {
      // cover open: start, end, then six energies before and six after (forward/reverse active, quadrant I-IV reactive)
      const six = (when: string) => [KWH(`forward active energy ${when}`), KWH(`reverse active energy ${when}`), KVARH(`quadrant I reactive energy ${when}`), KVARH(`quadrant II reactive energy ${when}`), KVARH(`quadrant III reactive energy ${when}`), KVARH(`quadrant IV reactive energy ${when}`)];
      return { id: hex8(di), name: `${op.name} record -${d0}`, fields: [TS('start'), TS('end'), ...six('before'), ...six('after')], history: d0 };
    }
    default:
      return undefined;
  }
}

function phaseEvent(di: number, d3: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  const ev = PHASE_EVENTS[d3];
  if (!ev || d2 > 3) return undefined;
  const phase = d2 === 0 ? 'all phases' : `phase ${PHASES[d2]!.toUpperCase()}`;
  const q = d2 === 0 ? ev.key : `${ev.key}.${PHASES[d2]!}`;
  if (d1 === 0x00 && d0 === 0x01) return { id: hex8(di), name: `${ev.name}, ${phase}: total count`, fields: [count('count', `events.${q}.count`)] };
  if (d1 === 0x00 && d0 === 0x02) return { id: hex8(di), name: `${ev.name}, ${phase}: accumulated time (minutes)`, fields: [count('minutes', `events.${q}.minutes`)] };
  if (d2 === 0 || d0 === 0 || d0 > 0x0a) return undefined;
  if (d1 === 0x01) return { id: hex8(di), name: `${ev.name}, ${phase}: start of record -${d0}`, fields: [TS('start')], history: d0 };
  if (d1 === 0x25) return { id: hex8(di), name: `${ev.name}, ${phase}: end of record -${d0}`, fields: [TS('end')], history: d0 };
  return undefined;
}

function parameter(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  if (d2 !== 0x00) return undefined;
  if (d1 === 0x01 && d0 === 0x01) return { id: hex8(di), name: 'date and day of week', fields: [{ name: 'date', format: time('YYMMDDWW') }] };
  if (d1 === 0x01 && d0 === 0x02) return { id: hex8(di), name: 'time', fields: [{ name: 'time', format: time('hhmmss') }] };
  if (d1 === 0x04 && d0 === 0x01) return { id: hex8(di), name: 'communication address', fields: [{ name: 'address', format: { kind: 'hex', bytes: 6 } }] };
  if (d1 === 0x04 && d0 === 0x02) return { id: hex8(di), name: 'meter number', fields: [{ name: 'number', format: { kind: 'hex', bytes: 6 } }] };
  if (d1 === 0x05 && d0 >= 0x01 && d0 <= 0x07) return { id: hex8(di), name: `meter running status word ${d0}`, fields: [{ name: 'status', format: { kind: 'hex', bytes: 2 } }] };
  if (d1 === 0x05 && d0 === 0xff) {
    return { id: hex8(di), name: 'meter running status words 1-7', fields: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ name: `status${n}`, format: { kind: 'hex', bytes: 2 } as const })) };
  }
  const c = CONSTANTS[(d1 << 8) | d0];
  return c ? { id: hex8(di), name: c.name, fields: [{ name: c.field ?? 'value', format: c.format, ...(c.quantity ? { quantity: c.quantity, unit: c.unit ?? Unit.UNIT_NONE } : {}) }] } : undefined;
}

/** 04 00 xx yy: meter constants, nameplate and prepayment limits (DI1 DI0). */
const CONSTANTS: Record<number, { name: string; format: FieldFormat; quantity?: string; unit?: Unit; field?: string }> = {
  0x0103: { name: 'maximum demand period (minutes)', format: bcd(1, 0) },
  0x0104: { name: 'demand slip time (minutes)', format: bcd(1, 0) },
  0x0201: { name: 'number of annual time zones', format: bcd(1, 0) },
  0x0202: { name: 'number of daily schedules', format: bcd(1, 0) },
  0x0203: { name: 'number of daily periods', format: bcd(1, 0) },
  0x0204: { name: 'number of tariffs', format: bcd(1, 0) },
  0x0205: { name: 'number of public holidays', format: bcd(2, 0) },
  0x0403: { name: 'asset number', format: { kind: 'ascii', bytes: 32 } },
  0x0404: { name: 'rated voltage', format: { kind: 'ascii', bytes: 6 } },
  0x0405: { name: 'rated current', format: { kind: 'ascii', bytes: 6 } },
  0x0406: { name: 'maximum current', format: { kind: 'ascii', bytes: 6 } },
  0x0407: { name: 'active accuracy class', format: { kind: 'ascii', bytes: 4 } },
  0x0408: { name: 'reactive accuracy class', format: { kind: 'ascii', bytes: 4 } },
  0x0409: { name: 'active pulse constant (imp/kWh)', format: bcd(3, 0), quantity: 'meter.constant.active' },
  0x040a: { name: 'reactive pulse constant (imp/kvarh)', format: bcd(3, 0), quantity: 'meter.constant.reactive' },
  0x040b: { name: 'meter model', format: { kind: 'ascii', bytes: 10 } },
  0x040c: { name: 'production date', format: { kind: 'ascii', bytes: 10 } },
  0x040d: { name: 'protocol version', format: { kind: 'ascii', bytes: 16 } },
  0x1001: { name: 'alarm money limit 1 (yuan)', format: bcd(4, 2) },
  0x1002: { name: 'alarm money limit 2 (yuan)', format: bcd(4, 2) },
  0x1003: { name: 'overdraft money limit (yuan)', format: bcd(4, 2) },
  0x1004: { name: 'hoarding money limit (yuan)', format: bcd(4, 2) },
  0x1005: { name: 'closing allowed money limit (yuan)', format: bcd(4, 2) },
};

/** 00 90 0x yy: prepayment balances (remaining / overdraft energy and money). */
function prepayment(di: number, d1: number, d0: number): DataItemDef | undefined {
  const items: Record<number, { name: string; quantity: string; unit: Unit }> = {
    0x0100: { name: 'remaining energy (prepayment)', quantity: 'prepayment.energy.remaining', unit: Unit.UNIT_KWH },
    0x0101: { name: 'overdraft energy (prepayment)', quantity: 'prepayment.energy.overdraft', unit: Unit.UNIT_KWH },
    0x0200: { name: 'remaining money (prepayment, yuan)', quantity: 'prepayment.money.remaining', unit: Unit.UNIT_NONE },
    0x0201: { name: 'overdraft money (prepayment, yuan)', quantity: 'prepayment.money.overdraft', unit: Unit.UNIT_NONE },
  };
  const it = items[(d1 << 8) | d0];
  return it ? { id: hex8(di), name: it.name, fields: [{ name: 'value', format: bcd(4, 2), quantity: it.quantity, unit: it.unit }] } : undefined;
}

/**
 * 06 00 00 00 / 01 / 02: the earliest, a given time's, the latest load profile records (all classes);
 * 06 0c 00 0x (c = 1..6): the same for one class. A record: A0H A0H, its length, its time YYMMDDhhmm,
 * then six class blocks each ended by AAH (empty when the class is not recorded), a sum, E5H.
 */
function loadProfile(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  if (d2 > 6 || d1 !== 0 || d0 > 2) return undefined;
  const which = ['earliest', 'given time', 'latest'][d0]!;
  return { id: hex8(di), name: `load profile record, ${d2 === 0 ? 'all classes' : `class ${d2}`}, ${which}`, fields: [], loadRecords: true };
}

function frozen(di: number, d2: number, d1: number, d0: number): DataItemDef | undefined {
  // 05 00 xx nn: timed freeze; 05 06 xx nn: daily freeze. xx = 00 freeze time, 01 forward active energy
  // block, 02 reverse active energy block. nn = 1..60 (timed) or 1..62 (daily) freezes back.
  if ((d2 !== 0x00 && d2 !== 0x06) || d0 === 0 || d0 > 0x3e) return undefined;
  const which = d2 === 0x06 ? 'daily freeze' : 'timed freeze';
  if (d1 === 0x00) return { id: hex8(di), name: `${which} -${d0}: freeze time`, fields: [{ name: 'time', format: time('YYMMDDhhmm') }], history: d0 };
  const kind = d1 === 0x01 ? ENERGY_KINDS[0x01]! : d1 === 0x02 ? ENERGY_KINDS[0x02]! : undefined;
  if (!kind) return undefined;
  return {
    id: hex8(di),
    name: `${which} -${d0}: ${kind.name}, total and tariffs`,
    fields: [],
    repeated: { name: 'value', format: bcd(4, 2), quantity: kind.quantity, unit: kind.unit },
    history: d0,
  };
}

const cache2007 = new Map<number, DataItemDef | null>();

/** Looks up a DL/T 645-2007 data identifier (DI3 first). Definitions are built once and shared. */
export function lookup2007(di: number): DataItemDef | undefined {
  let def = cache2007.get(di);
  if (def === undefined) {
    def = build2007(di) ?? null;
    if (cache2007.size < 65_536) cache2007.set(di, def);
  }
  return def ?? undefined;
}

function build2007(di: number): DataItemDef | undefined {
  const d3 = (di >>> 24) & 0xff;
  const d2 = (di >>> 16) & 0xff;
  const d1 = (di >>> 8) & 0xff;
  const d0 = di & 0xff;
  if (d3 >= 0x10 && d3 <= 0x1c) return phaseEvent(di, d3, d2, d1, d0);
  switch (d3) {
    case 0x00:
      return d2 === 0x90 ? prepayment(di, d1, d0) : energy(di, d2, d1, d0);
    case 0x01:
      return demand(di, d2, d1, d0);
    case 0x02:
      return variable(di, d2, d1, d0);
    case 0x03:
      return eventRecord(di, d2, d1, d0);
    case 0x04:
      return parameter(di, d2, d1, d0);
    case 0x05:
      return frozen(di, d2, d1, d0);
    case 0x06:
      return loadProfile(di, d2, d1, d0);
    default:
      return undefined;
  }
}

// DL/T 645-1997: two-byte identifiers. 9xxx energy, Axxx/Bxxx demand, B6xx variables, C0xx parameters.
const LEGACY: Record<number, DataItemDef> = {};
function legacy(id: number, name: string, fields: FieldDef[], repeated?: FieldDef, tariff?: number): void {
  LEGACY[id] = { id: id.toString(16).toUpperCase().padStart(4, '0'), name, fields, ...(repeated ? { repeated } : {}), ...(tariff === undefined ? {} : { tariff }) };
}
const LEGACY_ENERGY: Array<[number, (typeof ENERGY_KINDS)[number]]> = [
  [0x901, ENERGY_KINDS[0x01]!],
  [0x902, ENERGY_KINDS[0x02]!],
];
for (const [prefix, kind] of LEGACY_ENERGY) {
  const field: FieldDef = { name: 'value', format: bcd(4, 2), quantity: kind.quantity, unit: kind.unit };
  legacy((prefix << 4) | 0x0, `${kind.name}, total`, [field], undefined, 0);
  for (let t = 1; t <= 4; t++) legacy((prefix << 4) | t, `${kind.name}, tariff ${t}`, [field], undefined, t);
  legacy((prefix << 4) | 0xf, `${kind.name}, total and tariffs`, [], field);
}
legacy(0x9110, 'forward reactive energy, total', [{ name: 'value', format: bcd(4, 2), quantity: 'energy.reactive.import', unit: Unit.UNIT_KVARH }], undefined, 0);
legacy(0x9120, 'reverse reactive energy, total', [{ name: 'value', format: bcd(4, 2), quantity: 'energy.reactive.export', unit: Unit.UNIT_KVARH }], undefined, 0);
for (let p = 1; p <= 3; p++) {
  const ph = PHASES[p]!;
  legacy(0xb610 + p, `voltage, phase ${ph.toUpperCase()}`, [{ name: 'value', format: bcd(2, 0), quantity: `voltage.${ph}`, unit: Unit.UNIT_V }]);
  legacy(0xb620 + p, `current, phase ${ph.toUpperCase()}`, [{ name: 'value', format: bcd(2, 2), quantity: `current.${ph}`, unit: Unit.UNIT_A }]);
}
legacy(0xb630, 'active power, total', [{ name: 'value', format: bcd(3, 4), quantity: 'power.active.total', unit: Unit.UNIT_KW }]);
legacy(0xb640, 'reactive power, total', [{ name: 'value', format: bcd(2, 2), quantity: 'power.reactive.total', unit: Unit.UNIT_KVAR }]);
legacy(0xb650, 'power factor, total', [{ name: 'value', format: bcd(2, 3), quantity: 'power_factor.total', unit: Unit.UNIT_NONE }]);
legacy(0xc010, 'date and day of week', [{ name: 'date', format: time('YYMMDDWW') }]);
legacy(0xc011, 'time', [{ name: 'time', format: time('hhmmss') }]);
legacy(0xc032, 'communication address', [{ name: 'address', format: { kind: 'hex', bytes: 6 } }]);

export function lookup1997(di: number): DataItemDef | undefined {
  return LEGACY[di];
}

export function fieldBytes(f: FieldFormat): number {
  return f.bytes;
}
