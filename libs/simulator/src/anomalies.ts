import { loadShape, mulberry32, round } from './load-model';

// Meter data with the faults a collection system meets, and the ground truth of every one: reports
// lost on the way, terminals offline for hours, meters whose clock drifts, energy registers that go
// backwards or wrap at their maximum, frozen (flat-lined) registers and power spikes. VEE and the
// completeness checks are scored against this truth, fault by fault.

export type FaultKind = 'SPIKE' | 'FLAT_LINE' | 'BACKWARDS' | 'ROLLOVER' | 'CLOCK_DRIFT' | 'LOST' | 'OFFLINE';

export interface InjectedFault {
  meterId: string;
  kind: FaultKind;
  /** The data times affected (for CLOCK_DRIFT: the time of the last clock sample). */
  times: number[];
}

export interface FaultyMeter {
  meterId: string;
  terminal: string;
  /** Forward active energy register every interval, as the meter reports it (faults included). */
  register: Array<{ t: number; v: number }>;
  /** Total active power every interval (kW), as reported. */
  power: Array<{ t: number; v: number }>;
  /** What the register would have read without any fault. */
  trueRegister: Array<{ t: number; v: number }>;
  /** Meter clock samples (one per day at the daily freeze read). */
  clock: Array<{ meterMs: number; stationMs: number }>;
  /** Data times whose report never arrived (lost or terminal offline): present in the true series. */
  missing: Set<number>;
}

export interface FaultOptions {
  seed: number;
  meters: number;
  days: number;
  /** Local midnight of the first day (UTC ms). */
  startMs: number;
  intervalMs: number;
  metersPerTerminal: number;
  /** Share of reports lost at random. */
  lostRate: number;
  /** Share of terminals that go offline once, for `offlineHours`. */
  offlineRate: number;
  offlineHours: number;
  /** Faults per meter per day of each kind (probabilities). */
  spikeRate: number;
  flatRate: number;
  backwardsRate: number;
  /** Share of meters whose register starts just below its maximum (they wrap during the run). */
  rolloverShare: number;
  /** Share of meters whose clock drifts (by 2-10 minutes a day). */
  driftShare: number;
  registerMax: number;
}

export const DEFAULT_FAULTS: FaultOptions = {
  seed: 3,
  meters: 200,
  days: 3,
  startMs: Date.UTC(2026, 10, 29, 16),
  intervalMs: 900_000,
  metersPerTerminal: 10,
  lostRate: 0.05,
  offlineRate: 0.05,
  offlineHours: 6,
  spikeRate: 0.3,
  flatRate: 0.2,
  backwardsRate: 0.2,
  rolloverShare: 0.05,
  driftShare: 0.1,
  registerMax: 999_999.9999,
};

