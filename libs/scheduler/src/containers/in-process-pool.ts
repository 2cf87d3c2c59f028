import type { Logger } from '@gridstation/telemetry';
import { PRODUCTION_LIMITS, TRIAL_LIMITS } from '../programs/sandbox';
import { WorkerRuntime, type SchedulerLink } from '../worker/worker-runtime';
import type { ContainerPool } from './container-pool';

/** Workers in the scheduler's own process (the embedded station): same runtime, in-process link. */
export class InProcessPool implements ContainerPool {
  readonly kind = 'in-process';
  private readonly workers: Record<'trial' | 'production', WorkerRuntime[]> = { trial: [], production: [] };
  private next = 1;

  constructor(
    private readonly link: SchedulerLink,
    private readonly log: Logger,
    private readonly o: { prefix: string; cpu: number; heartbeatMs: number } = { prefix: 'embedded', cpu: 1, heartbeatMs: 2000 },
  ) {}

  size(trial: boolean): number {
    return this.workers[trial ? 'trial' : 'production'].length;
  }

  runtimes(): WorkerRuntime[] {
    return [...this.workers.production, ...this.workers.trial];
  }

  async scaleTo(trial: boolean, n: number): Promise<void> {
    const list = this.workers[trial ? 'trial' : 'production'];
    while (list.length < n) {
      const w = new WorkerRuntime(this.link, { workerId: `${this.o.prefix}-${trial ? 'trial' : 'w'}${this.next++}`, trial, cpu: this.o.cpu, memoryBytes: 0, heartbeatMs: this.o.heartbeatMs, limits: trial ? TRIAL_LIMITS : PRODUCTION_LIMITS, reconnectMs: 200 }, this.log);
      w.start();
      list.push(w);
    }
    // Idle workers go first; a busy one finishes its task before it stops.
    list.sort((a, b) => Number(b.busy) - Number(a.busy));
    const extra = list.splice(n);
    await Promise.all(extra.map((w) => w.stop()));
  }

  async close(): Promise<void> {
    await Promise.all([this.scaleTo(false, 0), this.scaleTo(true, 0)]);
  }
}
