import { RingBuffer } from './ring-buffer';
import { TokenBucket } from '@gridstation/edge';

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

describe('TokenBucket taking several tokens at once (an edge agent\'s bytes)', () => {
  it('takes n tokens when they are there, says how long until they are, and never asks for more than the burst', () => {
    let now = 0;
    const b = new TokenBucket(1000, 500, () => now);
    expect(b.take(400)).toBe(0);
    expect(b.take(400)).toBe(300); // 100 left, 300 more at 1000/s
    now += 300;
    expect(b.take(400)).toBe(0);
    now += 10_000;
    expect(b.take(5_000)).toBe(0); // capped at the burst: a batch larger than the burst still goes
  });
});
