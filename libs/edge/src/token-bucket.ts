/**
 * A token bucket: `ratePerSec` tokens refill continuously up to `burst`. `take(n)` answers how long to
 * wait before n tokens are there (0 = now, and they are taken). A terminal session takes one per frame
 * and pauses its socket for the wait (a flooding terminal is slowed by TCP backpressure rather than
 * having frames dropped); an edge agent takes one per byte it sends.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens (at most the burst) if they are there; returns 0, or the milliseconds until they will be. */
  take(n = 1): number {
    const need = Math.min(n, this.burst);
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
    if (this.tokens >= need) {
      this.tokens -= need;
      return 0;
    }
    return Math.ceil(((need - this.tokens) * 1000) / this.ratePerSec);
  }
}
