import { IntervalLatency } from './latency';

describe('IntervalLatency', () => {
  it('describes the whole interval from a bounded sample, then starts over', () => {
    const w = new IntervalLatency(2048);
    // 100,000 readings: the first 99 % at 10..99 ms, the last 1 % at 500 ms (a stall at the end).
    for (let i = 0; i < 99_000; i++) w.add(10 + (i % 90));
    for (let i = 0; i < 1_000; i++) w.add(500);
    const t = w.take();
    expect(t.count).toBe(100_000);
    expect(t.p50).toBeGreaterThanOrEqual(45);
    expect(t.p50).toBeLessThanOrEqual(65);
    // The stall is 1 % of the interval: the p99 sits at its edge (a last-4096 window would see only it).
    expect(t.p99).toBeGreaterThanOrEqual(95);
    expect(w.take()).toEqual({ count: 0 });
  });
});
