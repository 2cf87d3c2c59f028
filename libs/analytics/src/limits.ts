import type { Topology } from '@gridstation/archive';
import { AlertKind, AlertState, EvidenceKind, type Alert } from '@gridstation/contracts';
import { base } from './outage-engine';
import { supplyLostIn, type VoltageSample } from './signals';
import { StagedMap, type KeyValue } from './staged-map';

// Limits on a meter's own measurements, checked as readings stream in: voltage above or below its band
// (zero voltage is outage evidence, not a low voltage) and three-phase current imbalance. An alert
// opens after `confirmSamples` violating readings in a row and clears after as many good ones, so a
// single odd value does not page anyone. Transformer-area load against capacity needs the sum over the
// area's meters and is computed by ClickHouse (see area-load.ts).

export interface LimitOptions {
  /** Volts; defaults are 220 V +7 % / -10 % (GB/T 12325 for 220 V supply). */
  voltageHigh: number;
  voltageLow: number;
  /** (max - min) / max of the phase currents. */
  imbalance: number;
  /** Imbalance is only judged when the largest phase current is at least this (A). */
  imbalanceMinCurrentA: number;
  confirmSamples: number;
}

export const DEFAULT_LIMITS: LimitOptions = { voltageHigh: 235.4, voltageLow: 198, imbalance: 0.5, imbalanceMinCurrentA: 5, confirmSamples: 2 };

interface LimitState {
  bad: number;
  good: number;
  open?: { id: string; revision: number; firstAt: number; kind: AlertKind };
}

type Verdict = { kind: AlertKind; value: number; limit: number } | undefined;

export class LimitChecker {
  private readonly state = new Map<string, LimitState>();

  constructor(readonly options: LimitOptions = DEFAULT_LIMITS) {}

  /** The debounce state with changes held back until commit() (see StagedMap). */
  staged(): StagedMap<string, LimitState> {
    return new StagedMap(this.state, (st) => ({ ...st, ...(st.open ? { open: { ...st.open } } : {}) }));
  }

  /** Alert revisions caused by one sample (in data-time order per meter), updating `state`. */
  check(s: VoltageSample, topology: Topology, now: number, state: KeyValue<string, LimitState> = this.state): Alert[] {
    const o = this.options;
    const out: Alert[] = [];
    const lost = supplyLostIn(s);
    const volts = lost ? [] : s.volts;
    const high = Math.max(...volts);
    const low = Math.min(...volts);
    const voltage: Verdict =
      volts.length === 0 ? undefined : high > o.voltageHigh ? { kind: AlertKind.ALERT_KIND_VOLTAGE_HIGH, value: high, limit: o.voltageHigh } : low < o.voltageLow ? { kind: AlertKind.ALERT_KIND_VOLTAGE_LOW, value: low, limit: o.voltageLow } : undefined;
    const maxI = s.amps.length === 3 ? Math.max(...s.amps) : 0;
    const ratio = maxI >= o.imbalanceMinCurrentA ? (maxI - Math.min(...s.amps)) / maxI : 0;
    const imbalance: Verdict = ratio > o.imbalance ? { kind: AlertKind.ALERT_KIND_PHASE_IMBALANCE, value: Math.round(ratio * 1000) / 1000, limit: o.imbalance } : undefined;
    for (const [family, verdict] of [['voltage', voltage], ['imbalance', imbalance]] as const) {
      if (family === 'voltage' && volts.length === 0) continue; // no voltage, no verdict either way
      const key = `${family}|${s.meterId}`;
      const st = state.get(key) ?? { bad: 0, good: 0 };
      state.set(key, st);
      if (verdict) {
        st.bad++;
        st.good = 0;
        if (!st.open && st.bad >= o.confirmSamples) {
          st.open = { id: `${family}:${s.meterId}:${s.dataTimeMs}`, revision: 1, firstAt: s.dataTimeMs, kind: verdict.kind };
          out.push(this.alert(s, verdict, st.open, AlertState.ALERT_STATE_OPEN, topology, now));
        }
      } else {
        st.good++;
        st.bad = 0;
        if (st.open && st.good >= o.confirmSamples) {
          st.open.revision++;
          out.push(this.alert(s, { kind: st.open.kind, value: 0, limit: 0 }, st.open, AlertState.ALERT_STATE_CLEARED, topology, now));
          st.open = undefined;
        }
        if (!st.open && st.good >= o.confirmSamples) state.delete(key);
      }
    }
    return out;
  }

  private alert(s: VoltageSample, v: NonNullable<Verdict>, open: { id: string; revision: number; firstAt: number; kind: AlertKind }, state: AlertState, topology: Topology, now: number): Alert {
    const cleared = state === AlertState.ALERT_STATE_CLEARED;
    return {
      ...base(topology, s.meterId),
      alertId: open.id,
      kind: open.kind,
      state,
      revision: open.revision,
      affectedMeters: [s.meterId],
      affectedMeterCount: 1,
      firstEvidenceAtMs: open.firstAt,
      decisiveEvidenceIngestedAtMs: s.receivedAtMs,
      detectedAtMs: now,
      clearedAtMs: cleared ? s.dataTimeMs : 0,
      confidence: 1,
      evidence: cleared
        ? []
        : [{ evidenceId: `${s.meterId}:${s.dataTimeMs}`, kind: EvidenceKind.EVIDENCE_KIND_MEASUREMENT, supplyLost: false, meterId: s.meterId, terminalAddress: s.terminal, occurredAtMs: s.dataTimeMs, ingestedAtMs: s.receivedAtMs, feederId: '', detail: `U=${s.volts.join('/')} V, I=${s.amps.join('/')} A`, value: v.value, limit: v.limit }],
      evidenceCount: cleared ? 0 : 1,
      supersededBy: '',
      details: cleared ? { reason: 'back within limits' } : { value: String(v.value), limit: String(v.limit) },
    };
  }
}
