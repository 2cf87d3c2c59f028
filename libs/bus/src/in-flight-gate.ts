/**
 * Bounds the work being handled at once, in messages and in bytes (what a handler makes of a batch is
 * in proportion to its bytes: a parser turns one raw record into a record per meter). When a caller has
 * to wait, the gate reports saturation (the adapter pauses fetching); once in-flight work falls to the
 * low watermark with nobody waiting, it reports drain (the adapter resumes). A batch bigger than the
 * byte bound is let through alone, so it cannot wait forever.
 */
export class InFlightGate {
  private used = 0;
  private usedBytes = 0;
  private readonly waiters: Array<{ n: number; bytes: number; resolve: () => void }> = [];
  private saturated = false;
  pauses = 0;

  constructor(
    readonly capacity: number,
    private readonly hooks: { onSaturated(): void; onDrained(): void },
    readonly capacityBytes = Number.POSITIVE_INFINITY,
    private readonly lowWatermark = Math.floor(capacity / 2),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get inFlight(): number {
    return this.used;
  }

  get inFlightBytes(): number {
    return this.usedBytes;
  }

  get isSaturated(): boolean {
    return this.saturated;
  }

  private fits(n: number, bytes: number): boolean {
    return this.used + n <= this.capacity && (this.usedBytes + bytes <= this.capacityBytes || this.used === 0);
  }

  async acquire(n: number, bytes = 0): Promise<void> {
    const want = Math.min(n, this.capacity);
    if (this.waiters.length === 0 && this.fits(want, bytes)) {
      this.used += want;
      this.usedBytes += bytes;
      if (this.used >= this.capacity || this.usedBytes >= this.capacityBytes) this.saturate();
      return;
    }
    this.saturate();
    await new Promise<void>((resolve) => this.waiters.push({ n: want, bytes, resolve }));
  }

  release(n: number, bytes = 0): void {
    this.used -= Math.min(n, this.capacity);
    this.usedBytes -= bytes;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.n, this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.used += w.n;
      this.usedBytes += w.bytes;
      w.resolve();
    }
    if (this.saturated && this.waiters.length === 0 && this.used <= this.lowWatermark && this.usedBytes <= this.capacityBytes / 2) {
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
