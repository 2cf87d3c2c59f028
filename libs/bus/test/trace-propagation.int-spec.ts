import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '@gridstation/telemetry';
import { infra, requireService, testLogger, uniqueName, waitFor } from '@gridstation/testing';
import { KafkaBus, OK } from '../src';

// One trace from the producer's span, through a real Kafka broker, into the consumer's handler.
describe('trace context across real Kafka', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let bus: KafkaBus;

  beforeAll(async () => {
    await requireService('kafka');
    telemetry = startTelemetry({ service: 'trace-spec', instanceId: 'i', tracesExporter: 'none', spanExporter: exporter });
    bus = new KafkaBus({ service: 'trace-spec', clientId: uniqueName('trace'), brokers: infra.kafkaBrokers, log: testLogger() });
  });
  afterAll(async () => {
    await bus.close();
    await telemetry.shutdown();
  });

  it('continues the producer trace in the consumer span and the handler', async () => {
    const topic = uniqueName('trace');
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    let handlerTraceId: string | undefined;
    const sub = await bus.subscribe({
      groupId: uniqueName('trace-group'),
      topics: [topic],
      handler: async () => {
        handlerTraceId = trace.getSpanContext(context.active())?.traceId;
        return OK;
      },
    });
    const root = trace.getTracer('spec').startSpan('socket receive');
    await context.with(trace.setSpan(context.active(), root), () =>
      bus.publish(topic, [{ key: 'terminal-1', value: Buffer.from('frame') }]),
    );
    root.end();
    await waitFor(() => handlerTraceId, 'the handler to run', 30_000);
    await sub.close();
    const traceId = root.spanContext().traceId;
    expect(handlerTraceId).toBe(traceId);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['socket receive', `${topic} publish`, `${topic} process`]));
    const publish = spans.find((s) => s.name === `${topic} publish`)!;
    const processSpan = spans.find((s) => s.name === `${topic} process`)!;
    // The consumer span is the child of the producer span: the trace is one chain, not siblings.
    expect(processSpan.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });
});
