// What /readyz and grpc.health.v1 report. Each dependency registers a check; readiness is the
// conjunction of the checks (each bounded by a timeout, results cached briefly so probes are cheap),
// and turns false as soon as shutdown begins so that load balancers stop sending work first.

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  draining: boolean;
  checks: Record<string, CheckResult>;
}

export class HealthRegistry {
  private readonly checks = new Map<string, () => Promise<void>>();
  private draining = false;
  private cached: { at: number; value: Readiness } | undefined;

  constructor(
    private readonly timeoutMs = 2000,
    private readonly cacheMs = 1000,
  ) {}

  register(name: string, check: () => Promise<void>): void {
    if (this.checks.has(name)) throw new Error(`health check "${name}" registered twice`);
    this.checks.set(name, check);
    this.cached = undefined;
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  startDraining(): void {
    this.draining = true;
    this.cached = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async readiness(): Promise<Readiness> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.value;
    const entries = await Promise.all([...this.checks].map(async ([name, fn]) => [name, await this.run(fn)] as const));
    const checks = Object.fromEntries(entries);
    const value: Readiness = { ready: !this.draining && entries.every(([, r]) => r.ok), draining: this.draining, checks };
    this.cached = { at: Date.now(), value };
    return value;
  }

  private async run(fn: () => Promise<void>): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (e) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }
}
