import { Unit } from '@gridstation/contracts';
import type { DeviceTime } from './common/values';
import type { DeframeEvent } from './deframe';
import { decodeDlt645Frame, interpretDlt645 } from './dlt645/frame';
import { decodeClass1 } from './qgdw1376/class-data';
import { decodeTerminalVersion } from './qgdw1376/config';
import { decodeEvents } from './qgdw1376/events';
import { decodeForwardResponse, decodeTimeSet } from './qgdw1376/forward';
import { decodeQgdwFrame, isBroadcast, terminalKey, type QgdwFrame, type QgdwVariant } from './qgdw1376/frame';
import { decodeClass2, decodeClass2Request } from './qgdw1376/frozen-data';
import { fnName } from './qgdw1376/names';
import { AFN, decodeConfirm, decodeLinkCheck } from './qgdw1376/link';
import { decodeQueryParameters, decodeQueryParametersResponse, decodeSetParameters, describeParameterData } from './qgdw1376/parameters';
import { walkDataUnits, type UnitWalk } from './qgdw1376/units';
import * as dlt698 from './dlt698';

// A plain-JSON description of a frame or a deframing error, for people (the inspector) and for tools
// that want a stable, readable view without depending on the codec types.

export type Description = Record<string, unknown>;

const UNIT_TEXT: Partial<Record<Unit, string>> = {
  [Unit.UNIT_NONE]: '',
  [Unit.UNIT_KWH]: 'kWh',
  [Unit.UNIT_KVARH]: 'kvarh',
  [Unit.UNIT_KVAH]: 'kVAh',
  [Unit.UNIT_V]: 'V',
  [Unit.UNIT_A]: 'A',
  [Unit.UNIT_KW]: 'kW',
  [Unit.UNIT_KVAR]: 'kvar',
  [Unit.UNIT_KVA]: 'kVA',
  [Unit.UNIT_HZ]: 'Hz',
  [Unit.UNIT_PERCENT]: '%',
  [Unit.UNIT_DEGREE]: '°',
  [Unit.UNIT_CELSIUS]: '°C',
  [Unit.UNIT_SECOND]: 's',
};

const pad = (n: number) => String(n).padStart(2, '0');
export function deviceTimeText(t: DeviceTime): string {
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

const hexText = (b: Uint8Array) => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');

function value(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'year' in v) return deviceTimeText(v as DeviceTime);
  return v;
}

function item(x: { name: string; value: unknown; quantity?: string; unit?: number; tariff?: number; at?: DeviceTime }): Description {
  const out: Description = { name: x.name, value: value(x.value) };
  if (x.at) out['at'] = deviceTimeText(x.at);
  if (x.unit !== undefined && UNIT_TEXT[x.unit as Unit]) out['unit'] = UNIT_TEXT[x.unit as Unit];
  if (x.quantity) out['quantity'] = x.quantity;
  if (x.tariff !== undefined) out['tariff'] = x.tariff;
  return out;
}

export function describeDlt645(bytes: Uint8Array, offset: number): Description {
  const f = decodeDlt645Frame(bytes);
  if (!f.ok) return { offset, protocol: 'dlt645', error: f.error.code, errorOffset: offset + f.error.offset, message: f.error.message };
  const { address, control, version, length } = f.value;
  const out: Description = {
    offset,
    protocol: `dlt645-${version}`,
    length,
    address,
    control: { raw: control.raw, fromMeter: control.fromMeter, abnormal: control.abnormal, followUp: control.followUp, function: control.fnName },
  };
  const p = interpretDlt645(f.value);
  if (!p.ok) return { ...out, error: p.error.code, errorOffset: offset + p.error.offset, message: p.error.message };
  const { kind, di, fields, errors, errorBits, seq, unsupported, time } = p.value;
  out['kind'] = kind;
  if (di) out['di'] = di;
  if (p.value.item) out['item'] = p.value.item.name;
  if (fields) out['values'] = fields.map(item);
  if (errorBits !== undefined) out['errors'] = { bits: errorBits, names: errors };
  if (seq !== undefined) out['seq'] = seq;
  if (time) out['time'] = deviceTimeText(time);
  if (unsupported) out['unsupported'] = { reason: unsupported.reason, raw: hexText(unsupported.raw) };
  return out;
}

const errText = (e: { code: string; offset: number; message: string }, offset: number): Description => ({ error: e.code, errorOffset: offset + e.offset, message: e.message });

