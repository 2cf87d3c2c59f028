import { infra, requireService, testLogger, uniqueName } from '@gridstation/testing';
import { KafkaBus } from '../src';
import { busContract } from './bus-contract';

busContract(
  'Kafka adapter (real broker)',
  async () => {
    await requireService('kafka');
    return new KafkaBus({ service: 'contract', clientId: uniqueName('contract'), brokers: infra.kafkaBrokers, log: testLogger(process.env['GS_TEST_LOG'] ?? 'silent') });
  },
  60_000,
);
