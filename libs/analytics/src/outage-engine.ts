import { AlertKind, AlertState, ElementKind, EvidenceKind, type Alert, type Evidence } from '@gridstation/contracts';
import type { ElementLevel, Topology } from '@gridstation/archive';

// Outage detection for one feeder, as a pure state machine: evidence in, alert revisions out. All the
// state is in a plain JSON object (FeederState) so that the worker can keep it in Redis and any
// instance can pick a feeder up after a restart or a rebalance.
//
// How a decision is made (docs/analytics.md in libs/analytics/README.md has the reasoning):
// - A meter is a *suspect* when it has strong evidence of lost supply that nothing newer contradicts:
//   its own power-down record, zero voltage on every phase, or its terminal's power-off record (a
//   concentrator is fed from its transformer area). A lone power-down record that nothing corroborates
//   stops counting after `loneEventTtlMs`.
// - A single meter is *out* on its own only with two independent signals (record + zero voltage), or
//   zero voltage read twice in a row. One record alone is too often spurious.
// - A group (meter box, transformer area, feeder) is *out* when at least `groupShare` of its meters are
//   suspects and at least two of its children are out (or its only child is): evidence spread over the
//   group, not one noisy corner of it. This is what localises from partial evidence: a third of the
//   records lost in a storm still leaves the share above one half.
// - Alerts are raised on the largest elements that are out (their parents are not). An outage that
//   grows keeps its alert id (the alert on the box becomes the alert on the area: UPDATED), the others
//   it absorbs are CLEARED with `superseded_by`. When the element is no longer out: CLEARED.
// - An outage that shrinks (supply back on part of it) waits `settleMs` before its alert moves to what is
//   still out: restoration evidence of one box arrives spread over partitions and hundreds of ms, and a
//   box whose last meter reports a moment later was restored as a box, not "reduced to one meter".
// - Decisions wait `holdMs` after the first new evidence, so that evidence sent together is judged
//   together (a box's four records decide once, not one meter then the box).
// - Flapping: the `flapCount`-th outage of one element within `flapWindowMs` opens one FLAPPING alert
//   instead; further outages of that element, or of anything inside it, are not alerted until it has
//   been stable for `flapQuietMs`.

export interface OutageOptions {
  holdMs: number;
  groupShare: number;
  loneEventTtlMs: number;
  flapCount: number;
  flapWindowMs: number;
  flapQuietMs: number;
  /** How long a partly restored outage waits for the rest of the restoration before its alert changes. */
  settleMs: number;
  /** Meters and terminals with supply and no news for this long are dropped from the state. */
  forgetMs: number;
  /** Evidence ids remembered per feeder to make redelivery harmless. */
  seenIds: number;
}

export const DEFAULT_OUTAGE_OPTIONS: OutageOptions = {
  holdMs: 200,
  groupShare: 0.5,
  loneEventTtlMs: 30_000,
  flapCount: 3,
  flapWindowMs: 120_000,
  flapQuietMs: 60_000,
  settleMs: 2_000,
  forgetMs: 600_000,
  seenIds: 4096,
};

interface Sig {
  id: string;
  kind: EvidenceKind;
  at: number;
  ing: number;
  detail: string;
  /** Zero-voltage readings in a row. */
  n: number;
  /** Wall time it was applied (for the lone-record expiry). */
  seenAt: number;
}

interface MeterState {
  event?: Sig;
  voltage?: Sig;
  /** Device time of the newest evidence of supply. */
  restoredAt: number;
  restoredIng: number;
  touchedAt: number;
}

interface TerminalState {
  off?: Sig;
  link?: Sig;
  restoredAt: number;
  restoredIng: number;
  touchedAt: number;
}

interface Incident {
  id: string;
  element: string;
  revision: number;
  openedAt: number;
  firstAt: number;
  decisiveIng: number;
  affected: number;
  confidence: number;
  /** While part of it is restored: when its alert may change to what is still out (0 = not shrinking). */
  settleUntil?: number;
}

interface Flapping {
  id: string;
  revision: number;
  openedAt: number;
  lastChange: number;
  down: boolean;
  outages: number;
}

