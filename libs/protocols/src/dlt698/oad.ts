import { Unit } from '@gridstation/contracts';
import type { Data, DateTime, Oad } from './data';

// The objects a master station reads from DL/T 698.45 meters and terminals, by OI, with the scaler
// and unit of attribute 2 (the value) and the station's quantity code. Energy (0000-0080) and
// demand (1010-1040) are per tariff (index 1 total, 2.. tariffs); variables (2000-2006, 200A) per
// phase (index 1.. A, B, C; powers and power factor: 1 total then A, B, C). Power is W and var in the
// meter (scaler -1); the station stores kW and kvar.

export type OadLayout = 'tariffs' | 'phases' | 'totalAndPhases' | 'single';

export interface OiDef {
  oi: number;
  name: string;
  quantity: string;
  /** Station unit and the factor from the meter's scaled value to it. */
  unit: Unit;
  scaler: number;
  /** The meter's value is in W/var/VA: divided by 1000 for the station's kW/kvar/kVA. */
  kilo?: boolean;
  layout: OadLayout;
}

const energy = (oi: number, name: string, quantity: string, unit: Unit): OiDef => ({ oi, name, quantity, unit, scaler: -2, layout: 'tariffs' });

export const OI_REGISTRY: ReadonlyMap<number, OiDef> = new Map(
  ([
    energy(0x0000, 'combined active energy', 'energy.active.combined', Unit.UNIT_KWH),
    energy(0x0010, 'forward active energy', 'energy.active.import', Unit.UNIT_KWH),
    energy(0x0020, 'reverse active energy', 'energy.active.export', Unit.UNIT_KWH),
    energy(0x0030, 'combined reactive energy 1', 'energy.reactive.combined1', Unit.UNIT_KVARH),
    energy(0x0040, 'combined reactive energy 2', 'energy.reactive.combined2', Unit.UNIT_KVARH),
    energy(0x0050, 'first quadrant reactive energy', 'energy.reactive.q1', Unit.UNIT_KVARH),
    energy(0x0060, 'second quadrant reactive energy', 'energy.reactive.q2', Unit.UNIT_KVARH),
    energy(0x0070, 'third quadrant reactive energy', 'energy.reactive.q3', Unit.UNIT_KVARH),
    energy(0x0080, 'fourth quadrant reactive energy', 'energy.reactive.q4', Unit.UNIT_KVARH),
    { oi: 0x1010, name: 'forward active maximum demand', quantity: 'demand.active.import.max', unit: Unit.UNIT_KW, scaler: -4, layout: 'tariffs' },
    { oi: 0x1020, name: 'reverse active maximum demand', quantity: 'demand.active.export.max', unit: Unit.UNIT_KW, scaler: -4, layout: 'tariffs' },
    { oi: 0x2000, name: 'voltage', quantity: 'voltage', unit: Unit.UNIT_V, scaler: -1, layout: 'phases' },
    { oi: 0x2001, name: 'current', quantity: 'current', unit: Unit.UNIT_A, scaler: -3, layout: 'phases' },
    { oi: 0x2002, name: 'voltage phase angle', quantity: 'angle.voltage', unit: Unit.UNIT_DEGREE, scaler: -1, layout: 'phases' },
    { oi: 0x2003, name: 'voltage-current phase angle', quantity: 'angle.voltage_current', unit: Unit.UNIT_DEGREE, scaler: -1, layout: 'phases' },
    { oi: 0x2004, name: 'active power', quantity: 'power.active', unit: Unit.UNIT_KW, scaler: -1, kilo: true, layout: 'totalAndPhases' },
    { oi: 0x2005, name: 'reactive power', quantity: 'power.reactive', unit: Unit.UNIT_KVAR, scaler: -1, kilo: true, layout: 'totalAndPhases' },
    { oi: 0x2006, name: 'apparent power', quantity: 'power.apparent', unit: Unit.UNIT_KVA, scaler: -1, kilo: true, layout: 'totalAndPhases' },
    { oi: 0x200a, name: 'power factor', quantity: 'power_factor', unit: Unit.UNIT_NONE, scaler: -3, layout: 'totalAndPhases' },
    { oi: 0x200f, name: 'grid frequency', quantity: 'frequency', unit: Unit.UNIT_HZ, scaler: -2, layout: 'single' },
  ] satisfies OiDef[]).map((d): [number, OiDef] => [d.oi, d]),
);

