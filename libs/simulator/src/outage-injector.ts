import type { SimTerminal } from './sim-terminal';

export interface InjectedOutage {
  /** The terminal whose transformer area lost supply. */
  terminal: string;
  offAtMs: number;
  /** 0 while supply is still off. */
  onAtMs: number;
}

/**
 * Demo outages for the embedded station: every `everyMs` one transformer area loses supply (its
 * terminal sends the ERC14 last gasp and goes silent) and gets it back `lastsMs` later (the terminal
 * logs in again and sends the closed record). Terminals take turns, one outage at a time.
 */
export class OutageInjector {
  readonly history: InjectedOutage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private restore: NodeJS.Timeout | undefined;
  private next = 0;
  private current: { terminal: SimTerminal; outage: InjectedOutage } | undefined;

  constructor(
    private readonly terminals: readonly SimTerminal[],
    private readonly o: { everyMs: number; lastsMs: number; onError?: (e: unknown) => void },
  ) {}

  start(): void {
    if (this.terminals.length === 0 || this.o.everyMs <= 0) return;
    this.timer = setInterval(() => this.inject(), this.o.everyMs);
    this.timer.unref();
  }

  /** Cuts the next terminal's supply now (when none is out), and restores it after `lastsMs`. */
  inject(): InjectedOutage | undefined {
    if (this.current) return undefined;
    const terminal = this.terminals[this.next++ % this.terminals.length]!;
    if (!terminal.online) return undefined;
    const outage: InjectedOutage = { terminal: terminal.key, offAtMs: Date.now(), onAtMs: 0 };
    terminal.powerOff(true);
    this.current = { terminal, outage };
    this.history.push(outage);
    if (this.history.length > 100) this.history.shift();
    this.restore = setTimeout(() => void this.powerOn(), this.o.lastsMs);
    this.restore.unref();
    return outage;
  }

  private async powerOn(): Promise<void> {
    const c = this.current;
    if (!c) return;
    try {
      await c.terminal.powerOn();
      c.outage.onAtMs = Date.now();
    } catch (e) {
      this.o.onError?.(e);
    } finally {
      this.current = undefined;
    }
  }

  /** Stops injecting; an area still out gets its supply back. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.restore) clearTimeout(this.restore);
    await this.powerOn();
  }
}
