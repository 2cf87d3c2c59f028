// Sinking computation (seed 004): move the computation to the data. An aggregation over edge-held data
// (an area's daily load statistics) runs where the readings are, at each edge site, and only the partial
// aggregates travel; the station merges them. When the aggregation is itself spread over workers, the
// tuples are partitioned by key, and keys are skewed (a few transformer areas hold most meters), so
// plain hashing sends one worker most of the work. The skew-aware partitioner estimates key frequencies
// from a sample, splits each heavy key over several partitions, places the keys it saw by size, and the
// result is two-phase: every partition aggregates what it got, then the partials of a split key are
// merged. Aggregates are mergeable (count, sum, min, max, sum of squares), so both phases give the same
// answer as one pass over all the data.

/** One meter's load at one time, held at an edge site. */
export interface LoadSample {
  area: number;
  day: number;
  meter: number;
  kw: number;
}

/** Mergeable statistics of one key (area and day). */
export interface LoadStats {
  count: number;
  sumKw: number;
  minKw: number;
  maxKw: number;
  sumSqKw: number;
}

export type Key = number;

/** Area and day in one number (days since the epoch fit in 20 bits). */
export const keyOf = (s: { area: number; day: number }): Key => s.area * 1_048_576 + s.day;
export const areaOfKey = (k: Key): number => Math.floor(k / 1_048_576);
export const dayOfKey = (k: Key): number => k % 1_048_576;

export function emptyStats(): LoadStats {
  return { count: 0, sumKw: 0, minKw: Infinity, maxKw: -Infinity, sumSqKw: 0 };
}

export function addSample(s: LoadStats, kw: number): void {
  s.count++;
  s.sumKw += kw;
  if (kw < s.minKw) s.minKw = kw;
  if (kw > s.maxKw) s.maxKw = kw;
  s.sumSqKw += kw * kw;
}

export function mergeStats(into: LoadStats, from: LoadStats): void {
  into.count += from.count;
  into.sumKw += from.sumKw;
  if (from.minKw < into.minKw) into.minKw = from.minKw;
  if (from.maxKw > into.maxKw) into.maxKw = from.maxKw;
  into.sumSqKw += from.sumSqKw;
}

/** Phase one anywhere: the statistics of every key in these samples. */
export function aggregate(samples: Iterable<LoadSample>): Map<Key, LoadStats> {
  const out = new Map<Key, LoadStats>();
  for (const s of samples) {
    const k = keyOf(s);
    let st = out.get(k);
    if (!st) out.set(k, (st = emptyStats()));
    addSample(st, s.kw);
  }
  return out;
}

/** Columns of a partition as a worker holds them: each tuple's key and value. */
export interface Columns {
  keys: Float64Array;
  kw: Float64Array;
}

/** Phase one over columns (what a worker runs on its partition). */
export function aggregateColumns(c: Columns): Map<Key, LoadStats> {
  const out = new Map<Key, LoadStats>();
  let lastKey = NaN;
  let last: LoadStats | undefined;
  for (let i = 0; i < c.keys.length; i++) {
    const k = c.keys[i]!;
    if (k !== lastKey) {
      last = out.get(k);
      if (!last) out.set(k, (last = emptyStats()));
      lastKey = k;
    }
    addSample(last!, c.kw[i]!);
  }
  return out;
}

/** The shuffle into columns: each partition's keys and values in typed arrays. */
export function shuffleColumns(samples: readonly LoadSample[], p: Partitioner, workers: number): Columns[] {
  const target = new Uint8Array(samples.length);
  const sizes = new Int32Array(workers);
  const seq = new Map<Key, number>();
  for (let j = 0; j < samples.length; j++) {
    const k = keyOf(samples[j]!);
    let i = 0;
    if (p.split.has(k)) {
      i = seq.get(k) ?? 0;
      seq.set(k, i + 1);
    }
    const w = p.partition(k, i);
    target[j] = w;
    sizes[w]!++;
  }
  const cols = Array.from(sizes, (n) => ({ keys: new Float64Array(n), kw: new Float64Array(n) }));
  const at = new Int32Array(workers);
  for (let j = 0; j < samples.length; j++) {
    const w = target[j]!;
    const s = samples[j]!;
    cols[w]!.keys[at[w]!] = keyOf(s);
    cols[w]!.kw[at[w]!++] = s.kw;
  }
  return cols;
}

