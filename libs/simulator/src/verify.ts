import { truthKey, type GroundTruth } from './truth';

// Comparing what a store holds with what the simulator sent: exact identity sets, exact values.

export interface StoredValue {
  meterId: string;
  quantity: string;
  tariff: number;
  dataTimeMs: number;
  value: number;
}

export interface TruthDiff {
  expected: number;
  stored: number;
  missing: string[];
  unexpected: string[];
  /** Identities returned more than once. */
  duplicated: string[];
  wrong: Array<{ key: string; expected: number; stored: number }>;
}

export function diffWithTruth(truth: GroundTruth, stored: readonly StoredValue[], limit = 20): TruthDiff {
  const seen = new Map<string, number>();
  const diff: TruthDiff = { expected: truth.readings.size, stored: stored.length, missing: [], unexpected: [], duplicated: [], wrong: [] };
  for (const s of stored) {
    const k = truthKey(s);
    if (seen.has(k)) {
      if (diff.duplicated.length < limit) diff.duplicated.push(k);
      continue;
    }
    seen.set(k, s.value);
    const t = truth.readings.get(k);
    if (!t) {
      if (diff.unexpected.length < limit) diff.unexpected.push(k);
    } else if (!(t.value === s.value || Math.abs(t.value - s.value) < 1e-9)) {
      if (diff.wrong.length < limit) diff.wrong.push({ key: k, expected: t.value, stored: s.value });
    }
  }
  for (const k of truth.readings.keys()) {
    if (!seen.has(k) && diff.missing.length < limit) diff.missing.push(k);
  }
  return diff;
}

export const isExact = (d: TruthDiff): boolean =>
  d.missing.length === 0 && d.unexpected.length === 0 && d.duplicated.length === 0 && d.wrong.length === 0 && d.stored === d.expected;
