import type { TerminalRecord } from '@gridstation/archive';
import { meterIdOf, QUARTER_MS, SimTerminal, type SimTerminalOptions } from './sim-terminal';
import { SimTerminal698 } from './sim-terminal-698';
import { GroundTruth } from './truth';

// N simulated terminals with M meters each over real TCP. A run: provision the archive (the terminals
// the station should accept), connect and log in (plus any unknown terminals, which must be refused),
// then report rounds at a fixed rate; every value sent is kept in the ground truth. A mixed fleet adds
// DL/T 698.45 concentrators (numbered after the 1376.1 ones) on the same port.

export interface SimulatorOptions {
  host: string;
  port: number;
  terminals: number;
  metersPerTerminal: number;
  region: string;
  /** A2 of the first terminal; the others follow. */
  firstTerminal: number;
  /** Report rounds per second (each round: every terminal sends F25 + F33 for all its meters). */
  roundsPerSecond: number;
  tzOffsetMinutes: number;
  heartbeatMs: number;
  badFrameEvery: number;
  eventEvery: number;
  /** Energy registers (F33) every n-th round; default 1 (every round). */
  energyEvery?: number;
  /** Terminals not in the archive that try to log in (and must be refused). */
  unknownTerminals: number;
  seed: number;
  /** First data time; default: 7 days ago on a 15-minute boundary (so a long run never reaches "now"). */
  startMs?: number;
  /** false: count the readings sent without keeping them (load runs); default true. */
  keepTruth?: boolean;
  /** Spread each round's terminals evenly over the round interval instead of sending them all at once. */
  spreadRounds?: boolean;
  /** Share of active reports lost on the way (the terminals still hold the data for a read). */
  lostReportRate?: number;
  /** Terminals answer reads after this long. */
  answerDelayMs?: number;
  /** Per terminal (by index), the line loss of its area: pn 1 becomes the area's master meter. */
  areaLoss?: (terminalIndex: number) => number | undefined;
  /** DL/T 698.45 concentrators besides the 1376.1 terminals (same meters per terminal); default 0. */
  dlt698Terminals?: number;
}

export const DEFAULT_SIMULATOR: Omit<SimulatorOptions, 'host' | 'port'> = {
  terminals: 100,
  metersPerTerminal: 8,
  region: '4101',
  firstTerminal: 1,
  roundsPerSecond: 1,
  tzOffsetMinutes: 480,
  heartbeatMs: 30_000,
  badFrameEvery: 20,
  eventEvery: 25,
  unknownTerminals: 1,
  seed: 1,
};

export interface SimulatorStats {
  terminals: number;
  loggedIn: number;
  refused: number;
  rounds: number;
  framesSent: number;
  confirmed: number;
  denied: number;
  readsAnswered: number;
  readings: number;
  /** Readings put on the wire, repeats included (counted also when the truth is not kept). */
  readingsSent: number;
}

export class Simulator {
  readonly truth: GroundTruth;
  readonly terminals: SimTerminal[] = [];
  readonly unknown: SimTerminal[] = [];
  readonly terminals698: SimTerminal698[] = [];
  private rounds = 0;
  private stopped = false;

  constructor(readonly o: SimulatorOptions) {
    this.truth = new GroundTruth(o.keepTruth ?? true);
    const startMs = o.startMs ?? Math.floor((Date.now() - 7 * 86_400_000) / QUARTER_MS) * QUARTER_MS;
    const base = (terminal: number, seed: number): SimTerminalOptions => ({
      host: o.host,
      port: o.port,
      region: o.region,
      terminal,
      meters: o.metersPerTerminal,
      startMs,
      tzOffsetMinutes: o.tzOffsetMinutes,
      heartbeatMs: o.heartbeatMs,
      seed,
      badFrameEvery: o.badFrameEvery,
      eventEvery: o.eventEvery,
      energyEvery: o.energyEvery ?? 1,
      ...(o.lostReportRate ? { lostReportRate: o.lostReportRate } : {}),
      ...(o.answerDelayMs ? { answerDelayMs: o.answerDelayMs } : {}),
    });
    for (let i = 0; i < o.terminals; i++) {
      const loss = o.areaLoss?.(i);
      this.terminals.push(new SimTerminal({ ...base(o.firstTerminal + i, o.seed * 100_000 + i), ...(loss === undefined ? {} : { areaLossRate: loss }) }, this.truth));
    }
    for (let i = 0; i < o.unknownTerminals; i++) this.unknown.push(new SimTerminal(base(60_000 + i, 9_999 + i), this.truth));
    for (let i = 0; i < (o.dlt698Terminals ?? 0); i++) {
      const b = base(o.firstTerminal + o.terminals + i, o.seed * 100_000 + o.terminals + i);
      this.terminals698.push(new SimTerminal698({ host: b.host, port: b.port, region: b.region, terminal: b.terminal, meters: b.meters, startMs: b.startMs, tzOffsetMinutes: b.tzOffsetMinutes, heartbeatMs: b.heartbeatMs, seed: b.seed }, this.truth));
    }
  }

