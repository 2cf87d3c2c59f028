import { MemoryArchive } from '@gridstation/archive';
import { DeadLetter, DeviceEventBatch, Protocol, RawFrameBatch, ReadingBatch } from '@gridstation/contracts';
import { TOPICS, type InboundMessage, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { DependencyUnavailableError } from '@gridstation/errors';
import { dlt645, normalizeFrame, qgdw1376 } from '@gridstation/protocols';
import { RawFramesConsumer } from './raw-frames.consumer';

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

class CapturingBus {
  readonly out = new Map<string, OutboundMessage[]>();
  /** Publishes that fail before the bus accepts again (a broker away for a moment). */
  failures = 0;
  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new DependencyUnavailableError('kafka', 'broker unreachable');
    }
    this.out.set(topic, [...(this.out.get(topic) ?? []), ...messages]);
  }
}

const address = { region: '4101', terminal: 7, master: 0, group: false };
const time = { year: 2026, month: 11, day: 1, hour: 10, minute: 15, second: 0 };

function message(frames: Uint8Array[], offset = '42', terminalAddress = '4101-00007'): InboundMessage {
  const value = Buffer.from(
    RawFrameBatch.encode({
      frames: frames.map((payload, i) => ({ frameId: `f${i}`, protocol: Protocol.PROTOCOL_QGDW_1376_1, payload: Buffer.from(payload), terminalAddress, receivedAtMs: 1, direction: 1, source: 'test', connectionId: 'c' })),
      producer: 't',
      createdAtMs: 1,
    }).finish(),
  );
  return { topic: TOPICS.rawFrames, partition: 2, offset, key: Buffer.from('4101-00007'), value, headers: {}, timestamp: 0 };
}

