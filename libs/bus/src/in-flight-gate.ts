/**
 * Bounds the number of messages being handled at once. When a caller has to wait, the gate reports
 * saturation (the adapter pauses fetching); once in-flight work falls to the low watermark with nobody
 * waiting, it reports drain (the adapter resumes).
 */
export class InFlightGate {
  private used = 0;
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];
  private saturated = false;
  pauses = 0;

  constructor(
    readonly capacity: number,
    private readonly hooks: { onSaturated(): void; onDrained(): void },
    private readonly lowWatermark = Math.floor(capacity / 2),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get inFlight(): number {
    return this.used;
  }

  get isSaturated(): boolean {
    return this.saturated;
  }

  async acquire(n: number): Promise<void> {
    const want = Math.min(n, this.capacity);
    if (this.waiters.length === 0 && this.used + want <= this.capacity) {
      this.used += want;
      if (this.used >= this.capacity) this.saturate();
      return;
    }
    this.saturate();
    await new Promise<void>((resolve) => this.waiters.push({ n: want, resolve }));
  }

  release(n: number): void {
    this.used -= Math.min(n, this.capacity);
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.n <= this.capacity) {
      const w = this.waiters.shift()!;
      this.used += w.n;
      w.resolve();
    }
    if (this.saturated && this.waiters.length === 0 && this.used <= this.lowWatermark) {
      this.saturated = false;
      this.hooks.onDrained();
    }
  }

  private saturate(): void {
    if (this.saturated) return;
    this.saturated = true;
    this.pauses += 1;
    this.hooks.onSaturated();
  }
}