  /** What the station's archive must hold for this run (the unknown terminals are left out on purpose). */
  archive(): TerminalRecord[] {
    const meters = (terminal: number, master: boolean) =>
      Array.from({ length: this.o.metersPerTerminal }, (_, k) => ({ pn: k + 1, meterId: meterIdOf(terminal, k + 1, this.o.region), ...(k === 0 && master ? { role: 'master' as const } : {}) }));
    return [...this.terminals.map((t) => ({ address: t.key, meters: meters(t.o.terminal, t.o.areaLossRate !== undefined) })), ...this.terminals698.map((t) => ({ address: t.key, meters: meters(t.o.terminal, false) }))];
  }

  meterIds(): string[] {
    return this.archive().flatMap((t) => t.meters.map((m) => m.meterId));
  }

  /** Connects every terminal (a few at a time) and logs in. */
  async connect(concurrency = 50): Promise<void> {
    const all: Array<{ connect(): Promise<boolean> }> = [...this.terminals, ...this.terminals698, ...this.unknown];
    for (let i = 0; i < all.length; i += concurrency) {
      await Promise.all(all.slice(i, i + concurrency).map((t) => t.connect().catch(() => false)));
    }
  }

  /** Runs `rounds` report rounds at the configured rate (or the one given, or until stop()); hooks run around each round. */
  async run(rounds: number, hooks: { before?(round: number): Promise<void> | void; after?(round: number): void } = {}, roundsPerSecond = this.o.roundsPerSecond): Promise<void> {
    const interval = 1000 / roundsPerSecond;
    const started = performance.now();
    for (let r = 0; r < rounds && !this.stopped; r++) {
      await hooks.before?.(r);
      if (this.o.spreadRounds) await this.spread(started + r * interval, interval);
      else for (const t of this.terminals) t.reportRound();
      for (const t of this.terminals698) t.reportRound();
      hooks.after?.(r);
      this.rounds++;
      const next = started + (r + 1) * interval;
      const wait = next - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  }

  /** One round with its terminals in slices of about 10 ms, so the load is even within the round. */
  private async spread(roundStart: number, interval: number): Promise<void> {
    const slices = Math.max(1, Math.min(this.terminals.length, Math.floor(interval / 10)));
    for (let s = 0; s < slices && !this.stopped; s++) {
      const from = Math.floor((s * this.terminals.length) / slices);
      const to = Math.floor(((s + 1) * this.terminals.length) / slices);
      for (let i = from; i < to; i++) this.terminals[i]!.reportRound();
      const wait = roundStart + ((s + 1) * interval) / slices - performance.now();
      if (s < slices - 1 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.terminals, ...this.terminals698, ...this.unknown].map((t) => t.close()));
  }

  stats(): SimulatorStats {
    const s: SimulatorStats = { terminals: this.terminals.length + this.terminals698.length, loggedIn: 0, refused: 0, rounds: this.rounds, framesSent: 0, confirmed: 0, denied: 0, readsAnswered: 0, readings: this.truth.readings.size, readingsSent: this.truth.sent };
    for (const t of [...this.terminals, ...this.terminals698, ...this.unknown]) {
      if (t.stats.loggedIn) s.loggedIn++;
      if (t.stats.refused) s.refused++;
      s.framesSent += t.stats.framesSent;
      s.confirmed += t.stats.confirmed;
      s.denied += t.stats.denied;
      s.readsAnswered += t.stats.readsAnswered;
    }
    return s;
  }
}
