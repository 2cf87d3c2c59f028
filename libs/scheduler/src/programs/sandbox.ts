import { Worker } from 'node:worker_threads';
import { ProgramKind } from '@gridstation/contracts';

// Where programs run: a worker thread with its own V8 heap limit, so that a program that exhausts its
// memory ends its thread (ERR_WORKER_OUT_OF_MEMORY) and not the worker process, and one that never
// returns is stopped at its time limit by terminating the thread. A new thread is started for the
// next task, with the loaded programs loaded again. Programs are loaded once and kept until unloaded.
//
// This contains failures and resource use; it is not a security boundary (a thread shares the process:
// a program could still reach `process`). Programs that are not trusted run on trial workers, which are
// their own processes (pods) with their own limits.

export interface SandboxLimits {
  /** V8 old-generation heap of the thread (MB). */
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
  /** Longest one run may take (ms) unless the task asks for less. */
  timeoutMs: number;
  /** Most log lines kept per run. */
  maxLogLines: number;
}

export const PRODUCTION_LIMITS: SandboxLimits = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, timeoutMs: 600_000, maxLogLines: 50 };
export const TRIAL_LIMITS: SandboxLimits = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16, timeoutMs: 30_000, maxLogLines: 50 };

export type RunOutcome =
  | { ok: true; output: unknown; log: string[]; durationMs: number }
  | { ok: false; code: string; reason: string; permanent: boolean; log: string[]; durationMs: number };

interface Loaded {
  kind: ProgramKind;
  code: Buffer;
  entry: string;
}

// The thread's code, evaluated as a script (no file to resolve, under jest or from dist alike).
const THREAD = String.raw`
const { parentPort } = require('node:worker_threads');
const programs = new Map();
let log = [];
let maxLog = 50;
const line = (...a) => { if (log.length < maxLog) log.push(a.map((x) => typeof x === 'string' ? x : JSON.stringify(x)).join(' ').slice(0, 500)); };
const programConsole = { log: line, info: line, warn: line, error: line, debug: line };
const forbidden = (name) => { throw new Error('require(' + JSON.stringify(name) + ') is not available to programs'); };
async function load(m) {
  if (m.kind === 2) {
    const { instance } = await WebAssembly.instantiate(m.code, {});
    const f = instance.exports[m.entry];
    if (typeof f !== 'function') throw new Error('the module exports no function ' + m.entry + ' (exports: ' + Object.keys(instance.exports).join(', ') + ')');
    return (input) => {
      const args = Array.isArray(input && input.args) ? input.args : [];
      return { value: Number(f(...args)) };
    };
  }
  const module = { exports: {} };
  new Function('module', 'exports', 'require', 'console', Buffer.from(m.code).toString('utf8'))(module, module.exports, forbidden, programConsole);
  const f = module.exports[m.entry];
  if (typeof f !== 'function') throw new Error('the module exports no function ' + m.entry + ' (exports: ' + (Object.keys(module.exports).join(', ') || 'none') + ')');
  return f;
}
parentPort.on('message', async (m) => {
  if (m.op === 'load') {
    try { programs.set(m.ref, await load(m)); parentPort.postMessage({ op: 'loaded', id: m.id, ok: true }); }
    catch (e) { parentPort.postMessage({ op: 'loaded', id: m.id, ok: false, error: String(e && e.message || e) }); }
  } else if (m.op === 'unload') {
    programs.delete(m.ref);
  } else if (m.op === 'run') {
    log = []; maxLog = m.maxLog;
    const t0 = performance.now();
    try {
      const f = programs.get(m.ref);
      if (!f) throw new Error('program ' + m.ref + ' is not loaded');
      const output = await f(m.input, { console: programConsole, log: line });
      parentPort.postMessage({ op: 'done', id: m.id, ok: true, output: output === undefined ? null : output, log, ms: performance.now() - t0 });
    } catch (e) {
      parentPort.postMessage({ op: 'done', id: m.id, ok: false, error: String(e && e.stack || e).slice(0, 2000), permanent: !!(e && e.permanent), log, ms: performance.now() - t0 });
    }
  }
});
`;

export class Sandbox {
  private thread: Worker | undefined;
  private readonly loaded = new Map<string, Loaded>();
  private readonly waiting = new Map<number, { thread: Worker; resolve: (m: Record<string, unknown>) => void }>();
  private nextId = 1;
  private readonly exitReasons = new WeakMap<Worker, { code: string; reason: string }>();
  /** Threads started (1 + restarts after a crash, an exhausted heap or a time-out). */
  starts = 0;

  constructor(private readonly limits: SandboxLimits) {}

