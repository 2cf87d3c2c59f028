// The overview's numbers, from the services' own /metrics endpoints (the Prometheus text every service
// serves): read once a second while someone looks (a live stream is open, or the overview was asked for
// in the last minute), turned into rates between two reads, kept for the last few minutes so a page that
// opens sees the recent past at once. Nobody looking, nothing is read.

export interface Sample {
  at: number;
  connections: number;
  framesPerS: number;
  readingsParsedPerS: number;
  readingsStoredPerS: number;
  readingsStored: number;
  lag: number;
  deadLetters: number;
  /** Frame receipt to both stores, p99 over the last interval (ms), NaN when nothing was stored. */
  p99Ms: number;
}

type Series = Map<string, number>;

/** Parses Prometheus text exposition into name{labels} -> value. */
export function parseExposition(text: string): Series {
  const out: Series = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

function sum(s: Series, name: string): number {
  let t = 0;
  for (const [k, v] of s) if ((k === name || k.startsWith(`${name}{`)) && Number.isFinite(v)) t += v;
  return t;
}

/** Cumulative bucket counts of a histogram, summed over its label sets, by upper bound. */
function buckets(s: Series, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of s) {
    if (!k.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(k)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + v);
  }
  return out;
}

/** The q-quantile of the observations between two reads of a histogram (linear within a bucket). */
export function quantileBetween(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      const hi = bounds[i]!;
      if (!Number.isFinite(hi)) return lo;
      const below = i === 0 ? 0 : counts[i - 1]!;
      const inBucket = counts[i]! - below;
      return inBucket > 0 ? lo + ((hi - lo) * (rank - below)) / inBucket : hi;
    }
  }
  return bounds[bounds.length - 2] ?? NaN;
}

export class MetricsSampler {
  private last: { at: number; s: Series[] } | undefined;
  private readonly history: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(s: Sample) => void>();
  private wantedAt = -Infinity;

  constructor(
    private readonly targets: readonly string[] | (() => readonly string[]),
    private readonly everyMs = 1_000,
    private readonly keep = 300,
    private readonly fetchText: (url: string) => Promise<string> = async (url) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text(),
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      if (this.listeners.size > 0 || Date.now() - this.wantedAt < 60_000) void this.tick();
      else this.last = undefined; // the next read starts a new interval
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** What has been read (and keeps the sampler reading for another minute). */
  recent(): Sample[] {
    this.wantedAt = Date.now();
    return [...this.history];
  }

  subscribe(f: (s: Sample) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  async tick(now = Date.now()): Promise<Sample | undefined> {
    const targets = typeof this.targets === 'function' ? this.targets() : this.targets;
    const texts = await Promise.all(targets.map((t) => this.fetchText(t).catch(() => '')));
    const s = texts.map(parseExposition);
    const prev = this.last;
    this.last = { at: now, s };
    if (!prev) return undefined;
    const dt = Math.max(0.001, (now - prev.at) / 1000);
    const rate = (name: string) => Math.max(0, (total(s, name) - total(prev.s, name)) / dt);
    const sample: Sample = {
      at: now,
      connections: total(s, 'gs_comm_connections'),
      framesPerS: rate('gs_comm_frames_received_total'),
      readingsParsedPerS: rate('gs_parser_readings_total'),
      readingsStoredPerS: rate('gs_storage_readings_stored_total'),
      readingsStored: total(s, 'gs_storage_readings_stored_total'),
      lag: total(s, 'gs_bus_consumer_lag'),
      deadLetters: total(s, 'gs_bus_messages_dead_lettered_total'),
      p99Ms: quantileBetween(histogram(prev.s, 'gs_storage_end_to_end_seconds'), histogram(s, 'gs_storage_end_to_end_seconds'), 0.99) * 1000,
    };
    this.history.push(sample);
    if (this.history.length > this.keep) this.history.shift();
    for (const f of this.listeners) f(sample);
    return sample;
  }
}

// Sums and histograms run over every target's series.
function total(all: Series[], name: string): number {
  return all.reduce((t, s) => t + sum(s, name), 0);
}
function histogram(all: Series[], name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of all) for (const [b, v] of buckets(s, name)) out.set(b, (out.get(b) ?? 0) + v);
  return out;
}
