import type { Topology } from '@gridstation/archive';
import { EventType, EvidenceKind, type DeviceEvent, type Evidence, type Reading } from '@gridstation/contracts';

// Turning what the pipeline carries into outage evidence, routed by feeder (pure functions; the
// per-meter voltage memory is passed in by the worker).

/** All phase voltages at or below this (volts) mean the meter has no supply. */
export const ZERO_VOLTAGE_V = 11;

const blank = (): Omit<Evidence, 'evidenceId' | 'kind' | 'supplyLost' | 'occurredAtMs' | 'ingestedAtMs'> => ({
  meterId: '',
  terminalAddress: '',
  feederId: '',
  detail: '',
  value: 0,
  limit: 0,
});

/** Feeders a terminal's meters hang from (usually one). */
export function feedersOfTerminal(topology: Topology, terminal: string): string[] {
  const out = new Set<string>();
  for (const m of topology.metersOfTerminal(terminal)) {
    const p = topology.meter(m);
    if (p) out.add(p.feeder);
  }
  return [...out];
}

/** Evidence from one device event; [] for events that say nothing about supply or unknown devices. */
export function evidenceFromEvent(e: DeviceEvent, topology: Topology): Evidence[] {
  const make = (kind: EvidenceKind, lost: boolean, at: number, suffix: string, detail: string): Omit<Evidence, 'feederId'> => ({
    ...blank(),
    evidenceId: `${e.eventId}${suffix}`,
    kind,
    supplyLost: lost,
    occurredAtMs: at,
    ingestedAtMs: e.receivedAtMs,
    detail,
  });
  const forMeter = (x: Omit<Evidence, 'feederId'>): Evidence[] => {
    const p = topology.meter(e.deviceId);
    return p ? [{ ...x, meterId: e.deviceId, terminalAddress: p.terminal, feederId: p.feeder }] : [];
  };
  const forTerminal = (x: Omit<Evidence, 'feederId'>): Evidence[] =>
    feedersOfTerminal(topology, e.terminalAddress || e.deviceId).map((feederId) => ({ ...x, terminalAddress: e.terminalAddress || e.deviceId, feederId }));
  const closed = e.endedAtMs > 0;
  switch (e.type) {
    case EventType.EVENT_TYPE_METER_POWER_DOWN:
      return forMeter(make(EvidenceKind.EVIDENCE_KIND_METER_EVENT, true, e.occurredAtMs, '', `${e.code} power-down`)).concat(
        closed ? forMeter(make(EvidenceKind.EVIDENCE_KIND_METER_EVENT, false, e.endedAtMs, ':end', `${e.code} power-down ended`)) : [],
      );
    case EventType.EVENT_TYPE_METER_POWER_UP:
      return forMeter(make(EvidenceKind.EVIDENCE_KIND_METER_EVENT, false, e.occurredAtMs, '', `${e.code} power-up`));
    case EventType.EVENT_TYPE_TERMINAL_POWER_OFF:
      return forTerminal(make(EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT, true, e.occurredAtMs, '', `${e.code} power-off`)).concat(
        closed ? forTerminal(make(EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT, false, e.endedAtMs, ':end', `${e.code} power-on`)) : [],
      );
    case EventType.EVENT_TYPE_TERMINAL_POWER_ON:
      return forTerminal(make(EvidenceKind.EVIDENCE_KIND_TERMINAL_EVENT, false, e.occurredAtMs, '', `${e.code} power-on`));
    case EventType.EVENT_TYPE_LOGIN:
      return forTerminal(make(EvidenceKind.EVIDENCE_KIND_LINK, false, e.occurredAtMs, '', 'login'));
    case EventType.EVENT_TYPE_LOGOUT:
    case EventType.EVENT_TYPE_HEARTBEAT_LOST:
      return forTerminal(make(EvidenceKind.EVIDENCE_KIND_LINK, true, e.occurredAtMs, '', e.type === EventType.EVENT_TYPE_LOGOUT ? 'connection closed' : 'heartbeat lost'));
    case EventType.EVENT_TYPE_PHASE_LOSS:
    case EventType.EVENT_TYPE_VOLTAGE_ANOMALY:
    case EventType.EVENT_TYPE_CURRENT_ANOMALY:
    case EventType.EVENT_TYPE_OTHER:
    case EventType.EVENT_TYPE_UNSPECIFIED:
    case EventType.UNRECOGNIZED:
      // Not about whether the device has supply at all (a lost phase still leaves the meter powered).
      return [];
  }
}

export interface VoltageSample {
  meterId: string;
  terminal: string;
  dataTimeMs: number;
  receivedAtMs: number;
  /** Phase voltages present in the reading set (A, B, C order; missing phases left out). */
  volts: number[];
  /** Phase currents present in the reading set (A, B, C order). */
  amps: number[];
  frameId: string;
}

/** Readings later than receipt by more than this are not trusted (clock skew allowance, as storage). */
const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Voltage readings of one meter batch grouped by data time (one sample per reading time). Only values
 * storage would accept as good: no quality flag, a plausible voltage, not from the future.
 */
export function voltageSamples(readings: readonly Reading[]): VoltageSample[] {
  const by = new Map<number, VoltageSample>();
  for (const r of readings) {
    const volt = /^voltage\.[abc]$/.test(r.quantity);
    if ((!volt && !/^current\.[abc]$/.test(r.quantity)) || r.quality !== 0) continue;
    if (!Number.isFinite(r.value) || r.value < 0 || r.value > (volt ? 1000 : 100_000) || r.dataTimeMs > r.receivedAtMs + MAX_FUTURE_MS) continue;
    let s = by.get(r.dataTimeMs);
    if (!s) by.set(r.dataTimeMs, (s = { meterId: r.meterId, terminal: r.terminalAddress, dataTimeMs: r.dataTimeMs, receivedAtMs: r.receivedAtMs, volts: [], amps: [], frameId: r.source?.frameId ?? '' }));
    (volt ? s.volts : s.amps).push(r.value);
  }
  return [...by.values()].filter((s) => s.volts.length > 0).sort((a, b) => a.dataTimeMs - b.dataTimeMs);
}

/** Supply state a sample shows: lost when every phase is (near) zero. */
export const supplyLostIn = (s: VoltageSample): boolean => s.volts.length > 0 && s.volts.every((v) => v <= ZERO_VOLTAGE_V);

/**
 * Voltage evidence for a sample, given what was last seen for the meter (undefined = never seen).
 * Zero voltage is always evidence (the engine counts repeats); normal voltage only when it changes the
 * picture (the meter was last seen without supply), so the steady stream of normal readings costs nothing.
 */
export function evidenceFromVoltage(s: VoltageSample, lastLost: boolean | undefined, topology: Topology): Evidence | undefined {
  const lost = supplyLostIn(s);
  if (!lost && lastLost !== true) return undefined;
  const p = topology.meter(s.meterId);
  if (!p) return undefined;
  return {
    ...blank(),
    evidenceId: `v:${s.meterId}:${s.dataTimeMs}`,
    kind: EvidenceKind.EVIDENCE_KIND_VOLTAGE,
    supplyLost: lost,
    meterId: s.meterId,
    terminalAddress: p.terminal,
    feederId: p.feeder,
    occurredAtMs: s.dataTimeMs,
    ingestedAtMs: s.receivedAtMs,
    detail: `U=${s.volts.join('/')} V`,
  };
}