/** Decoded payloads of the AFNs whose content is known (the data units are listed for every AFN). */
function describeQgdwPayload(f: QgdwFrame, offset: number, w: UnitWalk): Description {
  const up = f.control.up;
  switch (f.afn) {
    case AFN.linkCheck: {
      const k = decodeLinkCheck(f);
      return k.ok ? { link: k.value } : errText(k.error, offset);
    }
    case AFN.confirm: {
      const c = decodeConfirm(f);
      return c.ok ? { confirm: c.value } : errText(c.error, offset);
    }
    case AFN.class1: {
      if (!up) return {};
      const d = decodeClass1(f);
      if (!d.ok) return errText(d.error, offset);
      const out: Description = { units: d.value.units.map((u) => ({ pn: u.pn, fn: u.fn, name: u.name, values: u.values.map(item) })) };
      if (d.value.unsupported) out['unsupported'] = { pn: d.value.unsupported.pn, fn: d.value.unsupported.fn, reason: d.value.unsupported.reason, raw: hexText(d.value.unsupported.raw) };
      return out;
    }
    case AFN.class2: {
      if (!up) {
        const q = decodeClass2Request(f);
        return q.ok ? { requests: q.value.map((r) => ({ pn: r.pn, fn: r.fn, start: deviceTimeText(r.start), ...(r.points === undefined ? {} : { density: r.density, points: r.points }) })) } : {};
      }
      const d = decodeClass2(f);
      if (!d.ok) return errText(d.error, offset);
      const out: Description = {
        units: d.value.units.map((u) => ({ pn: u.pn, fn: u.fn, name: u.name, kind: u.kind, quantity: u.quantity, start: u.start ? deviceTimeText(u.start) : null, ...(u.intervalMinutes ? { intervalMinutes: u.intervalMinutes } : {}), values: u.values })),
      };
      if (d.value.unsupported) out['unsupported'] = { fn: d.value.unsupported.fn, reason: d.value.unsupported.reason, raw: hexText(d.value.unsupported.raw) };
      return out;
    }
    case AFN.class3: {
      if (!up) return {};
      const e = decodeEvents(f);
      if (!e.ok) return errText(e.error, offset);
      const { important, ec1, ec2, pm, pn, records } = e.value;
      return { events: { important, ec1, ec2, pm, pn, records: records.map((r) => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? hexText(v) : v !== null && typeof v === 'object' && 'year' in v ? deviceTimeText(v as DeviceTime) : v))) as unknown) } };
    }
    case AFN.forward: {
      if (!up) return {};
      const d = decodeForwardResponse(f);
      if (!d.ok) return errText(d.error, offset);
      return { forward: { port: d.value.port, content: hexText(d.value.content), frames: d.value.inner.map((i) => describeDlt645(d.value.content.subarray(i.offset), i.offset)) } };
    }
    case AFN.control: {
      const t = up ? undefined : decodeTimeSet(f);
      return t?.ok ? { clock: deviceTimeText(t.value.time) } : {};
    }
    case AFN.setParameters: {
      const p = up ? undefined : decodeSetParameters(f);
      return p?.ok ? { parameters: p.value.items } : {};
    }
    case AFN.queryParameters: {
      const p = up ? decodeQueryParametersResponse(f) : decodeQueryParameters(f);
      return p.ok ? { parameters: p.value } : {};
    }
    case AFN.config: {
      if (!up) return {};
      const u = w.units.find((x) => x.fn.length === 1 && x.fn[0] === 1 && x.data);
      if (!u?.data) return {};
      const v = decodeTerminalVersion(u.data, 0);
      return v.ok ? { version: { ...v.value, softwareDate: v.value.softwareDate && deviceTimeText(v.value.softwareDate).slice(0, 10), hardwareDate: v.value.hardwareDate && deviceTimeText(v.value.hardwareDate).slice(0, 10) } } : {};
    }
    default:
      return {};
  }
}

function describeQgdwBody(f: QgdwFrame, offset: number): Description {
  const w = walkDataUnits(f);
  const out: Description = {
    dataUnits: w.units.map((u) => {
      const names = u.fn.map((fn) => fnName(f.afn, fn, f.control.up)).filter((n): n is string => n !== undefined);
      const params = (f.afn === AFN.setParameters || (f.afn === AFN.queryParameters && f.control.up)) && u.fn.length === 1 && u.data ? describeParameterData(u.fn[0]!, u.data) : undefined;
      return { pn: u.pn, fn: u.fn, ...(names.length ? { name: names.join('; ') } : {}), ...(u.data && u.data.length > 0 ? { data: hexText(u.data) } : {}), ...(params ? { values: params } : {}) };
    }),
  };
  if (w.rest) out['undecoded'] = { offset: offset + w.rest.offset, reason: w.rest.reason, raw: hexText(w.rest.raw) };
  if (w.aux.pw) out['pw'] = hexText(w.aux.pw);
  if (w.aux.ec) out['ec'] = w.aux.ec;
  if (w.aux.tp) out['tp'] = w.aux.tp;
  return { ...out, ...describeQgdwPayload(f, offset, w) };
}

