import { testLogger, uniqueName } from '@gridstation/testing';
import { busContract } from '../test/bus-contract';
import { MemoryBus } from './memory-bus';

let bus: MemoryBus;

busContract(
  'in-process adapter',
  async () => {
    bus = new MemoryBus({ service: 'contract', log: testLogger() });
    return {
      bus,
      topic: async (partitions) => {
        const name = uniqueName('contract');
        await bus.ensureTopics([{ name, partitions }]);
        return name;
      },
      group: () => uniqueName('group'),
      timeoutMs: 5000,
    };
  },
  () => bus.close(),
);
