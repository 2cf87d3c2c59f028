import {
  DeviceKind,
  EventType,
  QualityFlag,
  Unit,
  type DeviceEvent,
  type FrameRef,
  type Reading,
} from '@gridstation/contracts';
import { fail, ok, type Result } from './common/errors';
import { deviceTimeToEpochMs, type DeviceTime } from './common/values';
import { decodeDlt645Frame, interpretDlt645, type Dlt645Frame, type Dlt645Payload } from './dlt645/frame';
import { decodeClass1 } from './qgdw1376/class-data';
import { decodeEvents, type EventRecord } from './qgdw1376/events';
import { decodeForwardResponse } from './qgdw1376/forward';
import { decodeQgdwFrame, terminalKey, type QgdwFrame } from './qgdw1376/frame';
import { decodeClass2 } from './qgdw1376/frozen-data';
import { AFN, decodeLinkCheck } from './qgdw1376/link';
import { decodeApdu, unwrapSecurity, type Apdu, type ResultNormal, type ResultRecord } from './dlt698/apdu';
import type { Data, DateTime as Dlt698Time, Oad } from './dlt698/data';
import { decodeDlt698Frame } from './dlt698/frame';
import { dateTimeToEpochMs, EVENT_POWER_DOWN_OIS, valuesOf } from './dlt698/oad';

// Decoded frames -> the station's contracts. Every value becomes a Reading (a value the device marked
// as missing is kept, NaN with QUALITY_FLAG_DEVICE_INVALID), every event record a DeviceEvent, and
// whatever is recognised but not yet supported is returned with its bytes. Nothing is dropped silently.
// Conventions: power factor is a ratio (1376.1 sends percent), device clocks are read in the configured
// zone, a daily freeze is dated 00:00 of its day, a monthly freeze 00:00 of the month's first day.

export interface NormalizeContext {
  receivedAtMs: number;
  /** Minutes east of UTC of the devices' clocks (480 for China Standard Time). */
  tzOffsetMinutes: number;
  source: FrameRef;
  /** The meter behind a terminal's measurement point, from the archive; undefined when unknown. */
  meterOf?: (terminal: string, pn: number) => string | undefined;
}

/** What kind of part was not decoded: a bounded set (fit for a metric label, unlike `what`). */
export type UnsupportedKind = 'qgdw-erc' | 'qgdw-afn0c' | 'qgdw-afn0d' | 'qgdw-afn' | 'dlt645-item' | 'dlt645-forwarded' | 'dlt698-oad' | 'dlt698-apdu';

export interface UnsupportedPart {
  kind: UnsupportedKind;
  /** Which part exactly (an ERC, a DI, an Fn): for logs and dead letters, not for labels. */
  what: string;
  reason: string;
  raw: Uint8Array;
}

export interface Normalized {
  /** "A1-A2" for 1376.1, the meter address for DL/T 645, the server address (SA) for DL/T 698.45. */
  device: string;
  readings: Reading[];
  events: DeviceEvent[];
  unsupported: UnsupportedPart[];
  /** Link-level facts the communication service acts on. */
  link?: 'login' | 'logout' | 'heartbeat';
}

const INVALID = QualityFlag.QUALITY_FLAG_DEVICE_INVALID;

function reading(
  ctx: NormalizeContext,
  meterId: string,
  terminal: string,
  pn: number,
  quantity: string,
  unit: Unit,
  value: number | null,
  dataTimeMs: number,
  tariff = 0,
): Reading {
  let v = value;
  let u = unit;
  if (v !== null && unit === Unit.UNIT_PERCENT && quantity.startsWith('power_factor')) {
    v = v / 100;
    u = Unit.UNIT_NONE;
  } else if (unit === Unit.UNIT_PERCENT && quantity.startsWith('power_factor')) {
    u = Unit.UNIT_NONE;
  }
  return {
    meterId,
    terminalAddress: terminal,
    measurementPoint: pn,
    quantity,
    tariff,
    unit: u,
    value: v ?? Number.NaN,
    dataTimeMs,
    receivedAtMs: ctx.receivedAtMs,
    quality: v === null ? INVALID : 0,
    source: ctx.source,
  };
}

