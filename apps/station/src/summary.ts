import type { ServerStats } from '@gridstation/ingest';
import type { ParserStats } from '@gridstation/parsing';
import type { StorageStats } from '@gridstation/persistence';

// The live summary `npm start` prints: one line per interval with rates since the previous line.

export interface SummarySources {
  comm(): ServerStats;
  parser(): ParserStats;
  storage(): StorageStats;
  deadLetters(): number;
}

export class LiveSummary {
  private last?: { at: number; frames: number; readings: number };

  constructor(private readonly sources: SummarySources) {}

  line(nowMs = Date.now()): string {
    const c = this.sources.comm();
    const p = this.sources.parser();
    const s = this.sources.storage();
    const prev = this.last ?? { at: nowMs, frames: c.framesReceived, readings: s.readingsStored };
    const secs = Math.max((nowMs - prev.at) / 1000, 1e-9);
    const fps = nowMs === prev.at ? 0 : (c.framesReceived - prev.frames) / secs;
    const rps = nowMs === prev.at ? 0 : (s.readingsStored - prev.readings) / secs;
    this.last = { at: nowMs, frames: c.framesReceived, readings: s.readingsStored };
    const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)} ms`);
    return [
      `connections ${c.loggedIn}/${c.connections}`,
      `frames ${c.framesReceived} (${fps.toFixed(0)}/s)`,
      `readings stored ${s.readingsStored} (${rps.toFixed(0)}/s)`,
      `latency p50 ${ms(s.latencyP50Ms)} p99 ${ms(s.latencyP99Ms)}`,
      `events ${s.eventsStored}`,
      `dead letters ${this.sources.deadLetters()}`,
      `refused logins ${c.refusedLogins} frames ${c.refusedFrames}`,
      `parsed ${p.frames}`,
    ].join(' | ');
  }
}