  get programs(): string[] {
    return [...this.loaded.keys()];
  }

  has(ref: string): boolean {
    return this.loaded.has(ref);
  }

  /** Compiles a program in the thread; rejects with the reason when it cannot be used. */
  async load(ref: string, kind: ProgramKind, code: Buffer, entry: string): Promise<void> {
    const t = this.ensure();
    const r = await this.call(t, { op: 'load', ref, kind, code, entry });
    if (!r['ok']) throw new Error(String(r['error']));
    this.loaded.set(ref, { kind, code, entry });
  }

  unload(ref: string): void {
    this.loaded.delete(ref);
    this.thread?.postMessage({ op: 'unload', ref });
  }

  async run(ref: string, input: unknown, timeoutMs = this.limits.timeoutMs): Promise<RunOutcome> {
    const started = performance.now();
    const t = this.ensure();
    if (!this.loaded.has(ref)) return { ok: false, code: 'PROGRAM_NOT_LOADED', reason: `program ${ref} is not loaded`, permanent: false, log: [], durationMs: 0 };
    // A restarted thread has lost what was loaded: load again before running.
    await this.reload(t);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<RunOutcome>((resolve) => {
      timer = setTimeout(() => {
        this.kill({ code: 'TIMEOUT', reason: `the program ran longer than ${timeoutMs} ms and was stopped` });
        resolve({ ok: false, code: 'TIMEOUT', reason: `the program ran longer than ${timeoutMs} ms and was stopped`, permanent: false, log: [], durationMs: performance.now() - started });
      }, timeoutMs);
    });
    const done = this.call(t, { op: 'run', ref, input, maxLog: this.limits.maxLogLines }).then((m): RunOutcome => {
      if (m['op'] === 'exit') return { ok: false, code: String(m['code']), reason: String(m['reason']), permanent: false, log: [], durationMs: performance.now() - started };
      const log = (m['log'] as string[]) ?? [];
      if (m['ok']) return { ok: true, output: m['output'], log, durationMs: Number(m['ms']) };
      return { ok: false, code: 'PROGRAM_ERROR', reason: String(m['error']), permanent: Boolean(m['permanent']), log, durationMs: Number(m['ms']) };
    });
    try {
      return await Promise.race([done, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops whatever runs now (a cancelled task): the thread is terminated and started again when needed. */
  abort(reason: string): void {
    if (this.thread) this.kill({ code: 'CANCELLED', reason });
  }

  async close(): Promise<void> {
    const t = this.thread;
    this.thread = undefined;
    if (t) await t.terminate();
  }

  private reloadPending: WeakSet<Worker> = new WeakSet();

  private async reload(t: Worker): Promise<void> {
    if (!this.reloadPending.has(t)) return;
    this.reloadPending.delete(t);
    for (const [ref, l] of this.loaded) await this.call(t, { op: 'load', ref, kind: l.kind, code: l.code, entry: l.entry });
  }

  private ensure(): Worker {
    if (this.thread) return this.thread;
    const t = new Worker(THREAD, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: this.limits.maxYoungGenerationSizeMb },
      stdout: true,
      stderr: true,
    });
    t.stdout.resume();
    t.stderr.resume();
    this.starts++;
    if (this.loaded.size > 0) this.reloadPending.add(t);
    t.on('message', (m: Record<string, unknown>) => {
      const w = this.waiting.get(Number(m['id']));
      if (w) {
        this.waiting.delete(Number(m['id']));
        w.resolve(m);
      }
    });
    t.on('error', (e: Error & { code?: string }) => {
      if (!this.exitReasons.has(t)) this.exitReasons.set(t, e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { code: 'OUT_OF_MEMORY', reason: `the program exhausted its heap (${this.limits.maxOldGenerationSizeMb} MB) and was stopped` } : { code: 'PROGRAM_CRASHED', reason: e.message });
    });
    t.on('exit', () => {
      if (this.thread === t) this.thread = undefined;
      const why = this.exitReasons.get(t) ?? { code: 'PROGRAM_CRASHED', reason: 'the program thread exited' };
      for (const [id, w] of this.waiting) {
        if (w.thread !== t) continue;
        this.waiting.delete(id);
        w.resolve({ op: 'exit', ...why });
      }
    });
    t.unref();
    this.thread = t;
    return t;
  }

  private kill(why: { code: string; reason: string }): void {
    const t = this.thread;
    if (!t) return;
    this.exitReasons.set(t, why);
    this.thread = undefined;
    void t.terminate();
  }

  private call(t: Worker, m: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, { thread: t, resolve });
      t.postMessage({ ...m, id });
    });
  }
}
