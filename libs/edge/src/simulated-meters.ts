import { Unit, type EdgeQuantity } from '@gridstation/contracts';

// The meters behind one simulated edge agent (a concentrator gateway in a test or benchmark): each
// read gives one record per meter with its energy register, total power, phase voltages and
// currents. Power follows a daily shape (night trough, morning and evening peaks) per meter size, with
// noise; energy integrates the power between reads. Agent `index` of `region` appears in the archive
// as terminal region-index with its meters at measurement points 1..n.

export const EDGE_QUANTITIES: EdgeQuantity[] = [
  { quantity: 'energy.active.import', unit: Unit.UNIT_KWH, scale: 4 },
  { quantity: 'power.active.total', unit: Unit.UNIT_KW, scale: 4 },
  { quantity: 'voltage.a', unit: Unit.UNIT_V, scale: 1 },
  { quantity: 'voltage.b', unit: Unit.UNIT_V, scale: 1 },
  { quantity: 'voltage.c', unit: Unit.UNIT_V, scale: 1 },
  { quantity: 'current.a', unit: Unit.UNIT_A, scale: 3 },
  { quantity: 'current.b', unit: Unit.UNIT_A, scale: 3 },
  { quantity: 'current.c', unit: Unit.UNIT_A, scale: 3 },
];

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const shape = (hour: number) => 0.35 + 0.4 * Math.exp(-(((hour - 8) / 2) ** 2)) + 0.65 * Math.exp(-(((hour - 19.5) / 2.5) ** 2));

interface Meter {
  id: string;
  kw: number;
  energy: number;
  lastMs: number;
  rand: () => number;
}

export class SimulatedMeters {
  readonly terminal: string;
  private readonly list: Meter[];

  constructor(
    readonly region: string,
    readonly index: number,
    meters: number,
  ) {
    if (!/^\d{4}$/.test(region)) throw new RangeError(`region must be 4 digits, got ${region}`);
    this.terminal = `${region}-${String(index).padStart(5, '0')}`;
    this.list = Array.from({ length: meters }, (_, k) => {
      const rand = rng(Number(region) * 1_000_003 + index * 4099 + k + 1);
      return { id: `${region.slice(1)}${String(index).padStart(5, '0')}${String(k + 1).padStart(4, '0')}`, kw: 1 + rand() * 9, energy: 1000 + rand() * 20_000, lastMs: 0, rand };
    });
  }

  get ids(): string[] {
    return this.list.map((m) => m.id);
  }

  /** Every meter's values at `ms`: [energy, power, Ua, Ub, Uc, Ia, Ib, Ic]. */
  read(ms: number): Array<{ meterId: string; timestampMs: number; values: number[] }> {
    const hour = (((ms + 8 * 3_600_000) % 86_400_000) + 86_400_000) % 86_400_000 / 3_600_000;
    return this.list.map((m) => {
      const p = m.kw * shape(hour) * (0.95 + m.rand() * 0.1);
      if (m.lastMs > 0 && ms > m.lastMs) m.energy += (p * (ms - m.lastMs)) / 3_600_000;
      m.lastMs = ms;
      const u = [0, 1, 2].map(() => Math.round((220 + m.rand() * 6) * 10) / 10);
      const i = u.map((v) => Math.round(((p * 1000) / 3 / v / 0.95) * 1000) / 1000);
      return { meterId: m.id, timestampMs: ms, values: [Math.round(m.energy * 10_000) / 10_000, Math.round(p * 10_000) / 10_000, ...u, ...i] };
    });
  }

  /** The archive entry: the agent as a terminal, its meters as measurement points. */
  archive(): { address: string; meters: Array<{ meterId: string; pn: number }> } {
    return { address: this.terminal, meters: this.list.map((m, k) => ({ meterId: m.id, pn: k + 1 })) };
  }
}
