import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Assignment, Program, TaskResult, WorkRequest, WorkResponse } from '@gridstation/contracts';
import { extractTraceContext, type Logger } from '@gridstation/telemetry';
import { Sandbox, type SandboxLimits } from '../programs/sandbox';
import type { Executor } from './host-executor';

const tracer = trace.getTracer('gridstation-worker');

// A worker (one container of the paper: one task at a time). It opens a Work stream to the scheduler,
// says who it is and what it holds, runs each assigned task's program in its sandbox, and sends the
// result until the scheduler acknowledges it: a result is never lost to a broken stream or a scheduler
// restart, and the scheduler accepts it once. Heartbeats say it is alive; a cancel stops the program.

export interface WorkStream {
  send(m: WorkRequest): void;
  /** Called once the stream is gone (either side closed it, or the connection broke). */
  close(): void;
}

export interface StreamHandlers {
  message(m: WorkResponse): void;
  closed(why: string): void;
}

/** How a worker reaches its scheduler: over gRPC (apps/worker) or in the same process (embedded). */
export interface SchedulerLink {
  open(h: StreamHandlers): WorkStream;
  /** The code of a program (what GetProgramCode answers). */
  fetchProgram(ref: string): Promise<{ program: Program; code: Buffer }>;
}

export interface WorkerOptions {
  workerId: string;
  trial: boolean;
  cpu: number;
  memoryBytes: number;
  heartbeatMs: number;
  limits: SandboxLimits;
  /** First wait before reconnecting (doubles up to 5 s). */
  reconnectMs: number;
  /** The pool it serves ('' = general compute, or trial); a named pool's worker brings its executor. */
  pool?: string;
  /** What runs the programs (default: a sandbox with `limits`). */
  executor?: Executor;
}

interface Held {
  taskId: string;
  attempt: number;
  result?: TaskResult;
}

export class WorkerRuntime {
  readonly sandbox: Executor;
  private stream: WorkStream | undefined;
  private current: Held | undefined;
  /** Finished attempts whose result the scheduler has not acknowledged yet. */
  private readonly unacked = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private reconnectDelay: number;
  private drained: (() => void) | undefined;
  readonly stats = { ran: 0, succeeded: 0, failed: 0, resent: 0, connects: 0 };

  constructor(
    private readonly link: SchedulerLink,
    private readonly o: WorkerOptions,
    private readonly log: Logger,
  ) {
    this.sandbox = o.executor ?? new Sandbox(o.limits);
    this.reconnectDelay = o.reconnectMs;
  }

  get id(): string {
    return this.o.workerId;
  }

