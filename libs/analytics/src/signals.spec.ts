import { DeviceKind, EventType, EvidenceKind, Unit, type DeviceEvent, type Reading } from '@gridstation/contracts';
import { evidenceFromEvent, evidenceFromVoltage, voltageSamples } from './signals';
import { oneMeterTopology } from '../test/topology-fixture';

const topology = oneMeterTopology('410100001001', '4101-00001');

const event = (over: Partial<DeviceEvent>): DeviceEvent => ({
  eventId: 'ev1',
  deviceId: '410100001001',
  deviceKind: DeviceKind.DEVICE_KIND_METER,
  type: EventType.EVENT_TYPE_METER_POWER_DOWN,
  code: '03110001',
  occurredAtMs: 1_000,
  endedAtMs: 0,
  receivedAtMs: 5_000,
  terminalAddress: '4101-00001',
  measurementPoint: 0,
  attributes: {},
  raw: Buffer.alloc(0),
  source: undefined,
  ...over,
});

describe('evidence from events', () => {
  it('turns an open power-down record into supply-lost evidence routed to the meter feeder', () => {
    expect(evidenceFromEvent(event({}), topology)).toEqual([
      expect.objectContaining({ evidenceId: 'ev1', kind: EvidenceKind.EVIDENCE_KIND_METER_EVENT, supplyLost: true, meterId: '410100001001', feederId: 'F', occurredAtMs: 1_000, ingestedAtMs: 5_000 }),
    ]);
  });

  it('turns a closed record into loss and restoration, each with its own id', () => {
    const ev = evidenceFromEvent(event({ endedAtMs: 3_000 }), topology);
    expect(ev.map((e) => [e.evidenceId, e.supplyLost, e.occurredAtMs])).toEqual([
      ['ev1', true, 1_000],
      ['ev1:end', false, 3_000],
    ]);
  });

  it('routes a terminal power-off to the feeders of its meters; unknown devices and phase events give nothing', () => {
    const off = evidenceFromEvent(event({ deviceId: '4101-00001', deviceKind: DeviceKind.DEVICE_KIND_TERMINAL, type: EventType.EVENT_TYPE_TERMINAL_POWER_OFF, code: 'ERC14' }), topology);
    expect(off).toEqual([expect.objectContaining({ kind: EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT, terminalAddress: '4101-00001', feederId: 'F', supplyLost: true })]);
    expect(evidenceFromEvent(event({ deviceId: '999999999999' }), topology)).toEqual([]);
    expect(evidenceFromEvent(event({ type: EventType.EVENT_TYPE_PHASE_LOSS }), topology)).toEqual([]);
  });
});

describe('evidence from voltage readings', () => {
  const r = (quantity: string, value: number, quality = 0): Reading => ({
    meterId: '410100001001',
    terminalAddress: '4101-00001',
    measurementPoint: 1,
    quantity,
    tariff: 0,
    unit: Unit.UNIT_V,
    value,
    dataTimeMs: 900_000,
    receivedAtMs: 901_000,
    quality,
    source: undefined,
  });

  it('says "no supply" only when every phase is near zero, and ignores flagged values', () => {
    const [zero] = voltageSamples([r('voltage.a', 0), r('voltage.b', 0.4), r('voltage.c', 3), r('power.active.total', 0)]);
    expect(evidenceFromVoltage(zero!, undefined, topology)).toMatchObject({ kind: EvidenceKind.EVIDENCE_KIND_VOLTAGE, supplyLost: true, occurredAtMs: 900_000, ingestedAtMs: 901_000, feederId: 'F' });
    const [partial] = voltageSamples([r('voltage.a', 0), r('voltage.b', 221), r('voltage.c', 0)]);
    expect(evidenceFromVoltage(partial!, undefined, topology)).toBeUndefined();
    expect(voltageSamples([r('voltage.a', 0, 1)])).toEqual([]);
  });

  it('reports normal voltage only when it changes what was last seen', () => {
    const [normal] = voltageSamples([r('voltage.a', 220.1), r('voltage.b', 219.8), r('voltage.c', 221)]);
    expect(evidenceFromVoltage(normal!, false, topology)).toBeUndefined();
    expect(evidenceFromVoltage(normal!, true, topology)).toMatchObject({ supplyLost: false, detail: 'U=220.1/219.8/221 V' });
  });
});
