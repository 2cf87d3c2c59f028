import type { BusConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { createBus } from './create-bus';
import { MemoryBus } from './memory-bus';
import { TOPIC_SPECS } from './topics';
import type { MessageBus } from './types';

/** A bus whose start-up makes sure every station topic exists (idempotent; Kafka auto-creation is off) and replays its log. */
export function managedBus(config: BusConfig, service: string, log: Logger): MessageBus & { start(): Promise<void> } {
  const bus = createBus(config, service, log);
  const start = async () => {
    if (!(bus instanceof MemoryBus)) return bus.ensureTopics(TOPIC_SPECS);
    const { records } = await bus.recover(TOPIC_SPECS);
    if (config.logDir) log.info({ dir: config.logDir, records }, 'bus log replayed');
  };
  return Object.assign(bus, { start });
}