export function describeQgdw(bytes: Uint8Array, offset: number, variant?: QgdwVariant): Description {
  const f = decodeQgdwFrame(bytes, 0, variant);
  if (!f.ok) return { offset, protocol: 'qgdw1376', error: f.error.code, errorOffset: offset + f.error.offset, message: f.error.message };
  const v = f.value;
  return {
    offset,
    protocol: v.protocolId === 2 ? 'qgdw1376.1-2013' : 'qgdw130-2005',
    length: v.length,
    terminal: terminalKey(v.address),
    address: v.address,
    ...(isBroadcast(v.address) ? { broadcast: true } : {}),
    control: { raw: v.control.raw, up: v.control.up, prm: v.control.prm, acd: v.control.acd, fcb: v.control.fcb, fcv: v.control.fcv, function: v.control.fnName },
    afn: v.afn.toString(16).toUpperCase().padStart(2, '0'),
    seq: { tpv: v.seq.tpv, fir: v.seq.fir, fin: v.seq.fin, con: v.seq.con, seq: v.seq.seq },
    ...describeQgdwBody(v, offset),
  };
}

/** One line of inspector output for a deframer event. */
export function describeEvent(e: DeframeEvent, options: { qgdwVariant?: QgdwVariant } = {}): Description {
  if (e.type === 'error') return { offset: e.offset, error: e.code, length: e.length, message: e.message };
  return e.protocol === 'dlt645' ? describeDlt645(e.bytes, e.offset) : e.protocol === 'dlt698' ? describeDlt698(e.bytes, e.offset) : describeQgdw(e.bytes, e.offset, options.qgdwVariant);
}

/** Hex text as engineers paste it: spaces, newlines, commas, "0x" prefixes and "H" suffixes allowed. */
export function parseHex(text: string): Uint8Array | { error: string } {
  const cleaned = text.replace(/0x/gi, '').replace(/([0-9a-f]{2})h\b/gi, '$1').replace(/[\s,;:-]+/g, '');
  if (cleaned.length % 2 !== 0) return { error: `odd number of hex digits (${cleaned.length})` };
  const bad = /[^0-9a-fA-F]/.exec(cleaned);
  if (bad) return { error: `"${bad[0]}" is not a hex digit` };
  const out = new Uint8Array(cleaned.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(cleaned.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// --- DL/T 698.45 -------------------------------------------------------------------------------------

function dataText(d: dlt698.Data): unknown {
  switch (d.type) {
    case 'null':
      return null;
    case 'array':
    case 'structure':
      return d.items.map(dataText);
    case 'bitString':
      return { bits: d.bits, hex: hexText(d.bytes) };
    case 'octetString':
    case 'mac':
    case 'rn':
      return hexText(d.bytes);
    case 'long64':
    case 'long64Unsigned':
      return d.value.toString();
    case 'dateTime':
    case 'dateTimeS':
    case 'date':
    case 'time':
      return deviceTimeText({ ...d.value, milliseconds: 0 } as unknown as DeviceTime);
    case 'oad':
      return dlt698.oadText(d.value);
    case 'road':
      return { oad: dlt698.oadText(d.oad), oads: d.oads.map(dlt698.oadText) };
    case 'tsa':
      return d.address;
    case 'bool':
    case 'doubleLong':
    case 'doubleLongUnsigned':
    case 'integer':
    case 'long':
    case 'unsigned':
    case 'longUnsigned':
    case 'enum':
    case 'float32':
    case 'float64':
    case 'visibleString':
    case 'utf8String':
    case 'oi':
      return d.value;
    case 'omd':
    case 'ti':
    case 'region':
    case 'scalerUnit':
    case 'rsd':
    case 'csd':
    case 'ms':
    case 'sid':
    case 'sidMac':
    case 'comdcb':
    case 'rcsd':
      return JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hexText(v) : v))) as unknown;
  }
}

const oadName = (o: dlt698.Oad) => ({ oad: dlt698.oadText(o), name: dlt698.OI_NAMES.get(o.oi) ?? `OI ${o.oi.toString(16).toUpperCase().padStart(4, '0')}` });

function resultText(r: dlt698.ResultNormal): Description {
  if (!r.value) return { ...oadName(r.oad), dar: r.dar };
  const values = dlt698.valuesOf(r.oad, r.value);
  return { ...oadName(r.oad), ...(values ? { values: values.map((v) => ({ quantity: v.quantity, tariff: v.tariff, value: v.value, unit: UNIT_TEXT[v.unit] ?? '' })) } : { data: dataText(r.value) }) };
}

