import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@gridstation/telemetry';
import type { ContainerPool } from './container-pool';

/**
 * Worker processes on this machine: `command` (the worker app) started once per worker with its id,
 * pool and the scheduler's address in the environment; stopped with SIGTERM (a worker finishes its
 * task first). A worker that exits on its own is not restarted here: the task module asks again.
 */
export class LocalProcessPool implements ContainerPool {
  readonly kind = 'local-process';
  private readonly procs: Record<'trial' | 'production', ChildProcess[]> = { trial: [], production: [] };
  private next = 1;

  constructor(
    private readonly o: { command: string[]; cwd: string; env: Record<string, string>; prefix: string; trialMemoryMb: number; trialEnv?: Record<string, string> },
    private readonly log: Logger,
  ) {}

  size(trial: boolean): number {
    return this.procs[trial ? 'trial' : 'production'].length;
  }

  processes(trial: boolean): readonly ChildProcess[] {
    return this.procs[trial ? 'trial' : 'production'];
  }

  async scaleTo(trial: boolean, n: number): Promise<void> {
    const list = this.procs[trial ? 'trial' : 'production'];
    while (list.length < n) {
      const id = `${this.o.prefix}-${trial ? 'trial' : 'w'}${this.next++}`;
      const [cmd, ...args] = this.o.command;
      // A trial worker's whole process is capped too (its programs run under tighter sandbox limits).
      const heap = trial ? [`--max-old-space-size=${this.o.trialMemoryMb}`] : [];
      // --gs-pool names the pool on the command line (ps, pkill); the worker ignores it.
      const env = { ...process.env, ...this.o.env, ...(trial ? this.o.trialEnv : {}), GS_WORKER_ID: id, GS_WORKER_TRIAL: String(trial), GS_INSTANCE_ID: id };
      const child = spawn(cmd!, [...heap, ...args, `--gs-pool=${this.o.prefix}`], { cwd: this.o.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.resume();
      child.once('exit', (code, signal) => {
        const at = list.indexOf(child);
        if (at >= 0) list.splice(at, 1);
        this.log.info({ worker: id, code, signal }, 'worker process exited');
      });
      list.push(child);
      this.log.info({ worker: id, pid: child.pid, trial }, 'worker process started');
    }
    for (const child of list.splice(n)) child.kill('SIGTERM');
  }

  async close(): Promise<void> {
    const all = [...this.procs.production, ...this.procs.trial];
    await Promise.all([this.scaleTo(false, 0), this.scaleTo(true, 0)]);
    await Promise.all(all.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  }
}
