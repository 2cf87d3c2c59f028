import type { ReadClockRequest, ReadClockResponse, SetClockRequest, SetClockResponse } from '@gridstation/contracts';
import { GsError, invalidArgument } from '@gridstation/errors';
import { checkClock } from '@gridstation/metering';

// The collection.clock slot's program: a terminal's clock read (AFN 0CH F2) against the station's;
// past the threshold it is set (AFN 05H F31) and read again to confirm.

export interface ClockChannel {
  readClock(req: ReadClockRequest, deadlineMs: number): Promise<ReadClockResponse>;
  setClock(req: SetClockRequest, deadlineMs: number): Promise<SetClockResponse>;
}

export interface ClockOutput {
  outcome: 'checked' | 'offline';
  terminal: string;
  driftMs: number;
  set: boolean;
  /** The drift read after setting (0 when not set). */
  driftAfterMs: number;
  detail: string;
}

export const CLOCK_PROGRAM = 'collection-clock@1';

export function clockProgram(channel: ClockChannel): (input: unknown, signal: AbortSignal) => Promise<ClockOutput> {
  return async (input) => {
    const i = input as { terminal?: unknown; thresholdMs?: unknown } | null;
    if (!i || typeof i.terminal !== 'string') throw invalidArgument('BAD_CLOCK_INPUT', 'a clock check needs a terminal');
    const terminal = i.terminal;
    const threshold = typeof i.thresholdMs === 'number' && i.thresholdMs > 0 ? i.thresholdMs : 300_000;
    const deadline = () => Date.now() + 15_000;
    let first: ReadClockResponse;
    try {
      first = await channel.readClock({ terminalAddress: terminal, timeoutMs: 10_000 }, deadline());
    } catch (e) {
      if (e instanceof GsError && e.code === 'NOT_FOUND') return { outcome: 'offline', terminal, driftMs: 0, set: false, driftAfterMs: 0, detail: e.message };
      throw e;
    }
    const check = checkClock([{ meterMs: Number(first.terminalMs), stationMs: Number(first.stationMs) }], threshold)!;
    if (!check.setTime) return { outcome: 'checked', terminal, driftMs: check.driftMs, set: false, driftAfterMs: 0, detail: 'within the threshold' };
    const s = await channel.setClock({ terminalAddress: terminal, timeoutMs: 10_000 }, deadline());
    if (!s.confirmed) throw new GsError('failed-precondition', 'TERMINAL_DENIED', `terminal ${terminal} denied the time set`);
    const after = await channel.readClock({ terminalAddress: terminal, timeoutMs: 10_000 }, deadline());
    return { outcome: 'checked', terminal, driftMs: check.driftMs, set: true, driftAfterMs: Number(after.driftMs), detail: check.flag?.detail ?? '' };
  };
}
