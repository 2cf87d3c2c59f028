export { TOPICS, TOPIC_SPECS, DURABLE_TOPICS, type TopicName, type TopicSpec } from './topics';
export { DurableLog, type DurableLogOptions } from './durable-log';
export {
  OK,
  deadLetter,
  drop,
  isolate,
  retry,
  type BatchHandler,
  type InboundBatch,
  type InboundMessage,
  type MessageBus,
  type Outcome,
  type OutboundMessage,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
} from './types';
export { InFlightGate } from './in-flight-gate';
export { planOutcomes, OutcomeCountMismatchError } from './outcomes';
export { consumerLag } from './instrumentation';
export { buildDeadLetter, deadLetterRecord, type DeadLetterFields, type DeadLetterReason } from './dead-letter';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus';
export { MemoryBus, type MemoryBusOptions } from './memory-bus';
export { createBus } from './create-bus';
export { managedBus } from './managed-bus';
export { BUS } from './token';
export { groupBy, recordValue } from './record-value';
export { ConsumerPipeline, protoDecoder, step, type StepResult, type Item, type MessageStep, type BatchStep, type Effect } from './pipeline';
