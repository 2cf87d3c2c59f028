// A1, the task duration forecast: what a task will take on a given container, from the history of its
// program. Per program, the duration on a reference container (1 CPU) is modelled as a + b * scale,
// fitted by least squares over the most recent observations; a container with more CPU is taken to be
// proportionally faster up to the program's parallel share (Amdahl), and one with less, slower. Until a
// program has history, its declared default is used.

export interface Observation {
  program: string;
  scale: number;
  /** CPU of the container it ran on (1 = one core). */
  cpu: number;
  durationMs: number;
}

export interface ForecastOptions {
  /** Observations kept per program (a sliding window: programs and machines change). */
  window: number;
  /** Share of a program's work that runs in parallel when given more CPU (Amdahl's p). */
  parallelShare: number;
  /** Duration assumed for a program never seen (ms). */
  defaultMs: number;
}

export const DEFAULT_FORECAST: ForecastOptions = { window: 2000, parallelShare: 0.5, defaultMs: 1000 };

interface Fit {
  a: number;
  b: number;
  n: number;
}

export class DurationForecast {
  private readonly history = new Map<string, Observation[]>();
  private readonly fits = new Map<string, Fit>();

  constructor(private readonly o: ForecastOptions = DEFAULT_FORECAST) {}

  /** Amdahl: time on `cpu` cores relative to one core. */
  speedFactor(cpu: number): number {
    const c = Math.max(cpu, 0.05);
    const p = this.o.parallelShare;
    return c >= 1 ? 1 - p + p / c : 1 / c;
  }

  observe(x: Observation): void {
    let h = this.history.get(x.program);
    if (!h) this.history.set(x.program, (h = []));
    h.push(x);
    if (h.length > this.o.window) h.splice(0, h.length - this.o.window);
    this.fits.delete(x.program);
  }

  /** Predicted duration (ms) of a task of `program` with problem size `scale` on a container with `cpu`. */
  predict(program: string, scale: number, cpu: number, declaredMs?: number): number {
    const fit = this.fit(program);
    const base = fit ? Math.max(1, fit.a + fit.b * scale) : (declaredMs ?? this.o.defaultMs);
    return base * this.speedFactor(cpu);
  }

  /** How many observations the forecast of `program` rests on. */
  samples(program: string): number {
    return this.history.get(program)?.length ?? 0;
  }

  private fit(program: string): Fit | undefined {
    const cached = this.fits.get(program);
    if (cached) return cached;
    const h = this.history.get(program);
    if (!h || h.length === 0) return undefined;
    // Normalise each observation to the reference container, then least squares on scale.
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (const x of h) {
      const y = x.durationMs / this.speedFactor(x.cpu);
      sx += x.scale;
      sy += y;
      sxx += x.scale * x.scale;
      sxy += x.scale * y;
    }
    const n = h.length;
    const den = n * sxx - sx * sx;
    const b = Math.abs(den) < 1e-9 ? 0 : (n * sxy - sx * sy) / den;
    const a = (sy - b * sx) / n;
    const fit = { a, b, n };
    this.fits.set(program, fit);
    return fit;
  }
}

/** Mean absolute percentage error of `forecast` on held-out observations (0.1 = 10 %). */
export function meanAbsolutePercentageError(forecast: DurationForecast, heldOut: readonly Observation[]): number {
  if (heldOut.length === 0) return 0;
  let sum = 0;
  for (const x of heldOut) sum += Math.abs(forecast.predict(x.program, x.scale, x.cpu) - x.durationMs) / Math.max(1, x.durationMs);
  return sum / heldOut.length;
}