describe('RawFramesConsumer', () => {
  it('turns frames into readings keyed by meter (with their source frames) and events; one bad frame goes to the dead-letter topic alone', async () => {
    const bus = new CapturingBus();
    const archive = new MemoryArchive();
    await archive.put([{ address: '4101-00007', meters: [{ pn: 1, meterId: '000000000011' }, { pn: 2, meterId: '000000000012' }] }]);
    const w = new RawFramesConsumer(bus as unknown as MessageBus, archive);
    const energy = must(qgdw1376.encodeClass1Response(address, 1, [{ pn: 1, fn: 129, values: [time, 1, 100.5, 60.25] }, { pn: 2, fn: 129, values: [time, 1, 7, 3] }]));
    const login = must(qgdw1376.encodeLinkCheck('login', address, 1));
    const broken = Uint8Array.from(energy);
    broken[14 + 4 + 3] = 0x13; // month 13 in the reading time
    const fixed = must(qgdw1376.encodeQgdwFrame({ ...must(qgdw1376.decodeQgdwFrame(energy)), control: 0x88, seq: 0x61, body: broken.subarray(14, broken.length - 2) }));
    const outcomes = await w.handle({ topic: TOPICS.rawFrames, partition: 2, messages: [message([energy, fixed, login]), { ...message([]), offset: '43', value: Buffer.from([0xff, 0xff]) }] });
    expect(outcomes).toEqual([{ status: 'ok' }, expect.objectContaining({ status: 'dead-letter', code: 'RAW_BATCH_UNDECODABLE' })]);

    const readings = (bus.out.get(TOPICS.readings) ?? []).map((m) => ({ key: String(m.key), batch: ReadingBatch.decode(m.value) }));
    expect(readings.map((r) => r.key).sort()).toEqual(['000000000011', '000000000012']);
    const first = readings.find((r) => r.key === '000000000011')!.batch;
    expect(first.readings.map((r) => [r.quantity, r.tariff, r.value])).toEqual([
      ['energy.active.import', 0, 100.5],
      ['energy.active.import', 1, 60.25],
    ]);
    expect(first.readings[0]!.source).toMatchObject({ frameId: 'f0', topic: TOPICS.rawFrames, partition: 2, offset: 42 });
    expect(first.frames.map((f) => f.frameId)).toEqual(['f0']);

    const events = (bus.out.get(TOPICS.events) ?? []).flatMap((m) => DeviceEventBatch.decode(m.value).events);
    expect(events.map((e) => e.code)).toEqual(['AFN02F1']);

    const dead = (bus.out.get(TOPICS.deadLetter) ?? []).map((m) => DeadLetter.decode(m.value));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'DECODE_RANGE', frameId: 'f1', sourceTopic: TOPICS.rawFrames, sourcePartition: 2, sourceOffset: 42 });
    expect(dead[0]!.reason).toMatch(/month|time|range/i);
    expect(Buffer.from(dead[0]!.payload)).toEqual(Buffer.from(fixed));
    expect(w.stats()).toMatchObject({ frames: 2, badFrames: 1, readings: 4, events: 1 });
  });

  it('counts a batch once when its publish had to be retried, and publishes it in full the second time', async () => {
    const bus = new CapturingBus();
    const archive = new MemoryArchive();
    await archive.put([{ address: '4101-00007', meters: [{ pn: 1, meterId: '000000000011' }] }]);
    const w = new RawFramesConsumer(bus as unknown as MessageBus, archive);
    const energy = must(qgdw1376.encodeClass1Response(address, 1, [{ pn: 1, fn: 129, values: [time, 1, 100.5, 60.25] }]));
    const batch = { topic: TOPICS.rawFrames, partition: 0, messages: [message([energy])] };
    bus.failures = 1;
    expect((await w.handle(batch)).map((o) => o.status)).toEqual(['retry']);
    expect(w.stats()).toMatchObject({ frames: 0, readings: 0 });
    expect((await w.handle(batch)).map((o) => o.status)).toEqual(['ok']);
    expect(w.stats()).toMatchObject({ frames: 1, readings: 2 });
    expect(bus.out.get(TOPICS.readings)).toHaveLength(1);
  });

  it('decodes an external record once, resolving its meters by the terminal its frame names', async () => {
    const bus = new CapturingBus();
    const archive = new MemoryArchive();
    await archive.put([{ address: '4101-00007', meters: [{ pn: 1, meterId: '000000000011' }] }]);
    let decodes = 0;
    const counting: typeof normalizeFrame = (...args) => {
      decodes++;
      return normalizeFrame(...args);
    };
    const w = new RawFramesConsumer(bus as unknown as MessageBus, archive, undefined, counting);
    const energy = must(qgdw1376.encodeClass1Response(address, 1, [{ pn: 1, fn: 129, values: [time, 1, 100.5, 60.25] }]));
    // An external producer left the terminal empty in one record and named the wrong one in another.
    await w.handle({ topic: TOPICS.rawFrames, partition: 0, messages: [message([energy], '1', ''), message([energy], '2', '4101-00099')] });
    expect(decodes).toBe(2);
    const readings = (bus.out.get(TOPICS.readings) ?? []).flatMap((m) => ReadingBatch.decode(m.value).readings);
    expect(readings.map((r) => [r.meterId, r.terminalAddress])).toEqual([
      ['000000000011', '4101-00007'],
      ['000000000011', '4101-00007'],
      ['000000000011', '4101-00007'],
      ['000000000011', '4101-00007'],
    ]);
  });

  it('takes a DL/T 645 frame only from the gateway the archive binds its meter to; any other is dead-lettered', async () => {
    const bus = new CapturingBus();
    const archive = new MemoryArchive();
    await archive.put([{ address: 'GW0001', meters: [{ pn: 1, meterId: '665544332211' }] }]);
    const w = new RawFramesConsumer(bus as unknown as MessageBus, archive);
    const reply = must(dlt645.encodeReadReply('665544332211', '00010000', [12345]));
    const record = (terminalAddress: string, offset: string): InboundMessage => ({
      ...message([], offset),
      value: Buffer.from(RawFrameBatch.encode({ frames: [{ frameId: `g${offset}`, protocol: Protocol.PROTOCOL_DLT645_2007, payload: Buffer.from(reply), terminalAddress, receivedAtMs: 1, direction: 1, source: 'test', connectionId: 'c' }], producer: 't', createdAtMs: 1 }).finish()),
    });
    await w.handle({ topic: TOPICS.rawFrames, partition: 0, messages: [record('GW0001', '1'), record('', '2'), record('GW0009', '3')] });
    expect((bus.out.get(TOPICS.readings) ?? []).flatMap((m) => ReadingBatch.decode(m.value).readings).map((r) => [r.meterId, r.value])).toEqual([['665544332211', 12345]]);
    const dead = (bus.out.get(TOPICS.deadLetter) ?? []).map((m) => DeadLetter.decode(m.value));
    expect(dead.map((d) => [d.code, d.frameId])).toEqual([
      ['METER_NOT_BOUND', 'g2'],
      ['METER_NOT_BOUND', 'g3'],
    ]);
    expect(dead[1]!.reason).toContain('it belongs to GW0001');
  });
});
