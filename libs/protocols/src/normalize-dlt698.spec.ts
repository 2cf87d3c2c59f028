import { DeviceKind, EventType, Unit, type FrameRef } from '@gridstation/contracts';
import { encodeApdu, type Apdu } from './dlt698/apdu';
import { parseOad, type Data, type DateTime } from './dlt698/data';
import { encodeDlt698Frame } from './dlt698/frame';
import { normalizeFrame, type NormalizeContext } from './normalize';
import { hex, must } from '../test/bytes';

const source: FrameRef = { frameId: 'f-698', topic: 'gs.raw.frames.v1', partition: 1, offset: 7, indexInBatch: 0 };
const received = Date.UTC(2026, 11, 2, 7, 30, 0); // 15:30 in UTC+8
const ctx: NormalizeContext = { receivedAtMs: received, tzOffsetMinutes: 480, source, meterOf: (t, pn) => (t === '000000000001' && pn === 0 ? '410100001000' : undefined) };
const SERVER = { type: 'single' as const, logic: 0, address: '000000000001' };
const frame = (apdu: Apdu) => must(encodeDlt698Frame({ control: { fromServer: true, initiator: false, split: false, scrambled: false, function: 3 }, server: SERVER, client: 0, apdu: encodeApdu(apdu) }));
const dt = (day: number, hour: number, minute: number): Data => ({ type: 'dateTimeS', value: { year: 2026, month: 12, day, hour, minute, second: 0 } as DateTime });
const dlu = (v: number): Data => ({ type: 'doubleLongUnsigned', value: v });
const local = (d: number, h: number, m: number) => Date.UTC(2026, 11, d, h - 8, m, 0);

describe('DL/T 698.45 normalisation', () => {
  it('a hand-laid REPORT-Notification-List: energy per tariff, scaled by the OI registry, on the device meter', () => {
    const bytes = hex('68 25 00 83 05 01 00 00 00 00 00 00 FE FC 88 01 02 01 00 10 02 00 01 01 02 06 00 01 E2 40 06 00 01 86 A0 00 3C BD 16');
    const n = must(normalizeFrame('dlt698', bytes, ctx));
    expect(n.device).toBe('000000000001');
    expect(n.readings.map((r) => [r.meterId, r.quantity, r.tariff, r.value, r.unit, r.dataTimeMs])).toEqual([
      ['410100001000', 'energy.active.import', 0, 1234.56, Unit.UNIT_KWH, received],
      ['410100001000', 'energy.active.import', 1, 1000, Unit.UNIT_KWH, received],
    ]);
    expect(n.readings[0]!.source).toEqual(source);
  });

  it('task records: each row belongs to the meter of its TSA column and is dated by its storage time', () => {
    const apdu: Apdu = {
      kind: 'reportNotification',
      piid: 3,
      report: {
        type: 'recordList',
        results: [
          {
            oad: parseOad('60120300'),
            columns: [
              { type: 'oad', oad: parseOad('202A0200') },
              { type: 'oad', oad: parseOad('60420200') },
              { type: 'road', oad: parseOad('50020200'), oads: [parseOad('00100200'), parseOad('20000200'), parseOad('20040200')] },
            ],
            rows: [
              [{ type: 'tsa', address: '410100001001', af: 5 }, dt(2, 15, 15), { type: 'structure', items: [{ type: 'array', items: [dlu(50000), dlu(20000)] }, { type: 'array', items: [{ type: 'longUnsigned', value: 2201 }, { type: 'null' }, { type: 'null' }] }, { type: 'array', items: [{ type: 'doubleLong', value: 15000 }] }] }],
              [{ type: 'tsa', address: '410100001002', af: 5 }, dt(2, 15, 15), { type: 'structure', items: [{ type: 'array', items: [dlu(70000)] }, { type: 'null' }, { type: 'null' }] }],
            ],
          },
        ],
      },
    };
    const n = must(normalizeFrame('dlt698', frame(apdu), ctx));
    expect(n.readings.map((r) => [r.meterId, r.quantity, r.tariff, r.value, r.dataTimeMs])).toEqual([
      ['410100001001', 'energy.active.import', 0, 500, local(2, 15, 15)],
      ['410100001001', 'energy.active.import', 1, 200, local(2, 15, 15)],
      ['410100001001', 'voltage.a', 0, 220.1, local(2, 15, 15)],
      ['410100001001', 'power.active.total', 0, 1.5, local(2, 15, 15)],
      ['410100001002', 'energy.active.import', 0, 700, local(2, 15, 15)],
    ]);
    expect(n.unsupported).toEqual([]);
  });

  it('a daily freeze record (5004) is dated by its freeze time and stored as a daily quantity', () => {
    const apdu: Apdu = {
      kind: 'getResponse',
      piid: 4,
      response: { type: 'record', result: { oad: parseOad('50040200'), columns: [{ type: 'oad', oad: parseOad('20210200') }, { type: 'oad', oad: parseOad('00100200') }], rows: [[dt(2, 0, 0), { type: 'array', items: [dlu(123456)] }]] } },
    };
    const n = must(normalizeFrame('dlt698', frame(apdu), ctx));
    expect(n.readings.map((r) => [r.meterId, r.quantity, r.value, r.dataTimeMs])).toEqual([['410100001000', 'energy.active.import.daily', 1234.56, local(2, 0, 0)]]);
  });

  it('power-down records (3011) become meter power-down and power-up events; an open one has no end', () => {
    const apdu: Apdu = {
      kind: 'reportNotification',
      piid: 5,
      report: {
        type: 'recordList',
        results: [
          {
            oad: parseOad('30110200'),
            columns: [{ type: 'oad', oad: parseOad('20220200') }, { type: 'oad', oad: parseOad('201E0200') }, { type: 'oad', oad: parseOad('20200200') }],
            rows: [
              [dlu(7), dt(2, 15, 1), { type: 'null' }],
              [dlu(6), dt(2, 10, 0), dt(2, 10, 20)],
            ],
          },
        ],
      },
    };
    const n = must(normalizeFrame('dlt698', frame(apdu), ctx));
    expect(n.events.map((e) => [e.deviceId, e.deviceKind, e.type, e.occurredAtMs, e.endedAtMs])).toEqual([
      ['410100001000', DeviceKind.DEVICE_KIND_METER, EventType.EVENT_TYPE_METER_POWER_DOWN, local(2, 15, 1), 0],
      ['410100001000', DeviceKind.DEVICE_KIND_METER, EventType.EVENT_TYPE_METER_POWER_DOWN, local(2, 10, 0), local(2, 10, 20)],
      ['410100001000', DeviceKind.DEVICE_KIND_METER, EventType.EVENT_TYPE_METER_POWER_UP, local(2, 10, 20), 0],
    ]);
  });

  it('a login is a login event; an object the registry does not know is kept as unsupported', () => {
    const login = hex('68 1E 00 81 05 01 00 00 00 00 00 00 D2 B6 01 00 00 00 3C 07 EA 0C 02 03 0F 1E 00 00 00 F5 03 16');
    const n = must(normalizeFrame('dlt698', login, ctx));
    expect(n.link).toBe('login');
    expect(n.events.map((e) => e.type)).toEqual([EventType.EVENT_TYPE_LOGIN]);
    const odd = must(normalizeFrame('dlt698', frame({ kind: 'getResponse', piid: 1, response: { type: 'normal', result: { oad: parseOad('40000200'), value: dt(2, 15, 30) } } }), ctx));
    expect(odd.readings).toEqual([]);
    expect(odd.unsupported).toEqual([expect.objectContaining({ kind: 'dlt698-oad', what: 'OAD 40000200' })]);
  });
});
