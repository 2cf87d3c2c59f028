import type { BusConfig } from '@gridstation/config';
import type { Logger } from '@gridstation/telemetry';
import { createBus } from './create-bus';
import { TOPIC_SPECS } from './topics';
import type { MessageBus } from './types';

/** A bus whose start-up makes sure every station topic exists (idempotent; Kafka auto-creation is off). */
export function managedBus(config: BusConfig, service: string, log: Logger): MessageBus & { start(): Promise<void> } {
  const bus = createBus(config, service, log);
  return Object.assign(bus, { start: () => bus.ensureTopics(TOPIC_SPECS) });
}