function event(
  ctx: NormalizeContext,
  deviceId: string,
  kind: DeviceKind,
  type: EventType,
  code: string,
  occurredAtMs: number,
  terminal: string,
  extra: Partial<DeviceEvent> = {},
): DeviceEvent {
  return {
    eventId: `${deviceId}|${code}|${type}|${occurredAtMs}`,
    deviceId,
    deviceKind: kind,
    type,
    code,
    occurredAtMs,
    endedAtMs: 0,
    receivedAtMs: ctx.receivedAtMs,
    terminalAddress: terminal,
    measurementPoint: 0,
    attributes: {},
    raw: Buffer.alloc(0),
    source: ctx.source,
    ...extra,
  };
}

const ms = (ctx: NormalizeContext, t: DeviceTime | null | undefined, fallback = ctx.receivedAtMs) => (t ? deviceTimeToEpochMs(t, ctx.tzOffsetMinutes) : fallback);
const phaseText = (p: { a: boolean; b: boolean; c: boolean }) => [p.a ? 'A' : '', p.b ? 'B' : '', p.c ? 'C' : ''].filter(Boolean).join(',');

function eventsOf(ctx: NormalizeContext, terminal: string, rec: EventRecord): { events: DeviceEvent[]; unsupported?: UnsupportedPart } {
  const T = DeviceKind.DEVICE_KIND_TERMINAL;
  switch (rec.erc) {
    case 14: {
      if (!('powerOffAt' in rec)) break;
      const out: DeviceEvent[] = [];
      const attributes: Record<string, string> = rec.attributes ? { normal: String(rec.attributes.normal), valid: String(rec.attributes.valid) } : {};
      if (rec.powerOffAt) {
        out.push(event(ctx, terminal, T, EventType.EVENT_TYPE_TERMINAL_POWER_OFF, 'ERC14', ms(ctx, rec.powerOffAt), terminal, { endedAtMs: rec.powerOnAt ? ms(ctx, rec.powerOnAt) : 0, attributes }));
      }
      if (rec.powerOnAt) out.push(event(ctx, terminal, T, EventType.EVENT_TYPE_TERMINAL_POWER_ON, 'ERC14', ms(ctx, rec.powerOnAt), terminal, { attributes }));
      return { events: out };
    }
    case 9:
    case 10:
    case 24:
    case 25: {
      if (!('phases' in rec)) break;
      const type =
        rec.erc === 10 ? EventType.EVENT_TYPE_PHASE_LOSS : rec.erc === 24 ? EventType.EVENT_TYPE_VOLTAGE_ANOMALY : EventType.EVENT_TYPE_CURRENT_ANOMALY;
      const meter = ctx.meterOf?.(terminal, rec.pn);
      const attributes: Record<string, string> = { state: rec.starts ? 'start' : 'end', phases: phaseText(rec.phases), kind: rec.kind };
      if ('voltages' in rec) rec.voltages.forEach((v, i) => v !== null && (attributes[`u_${'abc'[i]}`] = String(v)));
      if ('currents' in rec) rec.currents.forEach((v, i) => v !== null && (attributes[`i_${'abc'[i]}`] = String(v)));
      const device = meter ?? terminal;
      const kind = meter ? DeviceKind.DEVICE_KIND_METER : T;
      return { events: [event(ctx, device, kind, type, `ERC${rec.erc}`, ms(ctx, rec.at), terminal, { measurementPoint: rec.pn, attributes })] };
    }
  }
  if ('described' in rec) {
    const meter = rec.pn ? ctx.meterOf?.(terminal, rec.pn) : undefined;
    const attributes: Record<string, string> = { name: rec.name };
    for (const [k, v] of Object.entries(rec.details)) if (v !== null) attributes[k] = String(v);
    if (rec.starts !== undefined) attributes['state'] = rec.starts ? 'start' : 'end';
    return { events: [event(ctx, meter ?? terminal, meter ? DeviceKind.DEVICE_KIND_METER : T, EventType.EVENT_TYPE_OTHER, `ERC${rec.erc}`, ms(ctx, rec.at), terminal, { measurementPoint: rec.pn ?? 0, attributes })] };
  }
  const raw = 'raw' in rec ? rec.raw : new Uint8Array(0);
  return {
    events: [event(ctx, terminal, T, EventType.EVENT_TYPE_OTHER, `ERC${rec.erc}`, ctx.receivedAtMs, terminal, { raw: Buffer.from(raw) })],
    unsupported: { kind: 'qgdw-erc', what: `ERC${rec.erc}`, reason: 'event record not mapped yet', raw },
  };
}