  /** A Work stream is open (what the worker's readiness reports). */
  get connected(): boolean {
    return this.stream !== undefined;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  start(): void {
    this.stopping = false;
    this.connect();
    this.timer = setInterval(() => this.stream?.send({ message: { $case: 'heartbeat', heartbeat: { running: this.holding() } } }), this.o.heartbeatMs);
    this.timer.unref();
  }

  /** Lets the running task finish (up to `graceMs`), then closes the stream and the sandbox. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.current) await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    if (this.timer) clearInterval(this.timer);
    this.stream?.close();
    this.stream = undefined;
    await this.sandbox.close();
  }

  /** As if the process died: nothing more is sent, the program is stopped. */
  async kill(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    const s = this.stream;
    this.stream = undefined;
    s?.close();
    await this.sandbox.close();
  }

  private holding(): Array<{ taskId: string; attempt: number }> {
    const held = [...this.unacked.values()];
    if (this.current) held.push(this.current);
    return held.map((h) => ({ taskId: h.taskId, attempt: h.attempt }));
  }

  private connect(): void {
    if (this.stopping) return;
    let open = true;
    const stream = this.link.open({
      message: (m) => {
        if (open) this.onMessage(m);
      },
      closed: (why) => {
        if (!open) return;
        open = false;
        if (this.stream === stream) this.stream = undefined;
        if (this.stopping) return;
        this.log.warn({ worker: this.o.workerId, why, retryInMs: this.reconnectDelay }, 'scheduler stream closed; reconnecting');
        setTimeout(() => this.connect(), this.reconnectDelay).unref();
        this.reconnectDelay = Math.min(this.reconnectDelay * 2, 5000);
      },
    });
    this.stream = stream;
    this.stats.connects++;
    stream.send({
      message: {
        $case: 'hello',
        hello: { workerId: this.o.workerId, trial: this.o.trial, resources: { cpu: this.o.cpu, memoryBytes: this.o.memoryBytes }, running: this.holding(), programs: this.sandbox.programs, pool: this.o.pool ?? '' },
      },
    });
    for (const h of this.unacked.values()) {
      this.stats.resent++;
      stream.send({ message: { $case: 'result', result: h.result! } });
    }
  }

  private onMessage(m: WorkResponse): void {
    const c = m.command;
    if (!c) return;
    this.reconnectDelay = this.o.reconnectMs;
    switch (c.$case) {
      case 'run':
        void this.run(c.run);
        break;
      case 'accepted':
        this.unacked.delete(`${c.accepted.taskId}#${c.accepted.attempt}`);
        break;
      case 'cancel':
        if (this.current?.taskId === c.cancel.taskId && this.current.attempt === c.cancel.attempt) {
          this.sandbox.abort('cancelled by the scheduler');
          this.current = undefined;
        }
        this.unacked.delete(`${c.cancel.taskId}#${c.cancel.attempt}`);
        break;
      case 'program':
        // A named pool's worker runs only what it provides: programs announced to all are not for it.
        if (this.o.pool && !this.sandbox.has(c.program.program)) break;
        if (c.program.unload) this.sandbox.unload(c.program.program);
        else void this.ensureLoaded(c.program.program).catch((e: unknown) => this.log.warn({ err: e, program: c.program.program }, 'program load failed'));
        break;
    }
  }

  private async ensureLoaded(ref: string): Promise<void> {
    if (this.sandbox.has(ref)) return;
    const { program, code } = await this.link.fetchProgram(ref);
    await this.sandbox.load(ref, program.kind, code, program.entry);
  }

  private async run(a: Assignment): Promise<void> {
    const task = a.task!;
    const ref = task.spec?.program ?? '';
    if (this.current) {
      // The scheduler gives one task at a time; a second one means it lost track: refuse it so it is retried.
      this.finish({ taskId: task.id, attempt: task.attempt }, { ok: false, code: 'WORKER_BUSY', reason: `worker ${this.o.workerId} is running ${this.current.taskId}`, permanent: false, log: [], durationMs: 0 });
      return;
    }
    const held: Held = { taskId: task.id, attempt: task.attempt };
    this.current = held;
    this.stats.ran++;
    let params: unknown;
    try {
      params = JSON.parse(task.spec?.input?.paramsJson || '{}');
    } catch (e) {
      this.finish(held, { ok: false, code: 'BAD_INPUT', reason: `params_json is not JSON: ${(e as Error).message}`, permanent: true, log: [], durationMs: 0 });
      return;
    }
    try {
      await this.ensureLoaded(ref);
    } catch (e) {
      this.finish(held, { ok: false, code: 'PROGRAM_LOAD_FAILED', reason: `program ${ref}: ${(e as Error).message}`, permanent: false, log: [], durationMs: 0 });
      return;
    }
    if (this.current !== held) return; // cancelled while loading
    // The run is a span of the task set's trace (the set's context travels as the task's traceparent).
    const parent = extractTraceContext({ traceparent: task.traceparent }, ROOT_CONTEXT);
    const r = await tracer.startActiveSpan('task.run', { attributes: { 'gs.task.id': task.id, 'gs.task_set.id': task.taskSetId, 'gs.program': ref, 'gs.attempt': task.attempt, 'gs.worker': this.o.workerId } }, parent, async (span) => {
      const out = await this.sandbox.run(ref, params, undefined, { taskId: task.id, taskSetId: task.taskSetId, attempt: task.attempt });
      if (!out.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: `${out.code}: ${out.reason.slice(0, 200)}` });
      span.end();
      return out;
    });
    if (this.current !== held) return; // cancelled while running: the scheduler has failed it already
    this.finish(held, r);
  }

  private finish(held: Held, r: Awaited<ReturnType<Executor['run']>>): void {
    const result: TaskResult = r.ok
      ? { taskId: held.taskId, attempt: held.attempt, ok: true, failureCode: '', failureReason: '', permanent: false, outputs: [outputOf(r.output)], log: r.log, durationMs: r.durationMs }
      : { taskId: held.taskId, attempt: held.attempt, ok: false, failureCode: r.code, failureReason: r.reason, permanent: r.permanent, outputs: [], log: r.log, durationMs: r.durationMs };
    if (r.ok) this.stats.succeeded++;
    else this.stats.failed++;
    held.result = result;
    this.unacked.set(`${held.taskId}#${held.attempt}`, held);
    if (this.current === held) this.current = undefined;
    this.stream?.send({ message: { $case: 'result', result } });
    if (this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }
}

/** A program's answer as one output: inline JSON (a program that stores its result elsewhere answers with {address}). */
function outputOf(value: unknown) {
  const v = value as Record<string, unknown> | null;
  const address = v && typeof v === 'object' && typeof v['address'] === 'string' ? v['address'] : '';
  const businessType = v && typeof v === 'object' && typeof v['businessType'] === 'string' ? v['businessType'] : 'result';
  return { id: '', taskId: '', taskSetId: '', businessType, address, inlineJson: JSON.stringify(value ?? null).slice(0, 64 * 1024), scenarioId: '', dataVersion: '', createdAtMs: 0 };
}
