import { MetricsSampler, parseExposition, quantileBetween } from './metrics';

const text = (frames: number, stored: number, buckets: [string, number][]) => [
  '# HELP gs_comm_frames_received_total Frames',
  '# TYPE gs_comm_frames_received_total counter',
  `gs_comm_frames_received_total{service="station"} ${frames}`,
  'gs_comm_connections{service="station"} 100',
  `gs_storage_readings_stored_total{service="station"} ${stored}`,
  'gs_bus_consumer_lag{group="g",topic="t",partition="0"} 5',
  'gs_bus_consumer_lag{group="g",topic="t",partition="1"} 7',
  ...buckets.map(([le, n]) => `gs_storage_end_to_end_seconds_bucket{service="station",le="${le}"} ${n}`),
].join('\n');

describe('overview metrics from /metrics', () => {
  it('parses the exposition format', () => {
    const s = parseExposition(text(10, 20, [['0.1', 1]]));
    expect(s.get('gs_comm_frames_received_total{service="station"}')).toBe(10);
    expect([...s.keys()].some((k) => k.startsWith('#'))).toBe(false);
  });

  it('takes the quantile of what was observed between two reads, not since the start', () => {
    const before = new Map([[0.1, 100], [0.5, 100], [1, 100], [Infinity, 100]]);
    const after = new Map([[0.1, 100], [0.5, 150], [1, 200], [Infinity, 200]]);
    // 100 new observations: 50 in (0.1, 0.5], 50 in (0.5, 1]; p99 is near the top of the second bucket.
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.99, 2);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.5, 5);
    expect(quantileBetween(after, after, 0.99)).toBeNaN();
  });

  it('turns two reads of every target into rates, sums and a p99', async () => {
    const reads = [
      [text(100, 1_000, [['0.25', 0], ['0.5', 0], ['+Inf', 0]]), text(50, 0, [])],
      [text(300, 5_000, [['0.25', 10], ['0.5', 20], ['+Inf', 20]]), text(150, 0, [])],
    ];
    let i = 0;
    const sampler = new MetricsSampler(['a', 'b'], 1_000, 10, async (url) => reads[Math.floor(i++ / 2)]![url === 'a' ? 0 : 1]!);
    expect(await sampler.tick(0)).toBeUndefined();
    const s = (await sampler.tick(2_000))!;
    expect(s).toMatchObject({ framesPerS: 150, readingsStoredPerS: 2_000, readingsStored: 5_000, connections: 200, lag: 24 });
    expect(s.p99Ms).toBeGreaterThan(250);
    expect(s.p99Ms).toBeLessThanOrEqual(500);
    expect(sampler.recent()).toHaveLength(1);
  });
});
