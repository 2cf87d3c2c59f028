import type { Logger } from '@gridstation/telemetry';
import type { ContainerPool } from './containers/container-pool';
import type { CapacityDemand, CapacityListener } from './scheduler';

// The container module's policy (BOS 3.3). Guarantee mode: the last assignment left tasks that had to
// start now to make their deadline without a worker, so workers are added (up to the maximum) instead of
// accepting an infeasible schedule; a pool with no worker at all and work waiting gets its minimum (at
// least one). Normal mode: the schedule is feasible, so cost is lowered: workers idle with nothing ready
// for longer than `idleReleaseMs` are released down to the minimum.

export interface CapacityOptions {
  min: number;
  max: number;
  trialMax: number;
  idleReleaseMs: number;
  /** Least time between two scaling requests of one pool. */
  cooldownMs: number;
}

export const DEFAULT_CAPACITY: CapacityOptions = { min: 1, max: 8, trialMax: 1, idleReleaseMs: 30_000, cooldownMs: 2_000 };

export class CapacityController implements CapacityListener {
  private readonly idleSince = new Map<boolean, number>();
  private readonly lastRequest = new Map<boolean, number>();
  readonly decisions: Array<{ at: number; trial: boolean; mode: 'guarantee' | 'normal'; from: number; to: number; why: string }> = [];

  constructor(
    private readonly pool: ContainerPool,
    private readonly o: CapacityOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.pool.scaleTo(false, this.o.min);
  }

  demand(d: CapacityDemand): void {
    const size = this.pool.size(d.trial);
    const max = d.trial ? this.o.trialMax : this.o.max;
    const min = d.trial ? 0 : this.o.min;
    if (d.ready === 0 && d.idle > 0) {
      if (!this.idleSince.has(d.trial)) this.idleSince.set(d.trial, d.now);
    } else this.idleSince.delete(d.trial);
    if (d.now - (this.lastRequest.get(d.trial) ?? 0) < this.o.cooldownMs) return;
    let to = size;
    let mode: 'guarantee' | 'normal' = 'normal';
    let why = '';
    if (d.unmetUrgent > 0) {
      to = Math.min(max, size + d.unmetUrgent);
      mode = 'guarantee';
      why = `${d.unmetUrgent} tasks must start now to make their deadlines and found no worker`;
    } else if (d.ready > 0 && d.idle + d.busy === 0) {
      to = Math.min(max, Math.max(min, 1));
      mode = 'guarantee';
      why = `${d.ready} tasks ready and no worker`;
    } else if (d.ready === 0 && d.idle > 0 && d.now - (this.idleSince.get(d.trial) ?? d.now) >= this.o.idleReleaseMs) {
      to = Math.max(min, size - d.idle);
      why = `${d.idle} workers idle with nothing ready for ${this.o.idleReleaseMs} ms`;
    }
    if (to === size) return;
    this.lastRequest.set(d.trial, d.now);
    this.decisions.push({ at: d.now, trial: d.trial, mode, from: size, to, why });
    if (this.decisions.length > 1000) this.decisions.shift();
    this.log.info({ pool: d.trial ? 'trial' : 'production', mode, from: size, to, why }, 'scaling workers');
    void this.pool.scaleTo(d.trial, to).catch((e: unknown) => this.log.warn({ err: e }, 'scaling request failed'));
  }
}