function fromDlt645(ctx: NormalizeContext, f: Dlt645Frame, p: Dlt645Payload, terminal: string, out: Normalized): void {
  const meter = f.address;
  if (p.unsupported) {
    out.unsupported.push({ kind: 'dlt645-item', what: `DL/T 645 ${p.di ?? ''}`, reason: p.unsupported.reason, raw: p.unsupported.raw });
    return;
  }
  if (p.kind !== 'read-reply' || !p.fields || !p.item) return;
  if (p.di?.startsWith('031100') && p.di !== '03110000') {
    const [start, end] = p.fields.map((x) => x.value as DeviceTime | null);
    if (start) {
      out.events.push(
        event(ctx, meter, DeviceKind.DEVICE_KIND_METER, EventType.EVENT_TYPE_METER_POWER_DOWN, p.di, ms(ctx, start), terminal, { endedAtMs: end ? ms(ctx, end) : 0 }),
      );
    }
    if (end) out.events.push(event(ctx, meter, DeviceKind.DEVICE_KIND_METER, EventType.EVENT_TYPE_METER_POWER_UP, p.di, ms(ctx, end), terminal));
    return;
  }
  for (const x of p.fields) {
    if (!x.quantity || x.unit === undefined) continue;
    if (typeof x.value !== 'number' && x.value !== null) continue;
    out.readings.push(reading(ctx, meter, terminal, 0, x.quantity, x.unit as Unit, x.value, x.at ? ms(ctx, x.at) : ctx.receivedAtMs, x.tariff ?? p.item.tariff ?? 0));
  }
}

