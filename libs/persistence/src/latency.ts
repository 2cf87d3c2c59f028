/** A fixed-size sample of recent latencies for live p50/p99 (the histograms in /metrics are the record). */
export class LatencyWindow {
  private readonly samples: number[];
  private next = 0;
  private filled = 0;

  constructor(size = 4096) {
    this.samples = new Array<number>(size).fill(0);
  }

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
  }

  percentile(p: number): number | undefined {
    if (this.filled === 0) return undefined;
    const sorted = this.samples.slice(0, this.filled).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  }
}

/**
 * Latencies of one interval, for a summary line: a uniform sample (reservoir, fixed size) of every
 * latency added since the last take(), so a p99 describes the whole interval, not its last moments.
 */
export class IntervalLatency {
  private readonly samples: number[] = [];
  private seen = 0;
  private rand = 0x9e3779b9;

  constructor(private readonly size = 8192) {}

  add(ms: number): void {
    this.seen++;
    if (this.samples.length < this.size) {
      this.samples.push(ms);
      return;
    }
    this.rand = (Math.imul(this.rand, 1664525) + 1013904223) >>> 0;
    const k = this.rand % this.seen;
    if (k < this.size) this.samples[k] = ms;
  }

  /** p50 and p99 of the interval and how many readings it saw; starts the next interval. */
  take(): { p50?: number; p99?: number; count: number } {
    const sorted = this.samples.sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    const out = sorted.length === 0 ? { count: 0 } : { p50: at(50), p99: at(99), count: this.seen };
    this.samples.length = 0;
    this.seen = 0;
    return out;
  }
}
