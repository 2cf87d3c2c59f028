import { context, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { extractTraceContext, gsMeter, injectTraceHeaders, SECONDS_BUCKETS } from '@gridstation/telemetry';
import type { InboundBatch, Subscription } from './types';

const meter = gsMeter('bus');

export const busMetrics = {
  published: meter.createCounter('gs_bus_messages_published_total', { description: 'Records published, by topic' }),
  consumed: meter.createCounter('gs_bus_messages_consumed_total', { description: 'Records settled by a handler, by topic and group' }),
  deadLettered: meter.createCounter('gs_bus_messages_dead_lettered_total', { description: 'Records sent to the dead-letter topic, by code' }),
  dropped: meter.createCounter('gs_bus_messages_dropped_total', { description: 'Records a handler deliberately ignored, by topic and group' }),
  retries: meter.createCounter('gs_bus_handler_retries_total', { description: 'Handler retries, by topic and group' }),
  isolations: meter.createCounter('gs_bus_batch_isolations_total', { description: 'Batches redelivered one record at a time after a permanent failure, by topic and group' }),
  stalls: meter.createCounter('gs_bus_consumer_stalls_total', { description: 'Times a subscription stopped making progress (handler stuck or fetching silent), by group' }),
  handlerSeconds: meter.createHistogram('gs_bus_handler_duration_seconds', { description: 'Time a handler spent on one batch', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } }),
  pauses: meter.createCounter('gs_bus_backpressure_pauses_total', { description: 'Times fetching paused because in-flight work hit its bound' }),
};

/** Consumer lag (log end offset minus committed offset) per group and partition, read at scrape time. */
class LagRegistry {
  private readonly lags = new Map<string, { group: string; topic: string; partition: number; lag: number }>();

  constructor() {
    meter
      .createObservableGauge('gs_bus_consumer_lag', { description: 'Records not yet committed by a consumer group, per partition' })
      .addCallback((result) => {
        for (const v of this.lags.values()) result.observe(v.lag, { group: v.group, topic: v.topic, partition: v.partition });
      });
  }

  record(group: string, topic: string, partition: number, endOffset: bigint, committed: bigint): void {
    const lag = endOffset > committed ? Number(endOffset - committed) : 0;
    this.lags.set(`${group}\u0000${topic}\u0000${partition}`, { group, topic, partition, lag });
  }

  forget(group: string): void {
    for (const [k, v] of this.lags) if (v.group === group) this.lags.delete(k);
  }

  get(group: string, topic: string, partition: number): number | undefined {
    return this.lags.get(`${group}\u0000${topic}\u0000${partition}`)?.lag;
  }
}

export const consumerLag = new LagRegistry();

const tracer = trace.getTracer('gridstation.bus');
const MAX_LINKS = 32;

/**
 * Runs a handler inside a consumer span. The span continues the trace of the first record (so a single
 * frame's trace reads socket -> produce -> consume -> store) and links the other records' traces.
 */
export async function withConsumerSpan<T>(batch: InboundBatch, groupId: string, fn: () => Promise<T>): Promise<T> {
  const first = batch.messages[0];
  const parent = extractTraceContext(first?.headers);
  const links: Link[] = [];
  for (let i = 1; i < batch.messages.length && links.length < MAX_LINKS; i++) {
    const sc = trace.getSpanContext(extractTraceContext(batch.messages[i]!.headers));
    if (sc) links.push({ context: sc });
  }
  const span = tracer.startSpan(
    `${batch.topic} process`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.consumer.group.name': groupId,
        'messaging.batch.message_count': batch.messages.length,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (e) {
    span.recordException(e instanceof Error ? e : String(e));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw e;
  } finally {
    span.end();
  }
}

/** Headers for an outgoing record: a record already carrying a trace (forwarded from another hop) keeps it. */
export function outgoingHeaders(headers: Record<string, string> | undefined, ctx = context.active()): Record<string, string> {
  return headers?.['traceparent'] ? headers : injectTraceHeaders({ ...headers }, ctx);
}

/** The bus health check's part for its consumers: a stalled subscription makes the service not ready. */
export function throwIfStalled(subscriptions: Iterable<Pick<Subscription, 'stalled'>>): void {
  const stalls: string[] = [];
  for (const s of subscriptions) {
    const why = s.stalled();
    if (why) stalls.push(why);
  }
  if (stalls.length > 0) throw new Error(stalls.join('; '));
}
