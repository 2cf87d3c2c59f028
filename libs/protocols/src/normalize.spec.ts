import { DeviceKind, EventType, QualityFlag, Unit, type FrameRef } from '@gridstation/contracts';
import { encodeReadReply } from './dlt645/frame';
import { encodeClass1Response } from './qgdw1376/class-data';
import { encodePowerEventsReport } from './qgdw1376/events';
import { encodeForwardResponse } from './qgdw1376/forward';
import { encodeClass2Response } from './qgdw1376/frozen-data';
import { encodeLinkCheck } from './qgdw1376/link';
import { normalizeFrame, type NormalizeContext } from './normalize';
import { must } from '../test/bytes';

const ADDRESS = { region: '4101', terminal: 1, master: 0, group: false };
const source: FrameRef = { frameId: 'f-1', topic: 'gs.raw.frames.v1', partition: 3, offset: 42, indexInBatch: 0 };
const received = Date.UTC(2026, 10, 21, 0, 20, 0); // 08:20 in UTC+8
const ctx: NormalizeContext = { receivedAtMs: received, tzOffsetMinutes: 480, source, meterOf: (t, pn) => (t === '4101-00001' && pn === 1 ? '000000000101' : undefined) };
const local = (d: number, h: number, m: number) => Date.UTC(2026, 10, d, h - 8, m, 0);

