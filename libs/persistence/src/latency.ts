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