/** Phase two: partials of the same keys (from edge sites, or from the partitions of a split key) merged. */
export function mergeAll(partials: Iterable<Map<Key, LoadStats>>): Map<Key, LoadStats> {
  const out = new Map<Key, LoadStats>();
  for (const p of partials) {
    for (const [k, st] of p) {
      const have = out.get(k);
      if (have) mergeStats(have, st);
      else out.set(k, { ...st });
    }
  }
  return out;
}

/** A 32-bit mix of a key (splitmix-style), so consecutive keys spread over partitions. */
export function hashKey(k: Key): number {
  let x = (k ^ (k / 4_294_967_296)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export interface Partitioner {
  readonly name: string;
  /** The partition of the `seq`-th tuple of key `k` (seq lets a split key go round its partitions). */
  partition(k: Key, seq: number): number;
  /** Keys split over more than one partition (merged in phase two). */
  readonly split: ReadonlyMap<Key, number>;
}

export function hashPartitioner(workers: number): Partitioner {
  return { name: 'hash', partition: (k) => hashKey(k) % workers, split: new Map() };
}

export interface SkewOptions {
  workers: number;
  /** A key is heavy when its estimated share is above this fraction of a fair partition (1/workers). */
  heavyFraction?: number;
}

/**
 * Placement from a sample of the keys. A key whose estimated share exceeds heavyFraction/workers is heavy
 * and split into ceil(share x workers / heavyFraction) parts (at most `workers`). Every key seen in the
 * sample (the parts of heavy keys, and the light keys) is then placed largest first on the least loaded
 * partition so far (LPT); keys the sample did not see are rare and are hashed.
 */
export function skewAwarePartitioner(sample: readonly Key[], o: SkewOptions): Partitioner {
  const f = o.heavyFraction ?? 0.5;
  const counts = new Map<Key, number>();
  for (const k of sample) counts.set(k, (counts.get(k) ?? 0) + 1);
  const split = new Map<Key, number>();
  const limit = (f / o.workers) * sample.length;
  const pieces: Array<{ key: Key; weight: number }> = [];
  for (const [k, c] of counts) {
    const parts = c > limit ? Math.min(o.workers, Math.ceil(((c / sample.length) * o.workers) / f)) : 1;
    if (parts > 1) split.set(k, parts);
    for (let i = 0; i < parts; i++) pieces.push({ key: k, weight: c / parts });
  }
  pieces.sort((a, b) => b.weight - a.weight || a.key - b.key);
  const load = new Float64Array(o.workers);
  const placed = new Map<Key, number[]>();
  for (const piece of pieces) {
    const taken = placed.get(piece.key) ?? [];
    let best = -1;
    for (let w = 0; w < o.workers; w++) if (!taken.includes(w) && (best < 0 || load[w]! < load[best]!)) best = w;
    load[best]! += piece.weight;
    taken.push(best);
    placed.set(piece.key, taken);
  }
  return {
    name: 'skew-aware',
    split,
    partition: (k, seq) => {
      const at = placed.get(k);
      if (!at) return hashKey(k) % o.workers;
      return at[seq % at.length]!;
    },
  };
}

/**
 * Every (n/size)-th key from a random offset: the heavy-key detector's input. One read per sampled tuple,
 * so detection costs a small fraction of the aggregation (data arriving in random key order is assumed;
 * data sorted by key needs a random sample).
 */
export function sampleKeys(samples: readonly LoadSample[], size: number, random: () => number): Key[] {
  if (samples.length <= size) return samples.map(keyOf);
  const stride = samples.length / size;
  const offset = random() * stride;
  const out: Key[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = keyOf(samples[Math.floor(offset + i * stride)]!);
  return out;
}

/** Splits tuples into the partitions a partitioner gives (the shuffle). */
export function shuffle(samples: readonly LoadSample[], p: Partitioner, workers: number): LoadSample[][] {
  const parts: LoadSample[][] = Array.from({ length: workers }, () => []);
  const seq = new Map<Key, number>();
  for (const s of samples) {
    const k = keyOf(s);
    let i = 0;
    if (p.split.has(k)) {
      i = seq.get(k) ?? 0;
      seq.set(k, i + 1);
    }
    parts[p.partition(k, i)]!.push(s);
  }
  return parts;
}

/** Zipf(s) over n keys: P(rank r) proportional to 1 / r^s; returns a sampler of ranks 0..n-1. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cdf[r] = total += 1 / (r + 1) ** s;
  for (let r = 0; r < n; r++) cdf[r]! /= total;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A seeded generator (mulberry32), so a benchmark's data is the same run after run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