describe('normalisation into readings and events', () => {
  it('turns AFN 0C F25 into one reading per value, power factor as a ratio, with provenance', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };
    const values = [t, 3.3, 1.1, 1.1, 1.1, 0.3, 0.1, 0.1, 0.1, 95.5, 95, 96, 95.5, 220.1, 221.2, null, 5.001, 5.002, 5.003, 0.01, 3.5, 1.2, 1.2, 1.1];
    const n = must(normalizeFrame('qgdw1376', must(encodeClass1Response(ADDRESS, 0, [{ pn: 1, fn: 25, values }])), ctx));
    expect(n.device).toBe('4101-00001');
    expect(n.readings).toHaveLength(23);
    const byQ = Object.fromEntries(n.readings.map((r) => [r.quantity, r]));
    expect(byQ['power.active.total']).toMatchObject({ meterId: '000000000101', measurementPoint: 1, value: 3.3, unit: Unit.UNIT_KW, dataTimeMs: local(21, 8, 15), receivedAtMs: received, quality: 0, source });
    expect(byQ['power_factor.total']).toMatchObject({ value: 0.955, unit: Unit.UNIT_NONE });
    expect(byQ['voltage.c']!.quality).toBe(QualityFlag.QUALITY_FLAG_DEVICE_INVALID);
    expect(byQ['voltage.c']!.value).toBeNaN();
  });

  it('names readings of a point the archive does not know by terminal and pn', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };
    const n = must(normalizeFrame('qgdw1376', must(encodeClass1Response(ADDRESS, 0, [{ pn: 9, fn: 129, values: [t, 1, 10, 5] }])), ctx));
    expect(n.readings.map((r) => [r.meterId, r.tariff, r.value])).toEqual([
      ['4101-00001:p9', 0, 10],
      ['4101-00001:p9', 1, 5],
    ]);
  });

  it('spreads a curve over its interval and dates a daily freeze on its day', () => {
    const start = { year: 2026, month: 11, day: 21, hour: 0, minute: 0, second: 0 };
    const curve = must(normalizeFrame('qgdw1376', must(encodeClass2Response(ADDRESS, 0, [{ pn: 1, fn: 89, start, density: 1, values: [220, 221, 222] }])), ctx));
    expect(curve.readings.map((r) => [r.quantity, r.dataTimeMs, r.value])).toEqual([
      ['voltage.a', local(21, 0, 0), 220],
      ['voltage.a', local(21, 0, 15), 221],
      ['voltage.a', local(21, 0, 30), 222],
    ]);
    const day = { year: 2026, month: 11, day: 20, hour: 0, minute: 0, second: 0 };
    const daily = must(normalizeFrame('qgdw1376', must(encodeClass2Response(ADDRESS, 0, [{ pn: 1, fn: 161, start: day, values: [100, 60, 40] }])), ctx));
    expect(daily.readings.map((r) => [r.quantity, r.tariff, r.dataTimeMs])).toEqual([
      ['energy.active.import.daily', 0, local(20, 0, 0)],
      ['energy.active.import.daily', 1, local(20, 0, 0)],
      ['energy.active.import.daily', 2, local(20, 0, 0)],
    ]);
  });

  it('turns ERC14 into terminal power-off and power-on events with stable ids', () => {
    const off = { year: 2026, month: 11, day: 21, hour: 8, minute: 5, second: 0 };
    const on = { year: 2026, month: 11, day: 21, hour: 8, minute: 47, second: 0 };
    const n = must(normalizeFrame('qgdw1376', must(encodePowerEventsReport(ADDRESS, 0, 1, 0, [{ powerOffAt: off, powerOnAt: on }])), ctx));
    expect(n.events.map((e) => [e.type, e.deviceId, e.deviceKind, e.occurredAtMs, e.endedAtMs])).toEqual([
      [EventType.EVENT_TYPE_TERMINAL_POWER_OFF, '4101-00001', DeviceKind.DEVICE_KIND_TERMINAL, local(21, 8, 5), local(21, 8, 47)],
      [EventType.EVENT_TYPE_TERMINAL_POWER_ON, '4101-00001', DeviceKind.DEVICE_KIND_TERMINAL, local(21, 8, 47), 0],
    ]);
    const again = must(normalizeFrame('qgdw1376', must(encodePowerEventsReport(ADDRESS, 5, 1, 0, [{ powerOffAt: off, powerOnAt: on }])), { ...ctx, receivedAtMs: received + 60_000 }));
    expect(again.events.map((e) => e.eventId)).toEqual(n.events.map((e) => e.eventId));
  });

  it('reports logins as events and heartbeats as link facts only', () => {
    const login = must(normalizeFrame('qgdw1376', must(encodeLinkCheck('login', ADDRESS, 0)), ctx));
    expect(login.link).toBe('login');
    expect(login.events.map((e) => e.type)).toEqual([EventType.EVENT_TYPE_LOGIN]);
    const hb = must(normalizeFrame('qgdw1376', must(encodeLinkCheck('heartbeat', ADDRESS, 1)), ctx));
    expect(hb).toMatchObject({ link: 'heartbeat', events: [], readings: [] });
  });

  it('decodes DL/T 645 inside AFN 10 with the meter address as the meter id', () => {
    const reply = must(encodeReadReply('000000000202', '02010100', [230.4]));
    const n = must(normalizeFrame('qgdw1376', must(encodeForwardResponse(ADDRESS, 0, 2, reply)), ctx));
    expect(n.readings).toEqual([expect.objectContaining({ meterId: '000000000202', terminalAddress: '4101-00001', quantity: 'voltage.a', value: 230.4 })]);
  });

  it('turns a DL/T 645 power-down record into meter power-down and power-up events', () => {
    const start = { year: 2026, month: 11, day: 20, hour: 23, minute: 59, second: 58 };
    const end = { year: 2026, month: 11, day: 21, hour: 0, minute: 3, second: 10 };
    const n = must(normalizeFrame('dlt645', must(encodeReadReply('000000000202', '03110001', [start, end])), ctx));
    expect(n.events.map((e) => [e.type, e.deviceKind, e.occurredAtMs])).toEqual([
      [EventType.EVENT_TYPE_METER_POWER_DOWN, DeviceKind.DEVICE_KIND_METER, Date.UTC(2026, 10, 20, 15, 59, 58)],
      [EventType.EVENT_TYPE_METER_POWER_UP, DeviceKind.DEVICE_KIND_METER, Date.UTC(2026, 10, 20, 16, 3, 10)],
    ]);
  });

  it('returns unsupported parts with their bytes instead of dropping them', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };
    const frame = must(encodeClass1Response(ADDRESS, 0, [{ pn: 1, fn: 129, values: [t, 0, 1] }]));
    const body = [...frame.subarray(14, frame.length - 2), 0x01, 0x01, 0x04, 0x00, 0x12];
    const user = [...frame.subarray(6, 14), ...body];
    const l = (user.length << 2) | 2;
    const withUnknown = Uint8Array.from([0x68, l & 0xff, l >> 8, l & 0xff, l >> 8, 0x68, ...user, user.reduce((s, b) => (s + b) & 0xff, 0), 0x16]);
    const n = must(normalizeFrame('qgdw1376', withUnknown, ctx));
    expect(n.readings).toHaveLength(1);
    expect(n.unsupported).toEqual([{ kind: 'qgdw-afn0c', what: 'AFN 0C F3', reason: 'AFN 0C F3 not supported', raw: Uint8Array.from([0x01, 0x01, 0x04, 0x00, 0x12]) }]);
  });

  it('returns decoding errors with offsets, never throws', () => {
    const r = normalizeFrame('qgdw1376', Uint8Array.from([0x68, 0x32, 0x00]), ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });
});