export interface FeederState {
  feeder: string;
  meters: Record<string, MeterState>;
  terminals: Record<string, TerminalState>;
  incidents: Record<string, Incident>;
  opens: Record<string, number[]>;
  flapping: Record<string, Flapping>;
  pendingSince: number;
  seen: string[];
}

export function newFeederState(feeder: string): FeederState {
  return { feeder, meters: {}, terminals: {}, incidents: {}, opens: {}, flapping: {}, pendingSince: 0, seen: [] };
}

const STRONG_METER = new Set([EvidenceKind.EVIDENCE_KIND_METER_EVENT, EvidenceKind.EVIDENCE_KIND_VOLTAGE]);

export interface OutageStats {
  applied: number;
  duplicates: number;
  unknownDevice: number;
  suppressedByFlapping: number;
}

export class OutageEngine {
  readonly stats: OutageStats = { applied: 0, duplicates: 0, unknownDevice: 0, suppressedByFlapping: 0 };

  constructor(readonly options: OutageOptions = DEFAULT_OUTAGE_OPTIONS) {}

  /** Applies evidence (idempotent by evidence id). Returns true when a decision is now pending. */
  apply(state: FeederState, evidence: readonly Evidence[], topology: Topology, now: number): boolean {
    const seen = new Set(state.seen);
    let changed = false;
    for (const ev of evidence) {
      if (seen.has(ev.evidenceId)) {
        this.stats.duplicates++;
        continue;
      }
      seen.add(ev.evidenceId);
      state.seen.push(ev.evidenceId);
      if (this.applyOne(state, ev, topology, now)) changed = true;
    }
    if (state.seen.length > this.options.seenIds) state.seen.splice(0, state.seen.length - this.options.seenIds);
    if (changed && state.pendingSince === 0) state.pendingSince = now;
    return changed;
  }

  private applyOne(state: FeederState, ev: Evidence, topology: Topology, now: number): boolean {
    const sig: Sig = { id: ev.evidenceId, kind: ev.kind, at: ev.occurredAtMs, ing: ev.ingestedAtMs, detail: ev.detail, n: 1, seenAt: now };
    if (ev.meterId && STRONG_METER.has(ev.kind)) {
      if (!topology.meter(ev.meterId)) {
        this.stats.unknownDevice++;
        return false;
      }
      this.stats.applied++;
      const m = (state.meters[ev.meterId] ??= { restoredAt: 0, restoredIng: 0, touchedAt: now });
      m.touchedAt = now;
      if (!ev.supplyLost) return restoreMeter(m, sig);
      if (ev.occurredAtMs <= m.restoredAt) return false; // older than the last evidence of supply
      if (ev.kind === EvidenceKind.EVIDENCE_KIND_VOLTAGE) {
        if (m.voltage) m.voltage = { ...m.voltage, n: m.voltage.n + 1, ing: sig.ing };
        else m.voltage = sig;
      } else if (!m.event) m.event = sig;
      else return false;
      return true;
    }
    if (ev.terminalAddress && (ev.kind === EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT || ev.kind === EvidenceKind.EVIDENCE_KIND_LINK)) {
      const meters = topology.metersOfTerminal(ev.terminalAddress);
      if (meters.length === 0) {
        this.stats.unknownDevice++;
        return false;
      }
      this.stats.applied++;
      const t = (state.terminals[ev.terminalAddress] ??= { restoredAt: 0, restoredIng: 0, touchedAt: now });
      t.touchedAt = now;
      if (ev.kind === EvidenceKind.EVIDENCE_KIND_LINK) {
        // Weak, and timed by the station's clock rather than the device's: it is kept for the record but
        // neither opens nor closes an outage (a terminal also drops its connection for reasons of its own).
        t.link = ev.supplyLost ? sig : undefined;
        return false;
      }
      if (!ev.supplyLost) {
        if (ev.occurredAtMs < t.restoredAt) return false;
        t.restoredAt = ev.occurredAtMs;
        t.restoredIng = ev.ingestedAtMs;
        // Only the terminal's own record is closed: meters that reported losing supply themselves stay
        // suspects until they say otherwise (a power-up record or a normal reading), because "the area
        // has supply" does not prove every meter in it does.
        if (t.off && t.off.at <= ev.occurredAtMs) {
          t.off = undefined;
          return true;
        }
        return false;
      }
      if (ev.occurredAtMs <= t.restoredAt || t.off) return false;
      t.off = sig;
      return true;
    }
    return false;
  }