function fromQgdw(ctx: NormalizeContext, f: QgdwFrame, out: Normalized): Result<void> {
  const terminal = out.device;
  const meterOf = (pn: number) => ctx.meterOf?.(terminal, pn) ?? `${terminal}:p${pn}`;
  switch (f.afn) {
    case AFN.confirm:
      return ok(undefined);
    case AFN.linkCheck: {
      const k = decodeLinkCheck(f);
      if (!k.ok) return k;
      out.link = k.value;
      if (k.value !== 'heartbeat') {
        const type = k.value === 'login' ? EventType.EVENT_TYPE_LOGIN : EventType.EVENT_TYPE_LOGOUT;
        out.events.push(event(ctx, terminal, DeviceKind.DEVICE_KIND_TERMINAL, type, `AFN02F${k.value === 'login' ? 1 : 2}`, ctx.receivedAtMs, terminal));
      }
      return ok(undefined);
    }
    case AFN.class1: {
      if (!f.control.up) return ok(undefined);
      const d = decodeClass1(f);
      if (!d.ok) return d;
      for (const u of d.value.units) {
        const at = u.values.find((v) => v.name === 'meter reading time');
        const dataTime = ms(ctx, at?.value as DeviceTime | null | undefined);
        if (u.fn === 2) {
          const clock = u.values[0]?.value as DeviceTime | null;
          out.readings.push(reading(ctx, terminal, terminal, 0, 'clock.offset', Unit.UNIT_SECOND, clock ? (ms(ctx, clock) - ctx.receivedAtMs) / 1000 : null, ctx.receivedAtMs));
          continue;
        }
        for (const v of u.values) {
          if (!v.quantity || v.unit === undefined) continue;
          out.readings.push(reading(ctx, meterOf(u.pn), terminal, u.pn, v.quantity, v.unit, v.value as number | null, dataTime, v.tariff ?? 0));
        }
      }
      if (d.value.unsupported) out.unsupported.push({ kind: 'qgdw-afn0c', what: `AFN 0C F${d.value.unsupported.fn.join(',F')}`, reason: d.value.unsupported.reason, raw: d.value.unsupported.raw });
      return ok(undefined);
    }
    case AFN.class2: {
      if (!f.control.up) return ok(undefined);
      const d = decodeClass2(f);
      if (!d.ok) return d;
      for (const u of d.value.units) {
        const start = ms(ctx, u.start);
        u.values.forEach((v, k) => {
          const dataTime = u.kind === 'curve' ? start + k * (u.intervalMinutes ?? 15) * 60_000 : start;
          const tariff = u.kind === 'curve' ? 0 : k;
          const quantity = u.kind === 'curve' ? u.quantity : `${u.quantity}.${u.kind}`;
          out.readings.push(reading(ctx, meterOf(u.pn), terminal, u.pn, quantity, u.unit, v, dataTime, tariff));
        });
      }
      if (d.value.unsupported) out.unsupported.push({ kind: 'qgdw-afn0d', what: `AFN 0D F${d.value.unsupported.fn.join(',F')}`, reason: d.value.unsupported.reason, raw: d.value.unsupported.raw });
      return ok(undefined);
    }
    case AFN.class3: {
      if (!f.control.up) return ok(undefined);
      const d = decodeEvents(f);
      if (!d.ok) return d;
      for (const rec of d.value.records) {
        const r = eventsOf(ctx, terminal, rec);
        out.events.push(...r.events);
        if (r.unsupported) out.unsupported.push(r.unsupported);
      }
      return ok(undefined);
    }
    case AFN.forward: {
      if (!f.control.up) return ok(undefined);
      const d = decodeForwardResponse(f);
      if (!d.ok) return d;
      for (const inner of d.value.inner) {
        if (inner.payload) fromDlt645(ctx, inner.frame, inner.payload, terminal, out);
        else out.unsupported.push({ kind: 'dlt645-forwarded', what: 'forwarded DL/T 645 frame', reason: inner.error ?? 'not decodable', raw: d.value.content });
      }
      return ok(undefined);
    }
    default:
      if (f.control.up) out.unsupported.push({ kind: 'qgdw-afn', what: `AFN ${f.afn.toString(16).toUpperCase().padStart(2, '0')}H`, reason: 'AFN not supported yet', raw: f.body.slice() });
      return ok(undefined);
  }
}

// --- DL/T 698.45 ------------------------------------------------------------------------------------
// The device is the frame's server address (SA): a terminal, or a meter speaking for itself. Values of
// GET-Response and REPORT-Notification results are current values (dated by the APDU's time tag, the
// device's own time of sending, or else at receipt); record rows are
// dated by their storage / freeze / collection time column and belong to the meter of their TSA column
// (202A0200, "target server address") when they have one, otherwise to the device's own meter (pn 0).
// Frozen objects add their period to the quantity (5004 daily -> ".daily", 5006 monthly -> ".monthly";
// 5002 minute freezes are curves and keep the plain quantity). Power-down records (3011 meter, 3106
// terminal) become power-down / power-up events with their occurrence (201E) and end (2020) times.

const OI = { tsa: 0x202a, freezeTime: 0x2021, storageTime: 0x6042, collectStart: 0x6040, collectSuccess: 0x6041, occurred: 0x201e, ended: 0x2020, terminalPower: 0x3106 } as const;
const FROZEN_SUFFIX: Record<number, string> = { 0x5004: '.daily', 0x5005: '.settlement', 0x5006: '.monthly' };
const oadKey = (o: Oad) => `${o.oi.toString(16).padStart(4, '0')}${((o.feature << 5) | o.attribute).toString(16).padStart(2, '0')}${o.index.toString(16).padStart(2, '0')}`;

function timeOf(ctx: NormalizeContext, d: Data | undefined): number | undefined {
  if (!d || (d.type !== 'dateTime' && d.type !== 'dateTimeS')) return undefined;
  const t: Dlt698Time = d.value;
  if (t.year === 0xffff || t.month === 0xff || t.month === 0) return undefined;
  return dateTimeToEpochMs(t, ctx.tzOffsetMinutes);
}

