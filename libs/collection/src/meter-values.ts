import { invalidArgument } from '@gridstation/errors';
import { checkInterval, checkRegister, currentValue, estimateGaps, valuesView, type Estimate, type Flag, type Point, type Revision, type ValueView, type ViewValue } from '@gridstation/metering';
import type { CollectedData } from './ports';
import type { RevisionStore } from './revisions';

// VEE over the stores: the rules run over a meter's stored values, estimates and operators' edits
// are appended to the revision store (raw readings are never written), and every read names the
// view it wants (raw, validated or estimated).

export interface MeterCheck {
  points: Point[];
  flags: Flag[];
  /** Estimates for missing slots and for values a rule rejected. */
  estimates: Estimate[];
}

export interface EditInput {
  meterId: string;
  quantity: string;
  dataTimeMs: number;
  value: number;
  user: string;
  reason: string;
}

const INTERVAL_MS = 900_000;

export class MeterValues {
  constructor(
    private readonly data: CollectedData,
    private readonly store: RevisionStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The rules' flags and the estimates the window would get; nothing written. */
  async check(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<MeterCheck> {
    const points = await this.data.series(meterId, quantity, fromMs, toMs);
    const register = isRegister(quantity);
    const flags = register ? checkRegister(points) : checkInterval(points);
    const rejected = new Set(flags.filter((f) => f.rule !== 'ROLLOVER').map((f) => f.t));
    const edits = (await this.store.list(meterId, quantity, fromMs, toMs)).filter((r) => r.kind === 'EDITED');
    // Estimation starts from the validated values: accepted raw reads and operators' edits.
    const base = new Map(points.filter((p) => !rejected.has(p.t)).map((p) => [p.t, p.v]));
    for (const e of edits) base.set(e.dataTimeMs, e.value);
    const known = [...base].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
    const estimates = estimateGaps(known, fromMs, toMs, { intervalMs: INTERVAL_MS, maxLinearSlots: 4, kind: register ? 'register' : 'interval', utcOffsetMs: 8 * 3_600_000 });
    return { points, flags, estimates };
  }

  /** Stores estimates for the window's missing or rejected slots (those not already estimated alike). */
  async estimate(meterId: string, quantity: string, fromMs: number, toMs: number, user: string, reason: string): Promise<Revision[]> {
    const { points, flags, estimates } = await this.check(meterId, quantity, fromMs, toMs);
    const existing = await this.store.list(meterId, quantity, fromMs, toMs);
    const lastEstimate = new Map<number, Revision>();
    for (const r of existing) if (r.kind === 'ESTIMATED') lastEstimate.set(r.dataTimeMs, r);
    const at = this.now();
    const fresh: Revision[] = [];
    for (const e of estimates) {
      const prev = lastEstimate.get(e.t);
      if (prev && prev.method === e.method && Math.abs(prev.value - e.v) < 1e-9) continue;
      const cur = currentValue(e.t, points, flags, existing);
      fresh.push({ meterId, quantity, dataTimeMs: e.t, value: e.v, kind: 'ESTIMATED', method: e.method, user, reason, atMs: at, ...(cur.value === undefined ? {} : { previous: cur.value }), previousQuality: cur.quality });
    }
    await this.store.append(fresh);
    return fresh;
  }

  /** An operator's replacement of one value, with who and why; the value it replaces is recorded. */
  async edit(e: EditInput): Promise<Revision> {
    const problems: string[] = [];
    if (!e.meterId || !e.quantity) problems.push('meter_id and quantity are required');
    if (!e.user.trim()) problems.push('user is required (who made the edit)');
    if (!e.reason.trim()) problems.push('reason is required (why the value is edited)');
    if (!Number.isFinite(e.value)) problems.push('value must be a finite number');
    if (!(e.dataTimeMs > 0) || e.dataTimeMs % INTERVAL_MS !== 0) problems.push('data_time_ms must be a 15-minute slot');
    if (e.dataTimeMs > this.now()) problems.push('data_time_ms is in the future');
    if (problems.length) throw invalidArgument('BAD_EDIT', problems.join('; '));
    const { points, flags } = await this.check(e.meterId, e.quantity, e.dataTimeMs, e.dataTimeMs + INTERVAL_MS);
    const existing = await this.store.list(e.meterId, e.quantity, e.dataTimeMs, e.dataTimeMs + INTERVAL_MS);
    const cur = currentValue(e.dataTimeMs, points, flags, existing);
    const r: Revision = { meterId: e.meterId, quantity: e.quantity, dataTimeMs: e.dataTimeMs, value: e.value, kind: 'EDITED', method: 'MANUAL', user: e.user.trim(), reason: e.reason.trim(), atMs: this.now(), ...(cur.value === undefined ? {} : { previous: cur.value }), previousQuality: cur.quality };
    await this.store.append([r]);
    return r;
  }

  async view(meterId: string, quantity: string, fromMs: number, toMs: number, view: ValueView): Promise<ViewValue[]> {
    const points = await this.data.series(meterId, quantity, fromMs, toMs);
    const flags = isRegister(quantity) ? checkRegister(points) : checkInterval(points);
    return valuesView(view, points, flags, view === 'RAW' ? [] : await this.store.list(meterId, quantity, fromMs, toMs));
  }

  revisions(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<Revision[]> {
    return this.store.list(meterId, quantity, fromMs, toMs);
  }
}

const isRegister = (quantity: string) => quantity.startsWith('energy.') && !quantity.endsWith('.interval');