  /** When the worker should call evaluate() next; 0 = only when new evidence arrives. */
  dueAt(state: FeederState): number {
    let due = state.pendingSince > 0 ? state.pendingSince + this.options.holdMs : 0;
    const at = (t: number) => {
      if (due === 0 || t < due) due = t;
    };
    // A flapping element that is down changes only with new evidence; one that is up clears when quiet.
    for (const f of Object.values(state.flapping)) if (!f.down) at(f.lastChange + this.options.flapQuietMs);
    for (const inc of Object.values(state.incidents)) if (inc.settleUntil) at(inc.settleUntil);
    return due;
  }

  /** Decides on the pending evidence; returns the alert revisions to publish (in order). */
  evaluate(state: FeederState, topology: Topology, now: number): Alert[] {
    state.pendingSince = 0;
    const out: Alert[] = [];
    const o = this.options;
    const suspects = this.suspects(state, topology, now);
    const down = this.downElements(suspects, topology);
    // Alerts go to the largest elements out: those with no element above them out (at any distance: a
    // box under a feeder that is out is part of the feeder's outage even while its area's own evidence
    // is still on its way).
    const maximal = [...down.keys()].filter((id) => !topology.ancestors(id).some((a) => down.has(a)));
    const open = Object.values(state.incidents);
    const handled = new Set<string>();
    const downNow = new Set(maximal);

    // Flapping elements: track their transitions, clear after a quiet period.
    for (const [element, f] of Object.entries(state.flapping)) {
      const isDown = downNow.has(element);
      if (isDown !== f.down) {
        f.down = isDown;
        f.lastChange = now;
        if (isDown) f.outages++;
      }
      if (!isDown && now - f.lastChange >= o.flapQuietMs) {
        out.push(this.flappingAlert(state, element, f, topology, now, AlertState.ALERT_STATE_CLEARED));
        delete state.flapping[element];
      }
    }

    // An outage that shrinks (supply back on part of it) keeps its alert instead of clearing and opening
    // new alerts for the parts: with one part left it moves there; with several it stays where it is,
    // "partly restored", until they are back too (restoration evidence arrives over a few hundred ms).
    const covered = new Map<string, Incident>();
    for (const inc of open) {
      if (downNow.has(inc.element) || topology.ancestors(inc.element).some((a) => down.has(a))) {
        inc.settleUntil = 0;
        continue;
      }
      const parts = maximal.filter((m) => !open.some((i) => i.element === m) && topology.ancestors(m).includes(inc.element));
      if (parts.length === 0) continue; // supply back everywhere: cleared below
      const affected = parts.reduce((n, p) => n + topology.meterCount(p), 0);
      const changes = parts.length === 1 || inc.affected !== affected;
      if (changes && !inc.settleUntil) inc.settleUntil = now + o.settleMs;
      if (changes && now < inc.settleUntil!) {
        // The rest of the restoration is probably on its way: the alert stays as it is for now.
        for (const p of parts) covered.set(p, inc);
        handled.add(inc.id);
        continue;
      }
      inc.settleUntil = 0;
      if (parts.length === 1) inc.element = parts[0]!;
      else {
        for (const p of parts) covered.set(p, inc);
        handled.add(inc.id);
        if (inc.affected !== affected) {
          inc.revision++;
          inc.affected = affected;
          const alert = this.outageAlert(state, inc, undefined, topology, now, AlertState.ALERT_STATE_UPDATED);
          alert.details = { reason: 'partly restored', still_out: parts.join(',') };
          out.push(alert);
        }
      }
    }

    for (const element of maximal) {
      if (covered.has(element)) continue;
      const own = state.flapping[element];
      if (own || topology.ancestors(element).some((a) => state.flapping[a])) {
        // Counted once per outage of the element itself, and each time something inside it is held back.
        if (!own || own.lastChange === now) this.stats.suppressedByFlapping++;
        continue;
      }
      const info = down.get(element)!;
      const same = open.find((i) => i.element === element);
      const restored = same ? this.restoredAt(state, element, topology) : 0;
      if (same && restored > same.firstAt && info.firstAt > restored) {
        // Every loss signal in it is newer than evidence of supply that is newer than the outage: supply
        // came back and went again between two decisions. That is two outages, not one.
        handled.add(same.id);
        same.revision++;
        out.push(this.outageAlert(state, same, undefined, topology, now, AlertState.ALERT_STATE_CLEARED, '', restored));
        delete state.incidents[same.id];
      } else if (same) {
        handled.add(same.id);
        if (same.affected !== info.affected || Math.abs(same.confidence - info.confidence) >= 0.05) {
          Object.assign(same, { revision: same.revision + 1, affected: info.affected, confidence: info.confidence, decisiveIng: info.decisiveIng });
          out.push(this.outageAlert(state, same, info, topology, now, AlertState.ALERT_STATE_UPDATED));
        }
        continue;
      }
      const absorbed = open.filter((i) => !handled.has(i.id) && topology.ancestors(i.element).includes(element)).sort((a, b) => a.openedAt - b.openedAt);
      if (absorbed.length > 0) {
        const keep = absorbed[0]!;
        handled.add(keep.id);
        for (const other of absorbed.slice(1)) {
          handled.add(other.id);
          other.revision++;
          out.push(this.outageAlert(state, other, undefined, topology, now, AlertState.ALERT_STATE_CLEARED, keep.id));
          delete state.incidents[other.id];
        }
        Object.assign(keep, { element, revision: keep.revision + 1, affected: info.affected, confidence: info.confidence, decisiveIng: info.decisiveIng, firstAt: Math.min(keep.firstAt, info.firstAt) });
        out.push(this.outageAlert(state, keep, info, topology, now, AlertState.ALERT_STATE_UPDATED));
        continue;
      }
      // A new outage: unless this element keeps going down and up.
      const opens = (state.opens[element] ?? []).filter((t) => now - t < o.flapWindowMs);
      opens.push(now);
      state.opens[element] = opens;
      if (opens.length >= o.flapCount) {
        const f: Flapping = { id: `flapping:${element}:${info.firstAt}`, revision: 1, openedAt: now, lastChange: now, down: true, outages: opens.length };
        state.flapping[element] = f;
        out.push(this.flappingAlert(state, element, f, topology, now, AlertState.ALERT_STATE_OPEN));
        continue;
      }
      const inc: Incident = { id: `outage:${element}:${info.firstAt}`, element, revision: 1, openedAt: now, firstAt: info.firstAt, decisiveIng: info.decisiveIng, affected: info.affected, confidence: info.confidence };
      state.incidents[inc.id] = inc;
      handled.add(inc.id);
      out.push(this.outageAlert(state, inc, info, topology, now, AlertState.ALERT_STATE_OPEN));
    }

    // Incidents now inside a larger outage that has its own alert: absorbed. The others: supply is back.
    for (const inc of open) {
      if (handled.has(inc.id) || !state.incidents[inc.id]) continue;
      inc.revision++;
      const cover = Object.values(state.incidents).find((o) => o.id !== inc.id && handled.has(o.id) && topology.ancestors(inc.element).includes(o.element));
      if (cover) {
        out.push(this.outageAlert(state, inc, undefined, topology, now, AlertState.ALERT_STATE_CLEARED, cover.id));
        delete state.incidents[inc.id];
        continue;
      }
      const restored = this.restoredAt(state, inc.element, topology);
      out.push(this.outageAlert(state, inc, undefined, topology, now, AlertState.ALERT_STATE_CLEARED, '', restored));
      delete state.incidents[inc.id];
    }
    this.forget(state, topology, now);
    return out;
  }

