/**
 * A token bucket: `ratePerSec` tokens refill continuously up to `burst`. `take()` answers how long to
 * wait before the next frame may be accepted (0 = now); the session pauses its socket for that long, so
 * a flooding terminal is slowed down by TCP backpressure rather than having frames dropped.
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

  /** Takes one token if there is one; returns 0, or the milliseconds until one will be there. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
  }
}
