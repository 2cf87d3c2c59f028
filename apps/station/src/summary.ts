import type { ServerStats } from '@gridstation/ingest';
import type { ParserStats } from '@gridstation/parsing';
import type { StorageStats } from '@gridstation/persistence';

// The live summary `npm start` prints: one line per interval with rates since the previous line.
//   offered   readings the simulator put on the wire (when it runs), per second
//   stored    readings written to both stores (DuckDB and LevelDB), per second
//   latency   from the frame's receipt on the terminal socket to its readings being in both stores,
//             p50 and p99 over every reading stored in the interval

export interface SummarySources {
  comm(): ServerStats;
  parser(): ParserStats;
  storage(): StorageStats;
  deadLetters(): number;
  /** Latency percentiles of the readings stored since the last call (resets). */
  intervalLatency?(): { p50?: number; p99?: number; count: number };
  /** Readings the built-in simulator has sent so far. */
  offered?(): number;
}

export class LiveSummary {
  private last?: { at: number; frames: number; readings: number; offered: number };

  constructor(private readonly sources: SummarySources) {}

  line(nowMs = Date.now()): string {
    const c = this.sources.comm();
    const p = this.sources.parser();
    const s = this.sources.storage();
    const offered = this.sources.offered?.() ?? 0;
    const prev = this.last ?? { at: nowMs, frames: c.framesReceived, readings: s.readingsStored, offered };
    const secs = Math.max((nowMs - prev.at) / 1000, 1e-9);
    const fps = nowMs === prev.at ? 0 : (c.framesReceived - prev.frames) / secs;
    const rps = nowMs === prev.at ? 0 : (s.readingsStored - prev.readings) / secs;
    const ops = nowMs === prev.at ? 0 : (offered - prev.offered) / secs;
    this.last = { at: nowMs, frames: c.framesReceived, readings: s.readingsStored, offered };
    const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)} ms`);
    const lat = this.sources.intervalLatency ? this.sources.intervalLatency() : { p50: s.latencyP50Ms, p99: s.latencyP99Ms };
    return [
      `connections ${c.loggedIn}/${c.connections}`,
      `frames ${c.framesReceived} (${fps.toFixed(0)}/s)`,
      ...(this.sources.offered ? [`readings offered ${ops.toFixed(0)}/s`] : []),
      `readings stored ${s.readingsStored} (${rps.toFixed(0)}/s)`,
      `latency receipt->stored p50 ${ms(lat.p50)} p99 ${ms(lat.p99)}`,
      `events ${s.eventsStored}`,
      `dead letters ${this.sources.deadLetters()}`,
      `refused logins ${c.refusedLogins} frames ${c.refusedFrames}`,
      `parsed ${p.frames}`,
    ].join(' | ');
  }
}
