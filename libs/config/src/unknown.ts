import type { z } from 'zod';
import type { EnvSource } from './load';

// A misspelled variable (GS_BATCH_DELAY instead of GS_BATCH_DELAY_MS) would otherwise be ignored in
// silence and the default used. Every service's schema is listed here, so that a variable no service
// reads is reported with the closest name that exists; a variable another service reads (one shared
// config map for all pods) is not a mistake and is not reported.

export interface UnknownVariable {
  name: string;
  closest?: string;
}

function shapeKeys(schema: z.ZodTypeAny): string[] {
  let s: z.ZodTypeAny = schema;
  while (s._def && 'schema' in s._def) s = (s._def as { schema: z.ZodTypeAny }).schema;
  const shape = (s as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Variables of the tooling around the services (tools/infra, tests, benchmarks), which set them for themselves. */
const TOOLING = /^GS_(E2E_|SCENARIO_|TEST_|BENCH_|INFRA_DIR$|GRPCURL_VERSION$|(KAFKA|KAFKA_CONTROLLER|CLICKHOUSE_HTTP|CLICKHOUSE_TCP|HBASE_ZK|HBASE_THRIFT|REDIS)_PORT$)/;

/** GS_ variables in `env` that no schema in `schemas` reads, each with the closest known name (if one is near). */
export function unknownVariables(env: EnvSource, schemas: readonly z.ZodTypeAny[]): UnknownVariable[] {
  const known = new Set(schemas.flatMap(shapeKeys));
  const out: UnknownVariable[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('GS_') || known.has(name) || TOOLING.test(name)) continue;
    let best: { name: string; d: number } | undefined;
    for (const k of known) {
      const d = distance(name, k);
      if (!best || d < best.d) best = { name: k, d };
    }
    out.push({ name, ...(best && best.d <= Math.max(3, Math.floor(name.length / 4)) ? { closest: best.name } : {}) });
  }
  return out;
}
