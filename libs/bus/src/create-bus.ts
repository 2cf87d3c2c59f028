import type { BusConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { KafkaBus } from './kafka-bus';
import { DurableLog } from './durable-log';
import { MemoryBus } from './memory-bus';
import { DURABLE_TOPICS } from './topics';
import type { MessageBus } from './types';

/** The one place that chooses the adapter: services only ever see MessageBus. */
export function createBus(config: BusConfig, service: string, log: Logger): MessageBus {
  switch (config.kind) {
    case 'kafka':
      return new KafkaBus({ service, clientId: config.clientId, brokers: config.brokers, log, partitionsConsumedConcurrently: config.partitionsConcurrency, pipelined: config.pipelined });
    case 'memory':
      return new MemoryBus({ service, log, ...(config.partitionBytes ? { maxRetainedBytes: config.partitionBytes } : {}), ...(config.logDir ? { durable: { log: new DurableLog({ dir: config.logDir }), topics: DURABLE_TOPICS } } : {}) });
  }
}
