import type { ProgramKind } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';
import type { RunOutcome } from '../programs/sandbox';

// What runs a worker's programs. The general pools run programs in a sandbox (code from the program
// index); a slot's pool runs the HOST programs its service provides: functions of the worker's own
// process, with the I/O the slot needs (a collection worker reaches terminals through the downlink).

export interface Executor {
  readonly programs: string[];
  has(ref: string): boolean;
  load(ref: string, kind: ProgramKind, code: Buffer, entry: string): Promise<void>;
  unload(ref: string): void;
  /** `task`: which task and attempt the run is (host programs that make outside objects name them after it). */
  run(ref: string, input: unknown, timeoutMs?: number, task?: TaskContext): Promise<RunOutcome>;
  abort(reason: string): void;
  close(): Promise<void>;
}

export interface TaskContext {
  taskId: string;
  taskSetId: string;
  attempt: number;
}

/** A host program: `signal` aborts when the task is cancelled or its time is up. */
export type HostProgram = (input: unknown, signal: AbortSignal, task?: TaskContext) => Promise<unknown>;

/** A failure a host program marks as final (no retry), e.g. input it can never act on. */
export class PermanentProgramError extends Error {
  readonly permanent = true;
}

export class HostExecutor implements Executor {
  private current: AbortController | undefined;

  constructor(
    private readonly provided: ReadonlyMap<string, HostProgram>,
    private readonly timeoutMs = 60_000,
  ) {}

  get programs(): string[] {
    return [...this.provided.keys()];
  }

  has(ref: string): boolean {
    return this.provided.has(ref);
  }

  load(ref: string): Promise<void> {
    return this.provided.has(ref) ? Promise.resolve() : Promise.reject(new Error(`this worker provides only ${this.programs.join(', ')}; ${ref} is not one of them`));
  }

  unload(): void {
    // Host programs are part of the worker; nothing to unload.
  }

  async run(ref: string, input: unknown, timeoutMs = this.timeoutMs, task?: TaskContext): Promise<RunOutcome> {
    const started = performance.now();
    const f = this.provided.get(ref);
    if (!f) return { ok: false, code: 'PROGRAM_NOT_PROVIDED', reason: `this worker does not provide ${ref}`, permanent: false, log: [], durationMs: 0 };
    const ac = new AbortController();
    this.current = ac;
    const timer = setTimeout(() => ac.abort(new Error(`ran longer than ${timeoutMs} ms`)), timeoutMs);
    // The run ends at the time limit or a cancel even when the program does not watch its signal.
    const stopped = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
    try {
      const output = await Promise.race([f(input, ac.signal, task), stopped]);
      return { ok: true, output: output ?? null, log: [], durationMs: performance.now() - started };
    } catch (e) {
      // Bad input is final; anything else (a dependency down, a bug) is worth another attempt.
      const permanent = e instanceof PermanentProgramError || (e instanceof GsError && (e.kind === 'invalid-argument' || e.kind === 'failed-precondition'));
      return { ok: false, code: ac.signal.aborted ? 'TIMEOUT' : 'PROGRAM_ERROR', reason: e instanceof Error ? e.message : String(e), permanent, log: [], durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
      if (this.current === ac) this.current = undefined;
    }
  }

  abort(reason: string): void {
    this.current?.abort(new Error(reason));
  }

  async close(): Promise<void> {
    this.current?.abort(new Error('worker closing'));
  }
}