function fromResults698(ctx: NormalizeContext, device: string, results: readonly ResultNormal[], out: Normalized, atMs = ctx.receivedAtMs): void {
  const meter = ctx.meterOf?.(device, 0) ?? device;
  for (const r of results) {
    if (!r.value) continue; // a DAR: the device has no such data, which is an answer, not a value
    const values = valuesOf(r.oad, r.value);
    if (!values) {
      out.unsupported.push({ kind: 'dlt698-oad', what: `OAD ${oadKey(r.oad)}`, reason: 'object not in the OI registry', raw: new Uint8Array(0) });
      continue;
    }
    for (const v of values) out.readings.push(reading(ctx, meter, device, 0, v.quantity, v.unit, v.value, atMs, v.tariff));
  }
}

function fromRecord698(ctx: NormalizeContext, device: string, rec: ResultRecord, out: Normalized): void {
  if (!rec.rows) return;
  const own = ctx.meterOf?.(device, 0) ?? device;
  // Flatten the columns: a ROAD column's cell is an array with one value per inner OAD.
  for (const row of rec.rows) {
    const cells: Array<{ oad: Oad; value: Data | undefined; frozen?: Oad }> = [];
    rec.columns.forEach((c, k) => {
      const cell = row[k];
      if (c.type === 'oad') cells.push({ oad: c.oad, value: cell });
      else {
        const items = cell && (cell.type === 'array' || cell.type === 'structure') ? cell.items : [];
        c.oads.forEach((o, j) => cells.push({ oad: o, value: items[j], frozen: c.oad }));
      }
    });
    const tsa = cells.find((c) => c.oad.oi === OI.tsa)?.value;
    const meter = tsa?.type === 'tsa' ? tsa.address : tsa?.type === 'octetString' ? Buffer.from(tsa.bytes).toString('hex') : own;
    const pick = (oi: number) => timeOf(ctx, cells.find((c) => c.oad.oi === oi)?.value);
    if (EVENT_POWER_DOWN_OIS.has(rec.oad.oi)) {
      const start = pick(OI.occurred);
      const end = pick(OI.ended);
      const terminalEvent = rec.oad.oi === OI.terminalPower;
      const id = terminalEvent ? device : meter;
      const kind = terminalEvent ? DeviceKind.DEVICE_KIND_TERMINAL : DeviceKind.DEVICE_KIND_METER;
      const code = `OI${rec.oad.oi.toString(16).toUpperCase()}`;
      if (start !== undefined) out.events.push(event(ctx, id, kind, terminalEvent ? EventType.EVENT_TYPE_TERMINAL_POWER_OFF : EventType.EVENT_TYPE_METER_POWER_DOWN, code, start, device, { endedAtMs: end ?? 0 }));
      if (end !== undefined) out.events.push(event(ctx, id, kind, terminalEvent ? EventType.EVENT_TYPE_TERMINAL_POWER_ON : EventType.EVENT_TYPE_METER_POWER_UP, code, end, device));
      continue;
    }
    const at = pick(OI.freezeTime) ?? pick(OI.storageTime) ?? pick(OI.collectSuccess) ?? pick(OI.collectStart) ?? ctx.receivedAtMs;
    for (const c of cells) {
      if (!c.value || c.value.type === 'null' || [OI.tsa, OI.freezeTime, OI.storageTime, OI.collectStart, OI.collectSuccess].includes(c.oad.oi as never)) continue;
      const values = valuesOf(c.oad, c.value);
      if (!values) {
        out.unsupported.push({ kind: 'dlt698-oad', what: `OAD ${oadKey(c.oad)} in a record of ${oadKey(rec.oad)}`, reason: 'object not in the OI registry', raw: new Uint8Array(0) });
        continue;
      }
      const suffix = FROZEN_SUFFIX[(c.frozen ?? rec.oad).oi] ?? '';
      for (const v of values) out.readings.push(reading(ctx, meter, device, 0, `${v.quantity}${suffix}`, v.unit, v.value, at, v.tariff));
    }
  }
}

