import { aggregate, hashPartitioner, keyOf, mergeAll, sampleKeys, seeded, shuffle, skewAwarePartitioner, zipf, type LoadSample, type LoadStats } from './sinking';

// Seed 004: computation at the data with mergeable partial aggregates, and skew-aware partitioning
// (heavy keys split, two-phase aggregation) that gives the same answer as one pass.

function data(n: number, areas: number, s: number, seed = 7): LoadSample[] {
  const random = seeded(seed);
  const area = zipf(areas, s, random);
  return Array.from({ length: n }, (_, i) => ({ area: area(), day: 20_790 + (i % 3), meter: i % 997, kw: Math.round(random() * 5000) / 10 }));
}

const close = (a: Map<number, LoadStats>, b: Map<number, LoadStats>) => {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, x] of a) {
    const y = b.get(k)!;
    expect([y.count, y.minKw, y.maxKw]).toEqual([x.count, x.minKw, x.maxKw]);
    expect(y.sumKw).toBeCloseTo(x.sumKw, 6);
    expect(y.sumSqKw).toBeCloseTo(x.sumSqKw, 3);
  }
};

describe('sinking aggregation', () => {
  it('merges per-site partials into exactly the one-pass statistics', () => {
    const all = data(20_000, 50, 1.1);
    const sites = [all.slice(0, 7_000), all.slice(7_000, 12_000), all.slice(12_000)];
    close(aggregate(all), mergeAll(sites.map((s) => aggregate(s))));
  });

  it('draws Zipf keys: rank 0 is the most frequent, with about the expected share', () => {
    const random = seeded(1);
    const z = zipf(1_000, 1.0, random);
    const counts = new Array<number>(1_000).fill(0);
    for (let i = 0; i < 100_000; i++) counts[z()]!++;
    let h = 0;
    for (let r = 1; r <= 1_000; r++) h += 1 / r;
    expect(counts[0]! / 100_000).toBeCloseTo(1 / h, 2);
    expect(counts[0]!).toBeGreaterThan(counts[9]! * 5);
  });
});

describe('skew-aware partitioning', () => {
  const workers = 8;
  const all = data(200_000, 2_000, 1.2);

  it('splits the heavy keys found in a sample and leaves the light ones whole', () => {
    const p = skewAwarePartitioner(sampleKeys(all, 10_000, seeded(3)), { workers });
    const top = keyOf({ area: 0, day: 20_790 });
    expect(p.split.get(top)).toBeGreaterThan(1);
    expect(p.split.size).toBeLessThan(50);
    const light = keyOf({ area: 1_999, day: 20_790 });
    expect(new Set([0, 1, 2, 3].map((seq) => p.partition(light, seq))).size).toBe(1);
    expect(new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seq) => p.partition(top, seq))).size).toBe(p.split.get(top));
  });

  it("cuts the largest partition's share below hashing's and gives the same answer in two phases", () => {
    const largest = (parts: LoadSample[][]) => Math.max(...parts.map((x) => x.length)) / all.length;
    const hashed = shuffle(all, hashPartitioner(workers), workers);
    const skew = shuffle(all, skewAwarePartitioner(sampleKeys(all, 10_000, seeded(3)), { workers }), workers);
    // Hashing leaves the partition holding the top key well above a fair share; placement by the sample comes close to it.
    expect(largest(hashed)).toBeGreaterThan(1.4 / workers);
    expect(largest(skew)).toBeLessThan(1.15 / workers);
    close(aggregate(all), mergeAll(skew.map((part) => aggregate(part))));
    close(aggregate(all), mergeAll(hashed.map((part) => aggregate(part))));
  });
});
