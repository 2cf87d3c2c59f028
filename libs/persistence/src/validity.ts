import { QualityFlag } from '@gridstation/contracts';
import type { StoredReading } from './model';

const seriesKey = (r: Pick<StoredReading, 'meterId' | 'quantity' | 'tariff'>): string => `${r.meterId}|${r.quantity}|${r.tariff}`;

// Validity checks run on every reading before it is stored. Nothing is dropped silently: a failed check
// sets a QualityFlag bit on the stored row (and a metric counts it); only an exact duplicate of a value
// stored moments ago is not written again (it would change nothing) and is counted as such.

export interface Range {
  min: number;
  max: number;
}

/** Plausible ranges by quantity prefix (the first matching prefix wins). */
export const DEFAULT_RANGES: ReadonlyArray<[prefix: string, range: Range]> = [
  ['voltage', { min: 0, max: 1_000 }],
  ['current', { min: -10_000, max: 10_000 }],
  ['power_factor', { min: -1, max: 1 }],
  ['power', { min: -100_000, max: 100_000 }],
  ['energy', { min: 0, max: 9_999_999_999 }],
  ['frequency', { min: 45, max: 55 }],
  ['demand', { min: -100_000, max: 100_000 }],
];

export interface ValidityOptions {
  /** Data time further ahead of the station's clock than this is TIME_IN_FUTURE (device clock wrong). */
  maxFutureMs: number;
  /** Data time older than this is TIME_TOO_OLD. */
  maxAgeMs: number;
  ranges: ReadonlyArray<[string, Range]>;
  /** Identities remembered for duplicate detection. */
  recentCapacity: number;
}

export const DEFAULT_VALIDITY: ValidityOptions = {
  maxFutureMs: 5 * 60_000,
  maxAgeMs: 400 * 24 * 3_600_000,
  ranges: DEFAULT_RANGES,
  recentCapacity: 1_000_000,
};

export type ValidityOutcome = 'good' | 'device_invalid' | 'out_of_range' | 'time_in_future' | 'time_too_old' | 'unknown_meter' | 'duplicate' | 'conflict';

export interface Checked {
  reading: StoredReading;
  /** false: an exact duplicate of a recently stored value; not written again. */
  write: boolean;
  outcomes: ValidityOutcome[];
}

const sameValue = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

export class ValidityChecker {
  /**
   * series (meter, quantity, tariff) -> data time -> value of recently stored readings, in two
   * generations: when the young one holds half of `recentCapacity` identities it becomes the old one and
   * the previous old one is dropped. O(1) per reading, bounded by `recentCapacity` (evicting from the
   * front of one big Map instead makes V8 rescan deleted slots: quadratic). Keyed by series, then time: a
   * meter's readings share one key string, so an identity costs a number entry, not a string of its own.
   */
  private young = new Map<string, Map<number, number>>();
  private youngSize = 0;
  private old = new Map<string, Map<number, number>>();

  constructor(private readonly options: ValidityOptions = DEFAULT_VALIDITY) {}

  /** Range of each quantity seen: a station has some dozens of quantities and checks millions of readings. */
  private readonly rangeCache = new Map<string, Range | undefined>();

  rangeOf(quantity: string): Range | undefined {
    if (this.rangeCache.has(quantity)) return this.rangeCache.get(quantity);
    const range = this.options.ranges.find(([p]) => quantity === p || quantity.startsWith(`${p}.`) || quantity.startsWith(`${p}_`))?.[1];
    if (this.rangeCache.size < 10_000) this.rangeCache.set(quantity, range);
    return range;
  }

  /** `known(meterId)`: the meter is in the archive. Quality bits are set on copies; the inputs are not changed. */
  check(readings: readonly StoredReading[], nowMs: number, known: (meterId: string) => boolean): Checked[] {
    const out: Checked[] = [];
    for (const r of readings) {
      const outcomes: ValidityOutcome[] = [];
      let q = r.quality;
      if (q & QualityFlag.QUALITY_FLAG_DEVICE_INVALID) outcomes.push('device_invalid');
      const range = this.rangeOf(r.quantity);
      if (range && Number.isFinite(r.value) && (r.value < range.min || r.value > range.max)) {
        q |= QualityFlag.QUALITY_FLAG_OUT_OF_RANGE;
        outcomes.push('out_of_range');
      }
      if (r.dataTimeMs > nowMs + this.options.maxFutureMs) {
        q |= QualityFlag.QUALITY_FLAG_TIME_IN_FUTURE;
        outcomes.push('time_in_future');
      } else if (r.dataTimeMs < nowMs - this.options.maxAgeMs) {
        q |= QualityFlag.QUALITY_FLAG_TIME_TOO_OLD;
        outcomes.push('time_too_old');
      }
      if (!known(r.meterId)) {
        q |= QualityFlag.QUALITY_FLAG_UNKNOWN_METER;
        outcomes.push('unknown_meter');
      }
      const series = seriesKey(r);
      const prior = this.young.get(series)?.get(r.dataTimeMs) ?? this.old.get(series)?.get(r.dataTimeMs);
      let write = true;
      if (prior !== undefined) {
        if (sameValue(prior, r.value)) {
          write = false;
          outcomes.push('duplicate');
        } else {
          q |= QualityFlag.QUALITY_FLAG_CONFLICT;
          outcomes.push('conflict');
        }
      }
      if (outcomes.length === 0) outcomes.push('good');
      // A copy only where a quality bit was added: most readings pass unchanged.
      out.push({ reading: q === r.quality ? r : { ...r, quality: q }, write, outcomes });
    }
    return out;
  }

  /** Remembers identities once they are stored (not before: a failed write must not mark them duplicate). */
  remember(rows: readonly StoredReading[]): void {
    const half = Math.max(1, Math.floor(this.options.recentCapacity / 2));
    for (const r of rows) {
      if (this.youngSize >= half) {
        this.old = this.young;
        this.young = new Map();
        this.youngSize = 0;
      }
      const series = seriesKey(r);
      let times = this.young.get(series);
      if (!times) this.young.set(series, (times = new Map()));
      if (!times.has(r.dataTimeMs)) this.youngSize++;
      times.set(r.dataTimeMs, r.value);
    }
  }

  /** Identities remembered now (for tests and the memory bound). */
  get remembered(): number {
    let n = this.youngSize;
    for (const t of this.old.values()) n += t.size;
    return n;
  }
}
