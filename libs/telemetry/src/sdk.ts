import { metrics } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface TelemetryOptions {
  service: string;
  instanceId: string;
  version?: string;
  tracesExporter: 'none' | 'console' | 'otlp';
  otlpEndpoint?: string | undefined;
  /** Extra exporter, exported synchronously (tests pass an InMemorySpanExporter here). */
  spanExporter?: SpanExporter;
}

export interface Telemetry {
  /** Serves the Prometheus text exposition of every OpenTelemetry metric of this process. */
  handleMetrics(req: IncomingMessage, res: ServerResponse): void;
  /** Text of the Prometheus exposition, for tests and diagnostics. */
  collectPrometheusText(): Promise<string>;
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

/**
 * Starts the OpenTelemetry SDK. Call it before anything else is imported (main.ts does this first)
 * so that every tracer and meter obtained later belongs to this SDK. Idempotent per process.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (active) return active;
  const processors: SpanProcessor[] = [];
  if (options.spanExporter) processors.push(new SimpleSpanProcessor(options.spanExporter));
  if (options.tracesExporter === 'console') processors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
  if (options.tracesExporter === 'otlp') {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter(options.otlpEndpoint ? { url: options.otlpEndpoint } : {})));
  }
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: `gridstation-${options.service}`,
      [ATTR_SERVICE_VERSION]: options.version ?? '0.1.0',
      'service.instance.id': options.instanceId,
    }),
    spanProcessors: processors,
    metricReader: prometheus,
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    // Instrumentation is explicit (bus, gRPC, HTTP edges) rather than monkey-patched.
    instrumentations: [],
  });
  sdk.start();
  const telemetry: Telemetry = {
    handleMetrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    collectPrometheusText: () =>
      new Promise((resolve, reject) => {
        const chunks: string[] = [];
        const res = {
          statusCode: 200,
          setHeader: () => undefined,
          end: (body?: string) => {
            if (body) chunks.push(body);
            resolve(chunks.join(''));
          },
        } as unknown as ServerResponse;
        try {
          prometheus.getMetricsRequestHandler({} as IncomingMessage, res);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    shutdown: async () => {
      active = undefined;
      await sdk.shutdown();
      metrics.disable();
    },
  };
  active = telemetry;
  return telemetry;
}