export function faultyMeters(o: FaultOptions = DEFAULT_FAULTS): { meters: FaultyMeter[]; faults: InjectedFault[] } {
  const rand = mulberry32(o.seed);
  const slots = Math.round((o.days * 86_400_000) / o.intervalMs);
  const perDay = Math.round(86_400_000 / o.intervalMs);
  const faults: InjectedFault[] = [];
  const terminals = Math.ceil(o.meters / o.metersPerTerminal);
  // Terminal outages: [from, to) in slots.
  const offline = new Map<number, [number, number]>();
  for (let k = 0; k < terminals; k++) {
    if (rand() >= o.offlineRate) continue;
    const len = Math.round((o.offlineHours * 3_600_000) / o.intervalMs);
    const from = Math.floor(rand() * (slots - len));
    offline.set(k, [from, from + len]);
  }
  const meters: FaultyMeter[] = [];
  for (let m = 0; m < o.meters; m++) {
    const meterId = `vee-${String(m).padStart(5, '0')}`;
    const term = Math.floor(m / o.metersPerTerminal);
    const size = 1 + rand() * 9;
    const rolls = rand() < o.rolloverShare;
    let reg = rolls ? o.registerMax - size * (2 + rand() * 4) : 1000 + rand() * 50_000;
    const trueRegister: FaultyMeter['register'] = [];
    const truePower: number[] = [];
    let rolledAt = -1;
    for (let k = 0; k < slots; k++) {
      const t = o.startMs + k * o.intervalMs;
      const hour = ((k % perDay) * o.intervalMs) / 3_600_000;
      const kw = round(size * loadShape(hour) * (0.95 + rand() * 0.1), 4);
      truePower.push(kw);
      const before = reg;
      reg = round(reg + (kw * o.intervalMs) / 3_600_000, 4);
      if (reg > o.registerMax) {
        reg = round(reg - o.registerMax - 0.0001, 4);
        if (before > o.registerMax * 0.9) rolledAt = k;
      }
      trueRegister.push({ t, v: reg });
    }
    const register = trueRegister.map((p) => ({ ...p }));
    const power = truePower.map((v, k) => ({ t: o.startMs + k * o.intervalMs, v }));
    if (rolledAt >= 0) faults.push({ meterId, kind: 'ROLLOVER', times: [register[rolledAt]!.t] });
    // Disjoint places for the injected faults: a slot is used by one fault at most, away from the ends
    // and from the rollover (so each fault is judged on its own).
    const used = new Uint8Array(slots);
    const take = (len: number, margin: number): number => {
      for (let tries = 0; tries < 50; tries++) {
        const at = margin + Math.floor(rand() * (slots - len - 2 * margin));
        let ok = rolledAt < 0 || at > rolledAt + margin || at + len + margin < rolledAt;
        for (let j = at - margin; ok && j < at + len + margin; j++) if (used[j]) ok = false;
        if (!ok) continue;
        for (let j = at - margin; j < at + len + margin; j++) used[j] = 1;
        return at;
      }
      return -1;
    };
    for (let d = 0; d < o.days; d++) {
      if (rand() < o.spikeRate) {
        const at = take(1, 5);
        if (at >= 0) {
          power[at]!.v = round(power[at]!.v * (3 + rand() * 5), 4);
          faults.push({ meterId, kind: 'SPIKE', times: [power[at]!.t] });
        }
      }
      if (rand() < o.backwardsRate) {
        const at = take(1, 2);
        if (at >= 0) {
          register[at]!.v = round(register[at - 1]!.v - (1 + rand() * 50), 4);
          faults.push({ meterId, kind: 'BACKWARDS', times: [register[at]!.t] });
        }
      }
      if (rand() < o.flatRate) {
        const len = 3 + Math.floor(rand() * 6);
        const at = take(len + 1, 2);
        if (at >= 0) {
          // The register display sticks for `len` intervals, then catches up.
          for (let j = at + 1; j <= at + len; j++) register[j]!.v = register[at]!.v;
          faults.push({ meterId, kind: 'FLAT_LINE', times: register.slice(at + 1, at + len + 1).map((p) => p.t) });
        }
      }
    }
    // The meter's clock: one sample a day; drifting meters gain or lose 2-10 minutes a day.
    const drifts = rand() < o.driftShare;
    const rate = drifts ? (rand() < 0.5 ? -1 : 1) * (2 + rand() * 8) * 60_000 : (rand() - 0.5) * 20_000;
    const clock = Array.from({ length: o.days }, (_, d) => {
      const stationMs = o.startMs + (d + 1) * 86_400_000 + 60_000;
      return { meterMs: Math.round(stationMs + rate * (d + 1)), stationMs };
    });
    // Lost reports and the terminal's outage: those slots never arrive.
    const missing = new Set<number>();
    const lost: number[] = [];
    for (let k = 0; k < slots; k++) if (rand() < o.lostRate) lost.push(o.startMs + k * o.intervalMs);
    for (const t of lost) missing.add(t);
    if (lost.length) faults.push({ meterId, kind: 'LOST', times: lost });
    const out = offline.get(term);
    if (out) {
      const times = Array.from({ length: out[1] - out[0] }, (_, j) => o.startMs + (out[0] + j) * o.intervalMs);
      for (const t of times) missing.add(t);
      faults.push({ meterId, kind: 'OFFLINE', times });
    }
    meters.push({ meterId, terminal: `T${String(term).padStart(4, '0')}`, register, power, trueRegister, clock, missing });
    if (Math.abs(rate * o.days) > 300_000) faults.push({ meterId, kind: 'CLOCK_DRIFT', times: [clock[clock.length - 1]!.stationMs] });
  }
  return { meters, faults };
}