function recordText(r: dlt698.ResultRecord): Description {
  const columns = r.columns.map((c) => (c.type === 'oad' ? dlt698.oadText(c.oad) : { oad: dlt698.oadText(c.oad), oads: c.oads.map(dlt698.oadText) }));
  return { ...oadName(r.oad), columns, ...(r.rows ? { rows: r.rows.map((row) => row.map(dataText)) } : { dar: r.dar }) };
}

function apduText(a: dlt698.Apdu): Description {
  switch (a.kind) {
    case 'linkRequest':
      return { apdu: 'LINK-Request', piid: a.piid, request: a.request, heartbeatSeconds: a.heartbeatSeconds, time: dataText({ type: 'dateTime', value: a.time }) };
    case 'linkResponse':
      return { apdu: 'LINK-Response', piid: a.piid, result: a.result, clockTrusted: a.clockTrusted };
    case 'getRequest': {
      const q = a.request;
      const items = q.type === 'normal' ? [oadName(q.oad)] : q.type === 'normalList' ? q.oads.map(oadName) : q.type === 'record' ? [{ ...oadName(q.oad), selector: q.rsd.selector, columns: q.rcsd.length }] : q.type === 'recordList' ? q.records.map((x) => ({ ...oadName(x.oad), selector: x.rsd.selector })) : [{ nextAfterBlock: q.lastBlock }];
      return { apdu: 'GET-Request', type: q.type, piid: a.piid, items };
    }
    case 'getResponse': {
      const s = a.response;
      const results = s.type === 'normal' ? [resultText(s.result)] : s.type === 'normalList' ? s.results.map(resultText) : s.type === 'record' ? [recordText(s.result)] : s.type === 'recordList' ? s.results.map(recordText) : [...(s.results ?? []).map(resultText), ...(s.records ?? []).map(recordText)];
      return { apdu: 'GET-Response', type: s.type, piid: a.piid, results };
    }
    case 'reportNotification':
      return { apdu: 'REPORT-Notification', type: a.report.type, piid: a.piid, results: a.report.type === 'list' ? a.report.results.map(resultText) : a.report.type === 'recordList' ? a.report.results.map(recordText) : hexText(a.report.body) };
    case 'reportResponse':
      return { apdu: 'REPORT-Response', piid: a.piid, oads: a.oads.map(oadName) };
    case 'setRequest':
    case 'actionRequest':
      return { apdu: a.kind === 'setRequest' ? 'SET-Request' : 'ACTION-Request', piid: a.piid, items: a.items.map((i) => ({ ...oadName(i.oad), data: dataText(i.value) })) };
    case 'setResponse':
    case 'actionResponse':
      return { apdu: a.kind === 'setResponse' ? 'SET-Response' : 'ACTION-Response', piid: a.piid, items: a.items.map((i) => ({ ...oadName(i.oad), dar: i.dar })) };
    case 'errorResponse':
      return { apdu: 'ERROR-Response', piid: a.piid, error: a.error };
    case 'securityRequest':
    case 'securityResponse':
      return { apdu: a.kind === 'securityRequest' ? 'SECURITY-Request' : 'SECURITY-Response', plain: a.plain !== undefined, ...(a.ciphered ? { ciphered: hexText(a.ciphered) } : {}) };
    case 'proxyRequest':
    case 'proxyResponse':
    case 'connectRequest':
    case 'connectResponse':
    case 'releaseRequest':
    case 'releaseResponse':
    case 'releaseNotification':
      return { apdu: a.kind, piid: a.piid, body: hexText(a.body) };
  }
}

export function describeDlt698(bytes: Uint8Array, offset: number): Description {
  const f = dlt698.decodeDlt698Frame(bytes);
  if (!f.ok) return { offset, protocol: 'dlt698.45', error: f.error.code, errorOffset: offset + f.error.offset, message: f.error.message };
  const v = f.value;
  const head = { offset, protocol: 'dlt698.45', length: bytes.length, control: v.control, server: v.server, client: v.client, ...(v.split ? { split: v.split } : {}) };
  if (v.split) return { ...head, fragment: hexText(v.apdu) };
  const apduAt = bytes.length - 3 - v.apdu.length;
  const a = dlt698.decodeApdu(v.apdu, offset + apduAt);
  if (!a.ok) return { ...head, error: a.error.code, errorOffset: a.error.offset, message: a.error.message, apdu: hexText(v.apdu) };
  const inner = dlt698.unwrapSecurity(a.value, offset + apduAt);
  const shown = inner.ok ? inner.value.apdu : a.value;
  return { ...head, ...(inner.ok && inner.value.secured ? { security: 'plaintext' } : {}), ...apduText(shown) };
}
