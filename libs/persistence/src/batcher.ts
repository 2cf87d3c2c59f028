import { isDependencyUnavailable } from '@gridstation/errors';

// A dual-trigger batch writer: rows accumulate until `maxRows` are waiting or the oldest has waited
// `maxDelayMs`, then one write carries them all. Every caller's promise settles with the write that
// carried its rows, so a consumer can hold its Kafka offsets until its rows are really stored.
// One write carries many callers' rows (many partitions' batches). When it fails for good (a store that
// rejects one bad row rejects the whole request), each caller's rows are written again on their own, so
// only the caller whose rows are bad sees the error; an unavailable store fails every caller alike.

export interface BatcherOptions<T> {
  name: string;
  maxRows: number;
  maxDelayMs: number;
  write(rows: T[]): Promise<void>;
  /** Called after each write (rows, duration, error if any). */
  onFlush?(info: { name: string; rows: number; ms: number; trigger: 'size' | 'time' | 'drain'; error?: unknown }): void;
}

interface Waiter {
  /** This caller's rows: rows[from, to) of the flush that carries them. */
  from: number;
  to: number;
  resolve(): void;
  reject(e: unknown): void;
}

export class DualTriggerBatcher<T> {
  private rows: T[] = [];
  private waiters: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly o: BatcherOptions<T>) {}

  get pending(): number {
    return this.rows.length;
  }

  /** Resolves once `rows` are written (rejects if that write failed). */
  add(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const from = this.rows.length;
    for (const r of rows) this.rows.push(r);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ from, to: this.rows.length, resolve, reject }));
    if (this.rows.length >= this.o.maxRows) this.flush('size');
    else this.timer ??= setTimeout(() => this.flush('time'), this.o.maxDelayMs);
    return done;
  }

  /** Writes whatever is waiting now and resolves when every write so far has finished. */
  async drain(): Promise<void> {
    if (this.rows.length > 0) this.flush('drain');
    await this.writing;
  }

  private flush(trigger: 'size' | 'time' | 'drain'): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.rows;
    const waiters = this.waiters;
    this.rows = [];
    this.waiters = [];
    // Writes of one batcher go out one after another, in order.
    this.writing = this.writing.then(async () => {
      const started = performance.now();
      try {
        await this.o.write(rows);
        this.o.onFlush?.({ name: this.o.name, rows: rows.length, ms: performance.now() - started, trigger });
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.o.onFlush?.({ name: this.o.name, rows: rows.length, ms: performance.now() - started, trigger, error: e });
        if (waiters.length === 1 || isDependencyUnavailable(e)) for (const w of waiters) w.reject(e);
        else await this.writeEachAlone(rows, waiters);
      }
    });
  }

  private async writeEachAlone(rows: T[], waiters: Waiter[]): Promise<void> {
    for (const w of waiters) {
      try {
        await this.o.write(rows.slice(w.from, w.to));
        w.resolve();
      } catch (e) {
        w.reject(e);
      }
    }
  }
}