  private suspects(state: FeederState, topology: Topology, now: number): Map<string, Sig[]> {
    const out = new Map<string, Sig[]>();
    const o = this.options;
    for (const [id, m] of Object.entries(state.meters)) {
      const sigs: Sig[] = [];
      if (m.voltage) sigs.push(m.voltage);
      if (m.event && (m.voltage || now - m.event.seenAt < o.loneEventTtlMs)) sigs.push(m.event);
      const path = topology.meter(id);
      const t = path?.terminal ? state.terminals[path.terminal] : undefined;
      if (t?.off && t.off.at > m.restoredAt) sigs.push(t.off);
      if (sigs.length > 0) out.set(id, sigs);
    }
    // Meters with no state of their own whose terminal is off.
    for (const [terminal, t] of Object.entries(state.terminals)) {
      if (!t.off) continue;
      for (const id of topology.metersOfTerminal(terminal)) if (!out.has(id) && !state.meters[id]) out.set(id, [t.off]);
    }
    return out;
  }

  private downElements(suspects: Map<string, Sig[]>, topology: Topology): Map<string, DownInfo> {
    const down = new Map<string, DownInfo>();
    const count = new Map<string, string[]>();
    for (const [id, sigs] of suspects) {
      const path = topology.meter(id);
      if (!path) continue;
      for (const a of [path.box, path.area, path.feeder]) {
        const list = count.get(a);
        if (list) list.push(id);
        else count.set(a, [id]);
      }
      const alone = sigs.length >= 2 || sigs.some((s) => s.kind === EvidenceKind.EVIDENCE_KIND_VOLTAGE && s.n >= 2);
      if (alone) down.set(id, info([id], suspects, 1, sigs.length >= 2 ? 0.9 : 0.8));
    }
    const share = this.options.groupShare;
    for (const level of ['box', 'area', 'feeder'] as ElementLevel[]) {
      for (const [element, meters] of count) {
        if (topology.element(element)?.level !== level) continue;
        const total = topology.meterCount(element);
        if (total === 0 || meters.length / total < share) continue;
        const children = topology.children(element);
        const downChildren = children.filter((c) => (level === 'box' ? suspects.has(c) : down.has(c))).length;
        if (downChildren < Math.min(2, children.length)) continue;
        const frac = meters.length / total;
        down.set(element, info(meters, suspects, total, 0.5 + 0.5 * frac));
      }
    }
    return down;
  }

