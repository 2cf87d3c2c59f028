// Realistic values for one three-phase meter: a daily load shape (night trough, morning and evening
// peaks), a per-meter size and phase imbalance, power factor 0.85-0.99, voltage 220 V +-3 %, noise from
// a seeded generator (so a run is reproducible), and energy registers that only ever grow. Values are
// rounded to the resolution of the Q/GDW 1376.1 data formats that carry them, so what the simulator
// writes as ground truth is exactly what the wire can say.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/** Relative load at a local hour of day (0..24): trough ~0.3 at 4:00, peaks ~1.0 at 10:00 and 19:30. */
export function loadShape(hour: number): number {
  const g = (mu: number, sigma: number) => Math.exp(-((hour - mu) ** 2) / (2 * sigma ** 2));
  return 0.3 + 0.55 * g(10, 2) + 0.7 * g(19.5, 2.2) + 0.15 * g(14, 3);
}

/** Tariff (1 sharp, 2 peak, 3 flat, 4 valley) by local hour, a common provincial time-of-use split. */
export function tariffAt(hour: number): number {
  if ((hour >= 19 && hour < 21) || (hour >= 10 && hour < 11)) return 1;
  if ((hour >= 8 && hour < 10) || (hour >= 11 && hour < 12) || (hour >= 17 && hour < 19) || (hour >= 21 && hour < 22)) return 2;
  if (hour >= 23 || hour < 7) return 4;
  return 3;
}

export interface Snapshot {
  /** kW per phase and total (A.9: 4 decimals). */
  p: [number, number, number];
  pTotal: number;
  q: [number, number, number];
  qTotal: number;
  /** Power factor in percent (A.5: 1 decimal). */
  pf: [number, number, number];
  pfTotal: number;
  /** Volts (A.7: 1 decimal). */
  u: [number, number, number];
  /** Amperes (A.25: 3 decimals). */
  i: [number, number, number];
  iN: number;
  s: [number, number, number];
  sTotal: number;
}

export interface Registers {
  /** kWh: total then tariffs 1..4 (A.14: 4 decimals). */
  activeImport: number[];
  /** kvarh: total then tariffs 1..4 (A.11: 2 decimals). */
  reactive1: number[];
  reactiveQ1: number[];
  reactiveQ4: number[];
}

export class MeterModel {
  private readonly rand: () => number;
  private readonly sizeKw: number;
  private readonly imbalance: [number, number, number];
  private readonly basePf: number;
  private readonly nominal: [number, number, number];
  private readonly energy = [0, 0, 0, 0];
  private readonly reactive = [0, 0, 0, 0];
  private lastMs?: number;

  constructor(seed: number, tzOffsetMinutes = 480) {
    this.rand = mulberry32(seed);
    // Mostly households (1-8 kW peak), some small businesses (10-45 kW).
    this.sizeKw = this.rand() < 0.85 ? 1 + this.rand() * 7 : 10 + this.rand() * 35;
    const a = 0.85 + this.rand() * 0.3;
    const b = 0.85 + this.rand() * 0.3;
    this.imbalance = [a, b, 3 - a - b];
    this.basePf = 0.86 + this.rand() * 0.12;
    this.nominal = [0, 1, 2].map(() => 220 * (0.97 + this.rand() * 0.06)) as [number, number, number];
    const start = 2000 + this.rand() * 20000;
    this.energy = [0, start * 0.1, start * 0.3, start * 0.35, start * 0.25];
    this.reactive = [0, start * 0.05, start * 0.1, start * 0.1];
    this.tz = tzOffsetMinutes;
  }

  private readonly tz: number;

  localHour(ms: number): number {
    const local = new Date(ms + this.tz * 60_000);
    return local.getUTCHours() + local.getUTCMinutes() / 60;
  }

  snapshot(ms: number): Snapshot {
    const total = this.sizeKw * loadShape(this.localHour(ms)) * (0.92 + this.rand() * 0.16);
    const pfRatio = Math.min(0.999, this.basePf + (this.rand() - 0.5) * 0.02);
    const p = this.imbalance.map((k) => round((total / 3) * k, 4)) as [number, number, number];
    const tan = Math.tan(Math.acos(pfRatio));
    const q = p.map((x) => round(x * tan, 4)) as [number, number, number];
    const s = p.map((x, k) => round(Math.hypot(x, q[k]!), 4)) as [number, number, number];
    const u = this.nominal.map((n) => round(n * (0.995 + this.rand() * 0.01), 1)) as [number, number, number];
    const i = p.map((x, k) => round((x * 1000) / (u[k]! * pfRatio), 3)) as [number, number, number];
    const pf = [0, 1, 2].map(() => round(pfRatio * 100, 1)) as [number, number, number];
    const pTotal = round(p[0] + p[1] + p[2], 4);
    const qTotal = round(q[0] + q[1] + q[2], 4);
    const sTotal = round(s[0] + s[1] + s[2], 4);
    return { p, pTotal, q, qTotal, pf, pfTotal: round(pfRatio * 100, 1), u, i, iN: round(Math.abs(i[0] - i[1]) * 0.1, 3), s, sTotal };
  }

  /** Advances the energy registers to `ms` at the load of that moment and returns them. */
  registers(ms: number): Registers {
    if (this.lastMs !== undefined && ms > this.lastMs) {
      const hours = (ms - this.lastMs) / 3_600_000;
      const kw = this.sizeKw * loadShape(this.localHour(ms));
      const t = tariffAt(this.localHour(ms));
      this.energy[t]! += kw * hours;
      this.reactive[Math.min(t, 3)]! += kw * 0.3 * hours;
    }
    this.lastMs = Math.max(ms, this.lastMs ?? ms);
    const tariffs = [1, 2, 3, 4].map((t) => round(this.energy[t]!, 4));
    const rTariffs = [1, 2, 3, 4].map((t) => round(this.reactive[Math.min(t, 3)]! * (t === 4 ? 0.5 : 1), 2));
    return {
      activeImport: [round(tariffs.reduce((a, b) => a + b, 0), 4), ...tariffs],
      reactive1: [round(rTariffs.reduce((a, b) => a + b, 0), 2), ...rTariffs],
      reactiveQ1: [round(rTariffs.reduce((a, b) => a + b, 0) * 0.9, 2), ...rTariffs.map((x) => round(x * 0.9, 2))],
      reactiveQ4: [round(rTariffs.reduce((a, b) => a + b, 0) * 0.1, 2), ...rTariffs.map((x) => round(x * 0.1, 2))],
    };
  }
}
