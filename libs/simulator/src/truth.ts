import { createWriteStream } from 'node:fs';

// Ground truth: every value the simulator put on the wire, by reading identity, plus what it sent on
// purpose that must not be stored (malformed frames) and what it expects to be refused.

export interface TruthReading {
  meterId: string;
  quantity: string;
  tariff: number;
  dataTimeMs: number;
  value: number;
}

export const truthKey = (r: Pick<TruthReading, 'meterId' | 'quantity' | 'tariff' | 'dataTimeMs'>): string => `${r.meterId}|${r.quantity}|${r.tariff}|${r.dataTimeMs}`;

export class GroundTruth {
  readonly readings = new Map<string, TruthReading>();
  /** Every reading put on the wire, repeats included. */
  sent = 0;
  /** Frames with a broken checksum (the communication service rejects them). */
  badChecksumFrames = 0;
  /** Frames that deframe but whose content does not decode (the parser rejects them). */
  badContentFrames = 0;
  /** Power-off/on event records sent. */
  eventRecords = 0;
  /** Same identity sent again with the same value (e.g. a curve point repeating a snapshot). */
  repeats = 0;

  /** keep = false: count what is sent without remembering it (load runs, where the values are not checked). */
  constructor(private readonly keep = true) {}

  add(r: TruthReading): void {
    this.sent++;
    if (!this.keep) return;
    const k = truthKey(r);
    const prior = this.readings.get(k);
    if (prior) {
      if (prior.value !== r.value) throw new Error(`simulator bug: ${k} sent as ${prior.value} and ${r.value}`);
      this.repeats++;
      return;
    }
    this.readings.set(k, r);
  }

  meters(): string[] {
    return [...new Set([...this.readings.values()].map((r) => r.meterId))].sort();
  }

  /** One JSON line per reading, then one summary line. */
  async write(path: string): Promise<void> {
    const out = createWriteStream(path);
    for (const r of this.readings.values()) out.write(`${JSON.stringify(r)}\n`);
    out.write(
      `${JSON.stringify({ summary: { readings: this.readings.size, badChecksumFrames: this.badChecksumFrames, badContentFrames: this.badContentFrames, eventRecords: this.eventRecords, repeats: this.repeats } })}\n`,
    );
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
