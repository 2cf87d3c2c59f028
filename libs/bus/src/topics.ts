// Every Kafka topic of the station, in one place. Names are versioned: a breaking payload change gets a
// new topic (`.v2`) and both run side by side until consumers have moved.

export const TOPICS = {
  /** RawFrameBatch, key = terminal address. Public input: external producers may write here. */
  rawFrames: 'gs.raw.frames.v1',
  /** ReadingBatch, key = meter id. Public input: external producers may write here. */
  readings: 'gs.readings.v1',
  /** ReadingBatch of readings stored in both stores, key = meter id. */
  readingsValidated: 'gs.readings.validated.v1',
  /** DeviceEventBatch, key = device id. */
  events: 'gs.events.v1',
  /** Alert (one revision per record) for other grid systems, key = alert id. */
  alerts: 'gs.alerts.v1',
  /** EvidenceBatch, key = feeder id: analytics' internal re-keying of outage evidence. */
  evidence: 'gs.analytics.evidence.v1',
  /** DeadLetter, key = key of the rejected record. */
  deadLetter: 'gs.deadletter.v1',
  /** TaskEventBatch, key = task set id: every change of the task layer, in order per set. */
  taskEvents: 'gs.task-events.v1',
  /** EdgeTaskResult, key = task id: what an edge task's ranks send back (libs/edgetask). */
  edgeResults: 'gs.edge-results.v1',
  /** RebalanceDecision, key = decision id: the rebalancer's hotspots and agent moves. */
  rebalance: 'gs.rebalance.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Kafka retention.ms; undefined keeps the broker default. */
  retentionMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Partition counts sized for one province: enough parallelism for a dozen consumer pods per group. */
export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: TOPICS.rawFrames, partitions: 12, retentionMs: 7 * DAY_MS },
  { name: TOPICS.readings, partitions: 12, retentionMs: 3 * DAY_MS },
  { name: TOPICS.readingsValidated, partitions: 12, retentionMs: 3 * DAY_MS },
  { name: TOPICS.events, partitions: 6, retentionMs: 7 * DAY_MS },
  { name: TOPICS.alerts, partitions: 3, retentionMs: 30 * DAY_MS },
  { name: TOPICS.evidence, partitions: 6, retentionMs: 1 * DAY_MS },
  { name: TOPICS.deadLetter, partitions: 3, retentionMs: 30 * DAY_MS },
  { name: TOPICS.taskEvents, partitions: 6, retentionMs: 7 * DAY_MS },
  { name: TOPICS.rebalance, partitions: 1, retentionMs: 30 * DAY_MS },
  { name: TOPICS.edgeResults, partitions: 3, retentionMs: 7 * DAY_MS },
];

/**
 * The topics the embedded bus writes ahead to disk: what a terminal was told is safe, until it is stored
 * (raw frames, the readings and events made of them) and the dead letters. Topics without a consumer in
 * the station (validated readings, alerts) stay in memory.
 */
export const DURABLE_TOPICS: readonly string[] = [TOPICS.rawFrames, TOPICS.readings, TOPICS.events, TOPICS.deadLetter];
