import type { Flag, Point } from './vee';

// The three views of a meter's values a meter data management system serves, built from what is
// stored without changing it: the raw reads, validated values (raw with the rules' flags, operators'
// edits in place of the values they replace) and estimated values (validated, with the estimates in
// the slots re-collection could not fill and in place of values a rule rejected).
//
// Estimates and edits are revisions: appended, never updated, so the list of a value's revisions is
// its audit trail (who, when, why, what it was before).

export type ValueView = 'RAW' | 'VALIDATED' | 'ESTIMATED';
export type RevisionKind = 'ESTIMATED' | 'EDITED';
export type ValueQuality = 'RAW' | 'SUSPECT' | 'EDITED' | 'ESTIMATED';

export interface Revision {
  meterId: string;
  quantity: string;
  dataTimeMs: number;
  value: number;
  kind: RevisionKind;
  /** LINEAR / PROFILE for estimates, MANUAL for edits. */
  method: string;
  user: string;
  reason: string;
  atMs: number;
  /** The value this one replaced in the estimated view when it was written, and its quality. */
  previous?: number;
  previousQuality: ValueQuality | 'NONE';
}

export interface ViewValue {
  t: number;
  v: number;
  quality: ValueQuality;
  /** Rules that flagged the raw value at this time (ROLLOVER is information, not a rejection). */
  rules: string[];
  /** The method of an estimate or edit. */
  method?: string;
  /** The raw value an edit or estimate stands in for. */
  raw?: number;
}

/** The latest revision of each kind per data time (revisions are applied in the order written). */
function latest(revisions: readonly Revision[], kind: RevisionKind): Map<number, Revision> {
  const out = new Map<number, Revision>();
  for (const r of [...revisions].sort((a, b) => a.atMs - b.atMs)) if (r.kind === kind) out.set(r.dataTimeMs, r);
  return out;
}

/**
 * One view of a series. `raw` in time order; `flags` from the VEE rules over `raw`; `revisions` of
 * the same meter and quantity. Precedence in the estimated view: an edit, then a raw value no rule
 * rejected, then an estimate, then a rejected raw value (kept, marked SUSPECT, when nothing replaces it).
 */
export function valuesView(view: ValueView, raw: readonly Point[], flags: readonly Flag[], revisions: readonly Revision[]): ViewValue[] {
  const rulesAt = new Map<number, string[]>();
  for (const f of flags) rulesAt.set(f.t, [...(rulesAt.get(f.t) ?? []), f.rule]);
  const rejected = (t: number) => (rulesAt.get(t) ?? []).some((r) => r !== 'ROLLOVER');
  const rawAt = new Map(raw.map((p) => [p.t, p.v]));
  if (view === 'RAW') return raw.map((p) => ({ t: p.t, v: p.v, quality: 'RAW', rules: rulesAt.get(p.t) ?? [] }));
  const edits = latest(revisions, 'EDITED');
  const estimates = view === 'ESTIMATED' ? latest(revisions, 'ESTIMATED') : new Map<number, Revision>();
  const times = [...new Set([...rawAt.keys(), ...edits.keys(), ...estimates.keys()])].sort((a, b) => a - b);
  const out: ViewValue[] = [];
  for (const t of times) {
    const r = rawAt.get(t);
    const rules = rulesAt.get(t) ?? [];
    const withRaw = r === undefined ? {} : { raw: r };
    const edit = edits.get(t);
    const est = estimates.get(t);
    if (edit) out.push({ t, v: edit.value, quality: 'EDITED', rules, method: edit.method, ...withRaw });
    else if (r !== undefined && !rejected(t)) out.push({ t, v: r, quality: 'RAW', rules });
    else if (est) out.push({ t, v: est.value, quality: 'ESTIMATED', rules, method: est.method, ...withRaw });
    else if (r !== undefined) out.push({ t, v: r, quality: 'SUSPECT', rules });
  }
  return out;
}

/** The value and quality an edit or estimate at `t` replaces in the estimated view. */
export function currentValue(t: number, raw: readonly Point[], flags: readonly Flag[], revisions: readonly Revision[]): { value?: number; quality: ValueQuality | 'NONE' } {
  const v = valuesView('ESTIMATED', raw, flags, revisions).find((x) => x.t === t);
  return v ? { value: v.v, quality: v.quality } : { quality: 'NONE' };
}
