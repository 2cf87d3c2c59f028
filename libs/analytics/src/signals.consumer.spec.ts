import type { TopologyProvider } from '@gridstation/archive';
import { TOPICS, type InboundMessage, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { EvidenceBatch, ReadingBatch, Unit, type Reading } from '@gridstation/contracts';
import { DependencyUnavailableError } from '@gridstation/errors';
import { SignalConsumer } from './signals.consumer';
import { oneMeterTopology } from '../test/topology-fixture';

// What the signal consumer remembers per meter (the last voltage seen, the limit debounce) must only
// change once its outputs are published: a batch delivered again after a failed publish has to give the
// same evidence, not be taken for old news.

const topology = oneMeterTopology('m1', 'T');
const provider = { current: () => topology } as unknown as TopologyProvider;

class FlakyBus {
  readonly out: Array<{ topic: string; messages: readonly OutboundMessage[] }> = [];
  failures = 0;
  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new DependencyUnavailableError('kafka', 'broker unreachable');
    }
    this.out.push({ topic, messages });
  }
}

const voltage = (phase: string, value: number, at: number): Reading => ({
  meterId: 'm1',
  terminalAddress: 'T',
  measurementPoint: 1,
  quantity: `voltage.${phase}`,
  tariff: 0,
  unit: Unit.UNIT_V,
  value,
  dataTimeMs: at,
  receivedAtMs: at + 1000,
  quality: 0,
  source: undefined,
});
const zeroVoltage = (at: number): InboundMessage => ({
  topic: TOPICS.readings,
  partition: 0,
  offset: '7',
  key: Buffer.from('m1'),
  value: Buffer.from(ReadingBatch.encode({ readings: ['a', 'b', 'c'].map((p) => voltage(p, 0, at)), producer: 't', createdAtMs: 0, frames: [] }).finish()),
  headers: {},
  timestamp: 0,
});

describe('SignalConsumer', () => {
  it('derives the same evidence again when the batch comes back after a failed publish', async () => {
    const bus = new FlakyBus();
    const c = new SignalConsumer(bus as unknown as MessageBus, provider, { groupId: 'g', producer: 'test' });
    const batch = { topic: TOPICS.readings, partition: 0, messages: [zeroVoltage(1_000_000)] };
    bus.failures = 1;
    expect((await c.handle(batch)).map((o) => o.status)).toEqual(['retry']);
    expect((await c.handle(batch)).map((o) => o.status)).toEqual(['ok']);
    const evidence = bus.out.filter((o) => o.topic === TOPICS.evidence).flatMap((o) => o.messages.flatMap((m) => EvidenceBatch.decode(m.value).evidence));
    expect(evidence.map((e) => [e.evidenceId, e.supplyLost, e.feederId])).toEqual([['v:m1:1000000', true, 'F']]);
    expect(c.stats).toMatchObject({ samples: 1, evidence: 1 });
  });
});
