import type { Admin } from 'kafkajs';
import { TOPICS } from '@gridstation/bus';
import { sleep } from '@gridstation/testing';
import { quantiles, scrape, total, type ProcWatch, type Scrape } from './observe';

// One load step: offer a rate for a warm-up, then measure for a window: what went in, what came out of
// storage (in both stores), latency from frame receipt to both stores' acknowledgement, CPU and memory
// per process, and Kafka consumer lag at the end of the window.

export interface StepResult {
  label: string;
  /** Readings per second the load generator was asked for (estimated from the previous steps). */
  requestedPerSec?: number;
  offeredPerSec: number;
  framesPerSec: number;
  parsedPerSec: number;
  /** Readings through storage's checks and written to both stores (exact duplicates are checked, not rewritten). */
  storedPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMsBound?: number;
  lag?: { parser: number; storage: number };
  /** One batch write per store: p50/p99 ms and rows per write (p50). */
  flushes?: Record<string, { p50Ms: number; p99Ms: number; rowsP50: number }>;
  deadLetters: number;
  processes: Record<string, { cpuPercent: number; peakRssMiB: number }>;
  /** Stored at least 95% of what was offered, and p99 within the target. */
  holds: boolean;
  /** Why the next, higher step was not run. */
  broke?: string;
}

export interface StepProbe {
  /** HTTP ports of the services whose metrics are summed (comm, parser, storage; or the one station). */
  ports: number[];
  /** Readings put on the wire so far; without it, what the parser produced counts as offered. */
  offered?(): number;
  watch: ProcWatch;
  admin?: Admin;
}

async function scrapeAll(ports: number[]): Promise<Scrape> {
  const merged: Scrape = new Map();
  for (const s of await Promise.all(ports.map(scrape))) for (const [k, v] of s) merged.set(k, (merged.get(k) ?? 0) + v);
  return merged;
}

export async function kafkaLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let lag = 0;
  for (const topic of topics) {
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const e of ends) {
      const c = byPartition.get(e.partition) ?? -1;
      lag += Number(e.high) - (c < 0 ? Number(e.low) : c);
    }
  }
  return lag;
}

export const P99_TARGET_MS = 500;

/** Measures one step while the caller keeps offering load: waits out the warm-up, then scrapes around the window. */
export async function measureStep(label: string, probe: StepProbe, warmupMs: number, windowMs: number, requestedPerSec?: number): Promise<StepResult> {
  await sleep(warmupMs);
  const m0 = await scrapeAll(probe.ports);
  const o0 = probe.offered?.() ?? 0;
  const t0 = performance.now();
  probe.watch.start();
  await sleep(windowMs);
  const m1 = await scrapeAll(probe.ports);
  const o1 = probe.offered?.() ?? 0;
  const secs = (performance.now() - t0) / 1000;
  const processes = probe.watch.stop();
  const lag = probe.admin
    ? { parser: await kafkaLag(probe.admin, 'gs-parser', [TOPICS.rawFrames]), storage: (await kafkaLag(probe.admin, 'gs-storage', [TOPICS.readings])) + (await kafkaLag(probe.admin, 'gs-storage-events', [TOPICS.events])) }
    : undefined;
  const d = (name: string, ...match: string[]) => (total(m1, name, ...match) - total(m0, name, ...match)) / secs;
  const q = quantiles(m0, m1, 'gs_storage_end_to_end_seconds');
  const flushes: NonNullable<StepResult['flushes']> = {};
  for (const table of ['readings', 'meter_data']) {
    const f = quantiles(m0, m1, 'gs_storage_flush_duration_seconds', `table="${table}"`);
    const rows = quantiles(m0, m1, 'gs_storage_flush_rows', `table="${table}"`);
    if (f) flushes[table] = { p50Ms: f.p50 * 1000, p99Ms: f.p99 * 1000, rowsP50: rows?.p50 ?? 0 };
  }
  const offeredPerSec = probe.offered ? (o1 - o0) / secs : d('gs_parser_readings_total');
  const storedPerSec = d('gs_storage_readings_checked_total');
  const result: StepResult = {
    label,
    ...(requestedPerSec === undefined ? {} : { requestedPerSec }),
    offeredPerSec,
    framesPerSec: d('gs_comm_frames_received_total'),
    parsedPerSec: d('gs_parser_readings_total'),
    storedPerSec,
    ...(q ? { p50Ms: q.p50 * 1000, p99Ms: q.p99 * 1000, maxMsBound: q.maxBound * 1000 } : {}),
    ...(lag ? { lag } : {}),
    flushes,
    deadLetters: Math.round(d('gs_bus_messages_dead_lettered_total') * secs),
    processes,
    holds: offeredPerSec > 0 && storedPerSec >= 0.95 * offeredPerSec && q !== undefined && q.p99 * 1000 <= P99_TARGET_MS,
  };
  return result;
}

/** Why rising further makes no sense after this step (undefined: go on). */
export function breakReason(s: StepResult): string | undefined {
  if (s.requestedPerSec !== undefined && s.offeredPerSec < 0.8 * s.requestedPerSec) return `the load generator offered ${Math.round(s.offeredPerSec)}/s of ${Math.round(s.requestedPerSec)}/s asked (CPU is saturated)`;
  if (s.storedPerSec < 0.8 * s.offeredPerSec) return `storage kept up with only ${Math.round((100 * s.storedPerSec) / Math.max(1, s.offeredPerSec))}% of the offered load`;
  if ((s.p99Ms ?? 0) > 5000) return `p99 ${Math.round(s.p99Ms ?? 0)} ms`;
  return undefined;
}

/** Waits until the consumer groups have caught up (or the time is up); returns how long it took. */
export async function drain(admin: Admin | undefined, timeoutMs: number): Promise<number> {
  const started = performance.now();
  if (!admin) return 0;
  while (performance.now() - started < timeoutMs) {
    const lag = (await kafkaLag(admin, 'gs-parser', [TOPICS.rawFrames])) + (await kafkaLag(admin, 'gs-storage', [TOPICS.readings])) + (await kafkaLag(admin, 'gs-storage-events', [TOPICS.events]));
    if (lag === 0) break;
    await sleep(500);
  }
  return performance.now() - started;
}
