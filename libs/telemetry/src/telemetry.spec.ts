import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { createLogger, extractGrpcContext, extractTraceContext, gsMeter, injectGrpcMetadata, injectTraceHeaders, startTelemetry } from './index';

class FakeMetadata {
  private readonly m = new Map<string, string>();
  get(k: string): string[] {
    const v = this.m.get(k);
    return v === undefined ? [] : [v];
  }
  set(k: string, v: string): void {
    this.m.set(k, v);
  }
  getMap(): Record<string, string> {
    return Object.fromEntries(this.m);
  }
}

describe('telemetry', () => {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({ service: 'test', instanceId: 't-1', tracesExporter: 'none', spanExporter: exporter });
  afterAll(() => telemetry.shutdown());

  it('carries a span context through Kafka-style headers', () => {
    const tracer = trace.getTracer('spec');
    const span = tracer.startSpan('produce');
    const headers = injectTraceHeaders({}, trace.setSpan(context.active(), span));
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Kafka delivers header values as Buffers.
    const extracted = extractTraceContext({ traceparent: Buffer.from(headers['traceparent']!) });
    expect(trace.getSpanContext(extracted)?.traceId).toBe(span.spanContext().traceId);
    span.end();
  });

  it('carries a span context through gRPC metadata', () => {
    const span = trace.getTracer('spec').startSpan('call');
    const md = new FakeMetadata();
    injectGrpcMetadata(md, trace.setSpan(context.active(), span));
    expect(trace.getSpanContext(extractGrpcContext(md))?.spanId).toBe(span.spanContext().spanId);
    span.end();
  });

  it('writes trace ids into log lines inside a span', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ service: 'test', instanceId: 't-1', level: 'info' }, sink);
    const span = trace.getTracer('spec').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
    log.info('outside');
    span.end();
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({ msg: 'inside', trace_id: span.spanContext().traceId, service: 'test' });
    expect(outside?.['trace_id']).toBeUndefined();
  });

  it('exposes recorded metrics in Prometheus text format', async () => {
    gsMeter('spec').createCounter('gs_spec_frames_total', { description: 'frames seen by the spec' }).add(3, { protocol: 'x' });
    const text = await telemetry.collectPrometheusText();
    expect(text).toMatch(/gs_spec_frames_total\{[^}]*protocol="x"[^}]*\} 3/);
  });

  it('records finished spans in the supplied exporter', () => {
    trace.getTracer('spec').startSpan('exported').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('exported');
  });
});
