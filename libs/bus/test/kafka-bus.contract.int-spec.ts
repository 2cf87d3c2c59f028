import { infra, requireService, sleep, testLogger, uniqueName, waitFor } from '@gridstation/testing';
import { consumerLag, KafkaBus, OK, type Subscription } from '../src';
import { busContract } from './bus-contract';

busContract(
  'Kafka adapter (real broker)',
  async () => {
    await requireService('kafka');
    return new KafkaBus({ service: 'contract', clientId: uniqueName('contract'), brokers: infra.kafkaBrokers, log: testLogger(process.env['GS_TEST_LOG'] ?? 'silent') });
  },
  60_000,
);

busContract(
  'Kafka adapter, pipelined consumer (GS_KAFKA_PIPELINE=on)',
  async () => {
    await requireService('kafka');
    return new KafkaBus({ service: 'contract', clientId: uniqueName('contract'), brokers: infra.kafkaBrokers, log: testLogger(process.env['GS_TEST_LOG'] ?? 'silent'), pipelined: true });
  },
  60_000,
);

describe('Kafka adapter: pipelined fetching', () => {
  const buses: KafkaBus[] = [];
  const subs: Subscription[] = [];
  const open = async (pipelined: boolean) => {
    await requireService('kafka');
    const bus = new KafkaBus({ service: 'pipeline', clientId: uniqueName('pipeline'), brokers: infra.kafkaBrokers, log: testLogger(process.env['GS_TEST_LOG'] ?? 'silent'), pipelined });
    buses.push(bus);
    const topic = uniqueName('pipeline');
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    return { bus, topic };
  };
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.close()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  /** Record "0" is held until released; the values of the other records are collected as their handling starts. */
  async function holdFirst(pipelined: boolean) {
    const { bus, topic } = await open(pipelined);
    const groupId = uniqueName('group');
    const started: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    subs.push(
      await bus.subscribe({
        groupId,
        topics: [topic],
        maxBatchSize: 1,
        handler: async (b) => {
          const v = b.messages[0]!.value.toString();
          if (v === '0') await held;
          else started.push(v);
          return OK;
        },
      }),
    );
    await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: Buffer.from(String(i)) })));
    await waitFor(() => consumerLag.get(groupId, topic, 0) === 10, 'the records fetched', 60_000);
    return { groupId, topic, started, release };
  }

  it('handles later records while an earlier one is still being handled, and commits nothing past the one not settled', async () => {
    const { groupId, topic, started, release } = await holdFirst(true);
    await waitFor(() => started.length === 9, 'records 1-9 handled while record 0 is held', 30_000);
    expect(started).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Settled but above an unsettled record: not committed.
    await sleep(500);
    expect(consumerLag.get(groupId, topic, 0)).toBe(10);
    release();
    await waitFor(() => consumerLag.get(groupId, topic, 0) === 0, 'every offset committed once record 0 settled', 30_000);
  }, 90_000);

  it('with pipelining off, the next records wait for the one being handled', async () => {
    const { groupId, topic, started, release } = await holdFirst(false);
    await sleep(1500);
    expect(started).toEqual([]);
    release();
    await waitFor(() => started.length === 9 && consumerLag.get(groupId, topic, 0) === 0, 'the rest handled and committed after record 0', 30_000);
  }, 90_000);
});