  private restoredAt(state: FeederState, element: string, topology: Topology): number {
    let at = 0;
    for (const id of topology.metersUnder(element)) {
      const m = state.meters[id];
      if (m && m.restoredAt > at) at = m.restoredAt;
      const p = topology.meter(id);
      const t = p?.terminal ? state.terminals[p.terminal] : undefined;
      if (t && t.restoredAt > at) at = t.restoredAt;
    }
    return at;
  }

  private forget(state: FeederState, topology: Topology, now: number): void {
    const o = this.options;
    const busy = new Set(Object.values(state.incidents).flatMap((i) => topology.metersUnder(i.element)));
    for (const [id, m] of Object.entries(state.meters)) {
      const lost = m.voltage || (m.event && now - m.event.seenAt < o.loneEventTtlMs);
      if (!lost && !busy.has(id) && now - m.touchedAt > o.forgetMs) delete state.meters[id];
      else if (m.event && !m.voltage && now - m.event.seenAt >= o.loneEventTtlMs && !busy.has(id)) m.event = undefined;
    }
    for (const [id, t] of Object.entries(state.terminals)) if (!t.off && now - t.touchedAt > o.forgetMs) delete state.terminals[id];
    for (const [id, opens] of Object.entries(state.opens)) {
      const recent = opens.filter((t) => now - t < o.flapWindowMs);
      if (recent.length === 0) delete state.opens[id];
      else state.opens[id] = recent;
    }
  }

  private outageAlert(state: FeederState, inc: Incident, d: DownInfo | undefined, topology: Topology, now: number, st: AlertState, supersededBy = '', clearedAt = 0): Alert {
    const affected = topology.metersUnder(inc.element);
    return {
      ...base(topology, inc.element, state.feeder),
      alertId: inc.id,
      kind: AlertKind.ALERT_KIND_OUTAGE,
      state: st,
      revision: inc.revision,
      affectedMeters: affected.slice(0, 1000),
      affectedMeterCount: affected.length,
      firstEvidenceAtMs: inc.firstAt,
      decisiveEvidenceIngestedAtMs: d?.decisiveIng ?? inc.decisiveIng,
      detectedAtMs: now,
      clearedAtMs: st === AlertState.ALERT_STATE_CLEARED ? clearedAt || now : 0,
      confidence: inc.confidence,
      evidence: d?.evidence.slice(0, 50) ?? [],
      evidenceCount: d?.evidence.length ?? 0,
      supersededBy,
      details: { reason: st === AlertState.ALERT_STATE_CLEARED ? (supersededBy ? 'absorbed by a larger outage' : 'supply restored') : `${d?.suspects ?? 0} of ${affected.length} meters without supply` },
    };
  }

