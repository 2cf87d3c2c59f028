import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

// W3C trace context (traceparent/tracestate) carried across Kafka record headers and gRPC metadata.

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

const headerGetter: TextMapGetter<Record<string, HeaderValue>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    if (v === undefined) return undefined;
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? undefined : first.toString();
  },
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Writes the trace context of `ctx` into Kafka-style headers (string values). */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, headers, headerSetter);
  return headers;
}

/** Reads the trace context out of Kafka record headers (Buffer or string values). */
export function extractTraceContext(headers: Record<string, HeaderValue> | undefined, base: Context = context.active()): Context {
  return headers ? propagation.extract(base, headers, headerGetter) : base;
}

/** The parts of grpc-js Metadata used here; structural so this lib does not depend on grpc-js. */
export interface MetadataLike {
  get(key: string): (string | Buffer)[];
  set(key: string, value: string): void;
  getMap(): Record<string, string | Buffer>;
}

export function injectGrpcMetadata(metadata: MetadataLike, ctx: Context = context.active()): MetadataLike {
  propagation.inject(ctx, metadata, { set: (m, k, v) => m.set(k, v) });
  return metadata;
}

export function extractGrpcContext(metadata: MetadataLike, base: Context = context.active()): Context {
  return propagation.extract(base, metadata, {
    keys: (m) => Object.keys(m.getMap()),
    get: (m, k) => {
      const v = m.get(k)[0];
      return v === undefined ? undefined : v.toString();
    },
  });
}
