import { RingBuffer } from './ring-buffer';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then one token per 1/rate seconds, and says how long to wait', () => {
    let now = 0;
    const b = new TokenBucket(10, 3, () => now);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100);
    now = 100;
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(100);
    now = 10_000; // refills to the burst, not beyond
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 100]);
  });
});

describe('RingBuffer', () => {
  it('is FIFO across the wrap-around and refuses pushes when full', () => {
    const r = new RingBuffer<number>(3);
    expect([r.push(1), r.push(2), r.push(3), r.push(4)]).toEqual([true, true, true, false]);
    expect(r.shift()).toBe(1);
    expect(r.push(4)).toBe(true);
    expect(r.take(10)).toEqual([2, 3, 4]);
    expect(r.size).toBe(0);
    expect(r.shift()).toBeUndefined();
    expect(r.free).toBe(3);
  });
});
