import { infra, requireService, testLogger, uniqueName } from '@gridstation/testing';
import { KafkaBus } from '../src';
import { busContract } from './bus-contract';

let bus: KafkaBus;

busContract(
  'Kafka adapter (real broker)',
  async () => {
    await requireService('kafka');
    bus = new KafkaBus({ service: 'contract', clientId: uniqueName('contract'), brokers: infra.kafkaBrokers, log: testLogger(process.env['GS_TEST_LOG'] ?? 'silent') });
    return {
      bus,
      topic: async (partitions) => {
        const name = uniqueName('contract');
        await bus.ensureTopics([{ name, partitions }]);
        return name;
      },
      group: () => uniqueName('group'),
      timeoutMs: 60_000,
    };
  },
  () => bus.close(),
);