function fromDlt698(ctx: NormalizeContext, a: Apdu, out: Normalized): void {
  const device = out.device;
  switch (a.kind) {
    case 'linkRequest':
      out.link = a.request;
      if (a.request !== 'heartbeat') out.events.push(event(ctx, device, DeviceKind.DEVICE_KIND_TERMINAL, a.request === 'login' ? EventType.EVENT_TYPE_LOGIN : EventType.EVENT_TYPE_LOGOUT, `LINK-${a.request}`, ctx.receivedAtMs, device));
      return;
    case 'getResponse': {
      const s = a.response;
      const at = a.timeTag ? dateTimeToEpochMs(a.timeTag.sent, ctx.tzOffsetMinutes) : ctx.receivedAtMs;
      if (s.type === 'normal') fromResults698(ctx, device, [s.result], out, at);
      else if (s.type === 'normalList') fromResults698(ctx, device, s.results, out, at);
      else if (s.type === 'record') fromRecord698(ctx, device, s.result, out);
      else if (s.type === 'recordList') for (const r of s.results) fromRecord698(ctx, device, r, out);
      else {
        fromResults698(ctx, device, s.results ?? [], out, at);
        for (const r of s.records ?? []) fromRecord698(ctx, device, r, out);
      }
      return;
    }
    case 'reportNotification':
      if (a.report.type === 'list') fromResults698(ctx, device, a.report.results, out, a.timeTag ? dateTimeToEpochMs(a.timeTag.sent, ctx.tzOffsetMinutes) : ctx.receivedAtMs);
      else if (a.report.type === 'recordList') for (const r of a.report.results) fromRecord698(ctx, device, r, out);
      else out.unsupported.push({ kind: 'dlt698-apdu', what: 'REPORT-Notification-TransData', reason: 'transparent data reports are not decoded', raw: a.report.body });
      return;
    case 'linkResponse':
    case 'reportResponse':
    case 'setResponse':
    case 'actionResponse':
    case 'errorResponse':
    case 'connectResponse':
    case 'releaseResponse':
    case 'releaseNotification':
      return;
    case 'getRequest':
    case 'setRequest':
    case 'actionRequest':
    case 'proxyRequest':
    case 'proxyResponse':
    case 'connectRequest':
    case 'releaseRequest':
    case 'securityRequest':
    case 'securityResponse':
      out.unsupported.push({ kind: 'dlt698-apdu', what: a.kind, reason: 'APDU carries no values the station stores', raw: new Uint8Array(0) });
  }
}

/** Decodes one whole frame of either protocol and normalises it. Errors carry byte offsets. */
export function normalizeFrame(protocol: 'dlt645' | 'qgdw1376' | 'dlt698', bytes: Uint8Array, ctx: NormalizeContext): Result<Normalized> {
  if (protocol === 'dlt698') {
    const f = decodeDlt698Frame(bytes);
    if (!f.ok) return f;
    if (f.value.split) return fail('RANGE', 3, 'a fragment of a split APDU: the station normalises whole APDUs only');
    const apduAt = bytes.length - 3 - f.value.apdu.length;
    const a = decodeApdu(f.value.apdu, apduAt);
    if (!a.ok) return a;
    const inner = unwrapSecurity(a.value, apduAt);
    if (!inner.ok) return inner;
    const out: Normalized = { device: f.value.server.address, readings: [], events: [], unsupported: [] };
    fromDlt698(ctx, inner.value.apdu, out);
    return ok(out);
  }
  if (protocol === 'qgdw1376') {
    const f = decodeQgdwFrame(bytes);
    if (!f.ok) return f;
    const out: Normalized = { device: terminalKey(f.value.address), readings: [], events: [], unsupported: [] };
    const r = fromQgdw(ctx, f.value, out);
    return r.ok ? ok(out) : r;
  }
  const f = decodeDlt645Frame(bytes);
  if (!f.ok) return f;
  const p = interpretDlt645(f.value);
  if (!p.ok) return p;
  const out: Normalized = { device: f.value.address, readings: [], events: [], unsupported: [] };
  if (p.value.kind === 'error-reply') return fail('RANGE', 8, `meter answered with an error: ${(p.value.errors ?? []).join(', ')}`);
  fromDlt645(ctx, f.value, p.value, '', out);
  return ok(out);
}