  private flappingAlert(state: FeederState, element: string, f: Flapping, topology: Topology, now: number, st: AlertState): Alert {
    const affected = topology.metersUnder(element);
    if (st !== AlertState.ALERT_STATE_OPEN) f.revision++;
    return {
      ...base(topology, element, state.feeder),
      alertId: f.id,
      kind: AlertKind.ALERT_KIND_FLAPPING,
      state: st,
      revision: f.revision,
      affectedMeters: affected.slice(0, 1000),
      affectedMeterCount: affected.length,
      firstEvidenceAtMs: f.openedAt,
      decisiveEvidenceIngestedAtMs: 0,
      detectedAtMs: now,
      clearedAtMs: st === AlertState.ALERT_STATE_CLEARED ? now : 0,
      confidence: 1,
      evidence: [],
      evidenceCount: 0,
      supersededBy: '',
      details: { outages: String(f.outages), window_ms: String(this.options.flapWindowMs) },
    };
  }
}

interface DownInfo {
  affected: number;
  suspects: number;
  confidence: number;
  firstAt: number;
  decisiveIng: number;
  evidence: Evidence[];
}

function info(meters: string[], suspects: Map<string, Sig[]>, total: number, confidence: number): DownInfo {
  let firstAt = Number.POSITIVE_INFINITY;
  let decisiveIng = 0;
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  for (const id of meters) {
    for (const s of suspects.get(id) ?? []) {
      if (s.at < firstAt) firstAt = s.at;
      if (s.ing > decisiveIng) decisiveIng = s.ing;
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      evidence.push(toEvidence(s, id));
    }
  }
  return { affected: total, suspects: meters.length, confidence: Math.min(1, Math.round(confidence * 1000) / 1000), firstAt: Number.isFinite(firstAt) ? firstAt : 0, decisiveIng, evidence };
}

function toEvidence(s: Sig, meterId: string): Evidence {
  const terminal = s.kind === EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT || s.kind === EvidenceKind.EVIDENCE_KIND_LINK;
  return { evidenceId: s.id, kind: s.kind, supplyLost: true, meterId: terminal ? '' : meterId, terminalAddress: '', occurredAtMs: s.at, ingestedAtMs: s.ing, feederId: '', detail: s.detail, value: 0, limit: 0 };
}

/** Evidence of supply at `sig.at` closes every loss signal of the meter that is not newer. */
function restoreMeter(m: MeterState, sig: Sig): boolean {
  if (sig.at < m.restoredAt) return false;
  m.restoredAt = sig.at;
  m.restoredIng = sig.ing;
  let closed = false;
  if (m.event && m.event.at <= sig.at) {
    m.event = undefined;
    closed = true;
  }
  if (m.voltage && m.voltage.at <= sig.at) {
    m.voltage = undefined;
    closed = true;
  }
  return closed;
}

const LEVEL_KIND: Record<ElementLevel, ElementKind> = {
  substation: ElementKind.ELEMENT_KIND_SUBSTATION,
  feeder: ElementKind.ELEMENT_KIND_FEEDER,
  area: ElementKind.ELEMENT_KIND_TRANSFORMER_AREA,
  box: ElementKind.ELEMENT_KIND_METER_BOX,
};

/** Element kind and parents of an element or meter, as an Alert carries them. */
export function base(topology: Topology, element: string, feeder = ''): Pick<Alert, 'elementKind' | 'elementId' | 'transformerAreaId' | 'feederId' | 'substationId' | 'producer'> {
  const e = topology.element(element);
  const kind = e ? LEVEL_KIND[e.level] : topology.meter(element) ? ElementKind.ELEMENT_KIND_METER : ElementKind.ELEMENT_KIND_UNSPECIFIED;
  return {
    elementKind: kind,
    elementId: element,
    transformerAreaId: topology.ancestorAt(element, 'area') ?? '',
    feederId: topology.ancestorAt(element, 'feeder') ?? feeder,
    substationId: topology.ancestorAt(element, 'substation') ?? '',
    producer: '',
  };
}
