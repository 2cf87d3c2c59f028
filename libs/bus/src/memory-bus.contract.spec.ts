import { testLogger } from '@gridstation/testing';
import { busContract } from '../test/bus-contract';
import { MemoryBus } from './memory-bus';

busContract('in-process adapter', async () => new MemoryBus({ service: 'contract', log: testLogger() }), 5000);