/** Objects that are not measured values (recognised for printing). */
export const OI_NAMES: ReadonlyMap<number, string> = new Map([
  ...[...OI_REGISTRY.values()].map((d) => [d.oi, d.name] as const),
  [0x2021, 'data freeze time'],
  [0x2023, 'freeze record number'],
  [0x201e, 'event occurrence time'],
  [0x2020, 'event end time'],
  [0x2022, 'event record number'],
  [0x3011, 'power down event'],
  [0x3100, 'terminal initialisation event'],
  [0x3105, 'meter clock abnormal event'],
  [0x3106, 'terminal power down/up event'],
  [0x4000, 'date and time'],
  [0x4001, 'communication address'],
  [0x4002, 'meter number'],
  [0x202a, 'target server address'],
  [0x6012, 'task configuration table'],
  [0x6040, 'collection start time'],
  [0x6041, 'collection success time'],
  [0x6042, 'collection storage time'],
  [0x5002, 'minute freeze'],
  [0x5003, 'hour freeze'],
  [0x5004, 'daily freeze'],
  [0x5005, 'settlement day freeze'],
  [0x5006, 'monthly freeze'],
  [0xf101, 'security mode parameters'],
]);

export const EVENT_POWER_DOWN_OIS = new Set([0x3011, 0x3106]);

export interface ScaledValue {
  quantity: string;
  tariff: number;
  unit: Unit;
  value: number | null;
}

const PHASES = ['a', 'b', 'c'];

const NUMERIC = new Set<Data['type']>(['doubleLong', 'doubleLongUnsigned', 'integer', 'long', 'unsigned', 'longUnsigned', 'float32', 'float64']);

function numberOf(d: Data | undefined): number | null {
  if (!d) return null;
  if (NUMERIC.has(d.type)) return (d as { value: number }).value;
  if (d.type === 'long64' || d.type === 'long64Unsigned') return Number(d.value);
  // A demand: { value, time }.
  if (d.type === 'structure') return numberOf(d.items[0]);
  return null;
}

/**
 * The station values in an OAD's Data (attribute 2 of a registered OI): one per tariff or phase,
 * scaled. `undefined` for objects the registry does not know (the caller reports them unsupported).
 */
export function valuesOf(oad: Oad, data: Data): ScaledValue[] | undefined {
  const def = OI_REGISTRY.get(oad.oi);
  if (!def || (oad.attribute !== 2 && !(def.layout === 'tariffs' && oad.attribute === 4))) return undefined;
  const factor = oad.attribute === 4 ? FACTOR_HIGH.get(def.oi)! : FACTOR.get(def.oi)!;
  const items = data.type === 'array' ? data.items : [data];
  const first = oad.index === 0 ? 1 : oad.index;
  const out: ScaledValue[] = [];
  for (let k = 0; k < items.length; k++) {
    const d = items[k]!;
    if (d.type === 'null') continue;
    const i = first + k; // element number, from 1
    const n = numberOf(d);
    const value = n === null ? null : Math.round(n * factor * 1e9) / 1e9;
    switch (def.layout) {
      case 'tariffs':
        out.push({ quantity: def.quantity, tariff: i - 1, unit: def.unit, value });
        break;
      case 'phases':
        if (i <= 3) out.push({ quantity: PHASE_QUANTITY.get(def.oi)![i - 1]!, tariff: 0, unit: def.unit, value });
        break;
      case 'totalAndPhases':
        if (i <= 4) out.push({ quantity: PHASE_QUANTITY.get(def.oi)![i - 1]!, tariff: 0, unit: def.unit, value });
        break;
      case 'single':
        out.push({ quantity: def.quantity, tariff: 0, unit: def.unit, value });
        break;
    }
  }
  return out;
}

// Per OI, computed once: the factor from the meter's integer to the station's unit (attribute 2, and
// attribute 4, the high-precision energy with two more decimals), and the quantity of each element.
const FACTOR = new Map([...OI_REGISTRY.values()].map((d) => [d.oi, 10 ** d.scaler / (d.kilo ? 1000 : 1)]));
const FACTOR_HIGH = new Map([...OI_REGISTRY.values()].map((d) => [d.oi, 10 ** (d.scaler - 2) / (d.kilo ? 1000 : 1)]));
const PHASE_QUANTITY = new Map(
  [...OI_REGISTRY.values()].map((d) => [d.oi, d.layout === 'totalAndPhases' ? ['total', ...PHASES].map((p) => `${d.quantity}.${p}`) : PHASES.map((p) => `${d.quantity}.${p}`)]),
);

/** Milliseconds since the epoch of a device time at `tzOffsetMinutes` east of UTC. */
export function dateTimeToEpochMs(t: DateTime, tzOffsetMinutes: number): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.milliseconds ?? 0) - tzOffsetMinutes * 60_000;
}

export function epochMsToDateTime(ms: number, tzOffsetMinutes: number, withMs = true): DateTime {
  const d = new Date(ms + tzOffsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), week: d.getUTCDay(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ...(withMs ? { milliseconds: d.getUTCMilliseconds() } : {}) };
}
