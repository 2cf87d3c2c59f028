import type { ReadFrozenDataRequest, ReadFrozenDataResponse } from '@gridstation/contracts';
import { GsError, invalidArgument } from '@gridstation/errors';

// The collection.read slot's program, run by the collection pool's workers: one AFN 0DH read of one
// terminal through the downlink. The answer is stored by the normal pipeline (the reply frame goes
// through it like every frame from the terminal); the output says what came back, so the plan knows
// which slots the read filled without waiting for storage. Only a downlink that cannot be reached is
// an error (the scheduler retries the task); a terminal that is offline, slow or has no such data is
// an outcome the re-collection ledger acts on.

export interface FrozenReader {
  readFrozenData(req: ReadFrozenDataRequest, deadlineMs: number): Promise<ReadFrozenDataResponse>;
}

export interface ReadInput {
  terminal: string;
  units: Array<{ pn: number; fn: number; fromMs: number; points: number }>;
  timeoutMs?: number;
}

export type ReadOutcomeKind = 'answered' | 'timeout' | 'denied' | 'offline';

export interface ReadOutput {
  outcome: ReadOutcomeKind;
  readings: number;
  servedBy: string;
  /** Data times that came back with a value, per meter and quantity. */
  present: Array<{ meterId: string; quantity: string; times: number[] }>;
  detail?: string;
}

export const READ_PROGRAM = 'collection-read@1';

function parse(input: unknown): ReadInput {
  const i = input as Partial<ReadInput> | null;
  if (!i || typeof i.terminal !== 'string' || !Array.isArray(i.units) || i.units.length === 0) throw invalidArgument('BAD_READ_INPUT', 'a read needs a terminal and at least one unit');
  return i as ReadInput;
}

export function collectionReadProgram(reader: FrozenReader): (input: unknown, signal: AbortSignal) => Promise<ReadOutput> {
  return async (input) => {
    const i = parse(input);
    const timeoutMs = i.timeoutMs ?? 10_000;
    try {
      const r = await reader.readFrozenData({ terminalAddress: i.terminal, units: i.units.map((u) => ({ measurementPoint: u.pn, fn: u.fn, startMs: u.fromMs, points: u.points })), timeoutMs }, Date.now() + timeoutMs + 5_000);
      if (r.denied) return { outcome: 'denied', readings: 0, servedBy: r.servedBy, present: [] };
      const by = new Map<string, { meterId: string; quantity: string; times: number[] }>();
      for (const x of r.readings) {
        if (!x.meterId || !Number.isFinite(x.value) || x.tariff !== 0) continue;
        const k = `${x.meterId}|${x.quantity}`;
        let e = by.get(k);
        if (!e) by.set(k, (e = { meterId: x.meterId, quantity: x.quantity, times: [] }));
        e.times.push(Number(x.dataTimeMs));
      }
      return { outcome: 'answered', readings: r.readings.length, servedBy: r.servedBy, present: [...by.values()] };
    } catch (e) {
      if (e instanceof GsError && e.code === 'NOT_FOUND') return { outcome: 'offline', readings: 0, servedBy: '', present: [], detail: e.message };
      if (e instanceof GsError && e.code === 'DEADLINE_EXCEEDED') return { outcome: 'timeout', readings: 0, servedBy: '', present: [], detail: e.message };
      throw e;
    }
  };
}
