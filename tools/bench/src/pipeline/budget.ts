import type { StepResult } from './steps';

// The CPU budget of a throughput target: from a measured step, the CPU each process spent per stored
// reading, and how many cores the whole set of processes would need at the target rate at that cost.
// When that exceeds the machine's cores, the target cannot be met on this machine by scheduling or
// tuning alone: only a lower cost per reading (or more cores) can meet it. The load generator is listed
// but left out of the need (in production the terminals are elsewhere).

export interface BudgetLine {
  process: string;
  /** CPU microseconds per stored reading. */
  usPerReading: number;
  /** Cores this process alone would need at the target rate. */
  coresAtTarget: number;
}

export interface CpuBudget {
  step: string;
  storedPerSec: number;
  targetPerSec: number;
  lines: BudgetLine[];
  /** Cores the counted processes need at the target rate. */
  coresNeeded: number;
  coresAvailable: number;
  /** The largest rate those cores could carry at the measured cost. */
  ceilingPerSec: number;
}

export function cpuBudget(step: StepResult, targetPerSec: number, coresAvailable: number, excluded: readonly string[] = ['load generator']): CpuBudget | undefined {
  if (step.storedPerSec <= 0) return undefined;
  const lines = Object.entries(step.processes)
    .map(([process, p]) => {
      const usPerReading = ((p.cpuPercent / 100) * 1e6) / step.storedPerSec;
      return { process, usPerReading, coresAtTarget: (usPerReading * targetPerSec) / 1e6 };
    })
    .sort((a, b) => b.usPerReading - a.usPerReading);
  const counted = lines.filter((l) => !excluded.includes(l.process));
  const usTotal = counted.reduce((s, l) => s + l.usPerReading, 0);
  return {
    step: step.label,
    storedPerSec: step.storedPerSec,
    targetPerSec,
    lines,
    coresNeeded: (usTotal * targetPerSec) / 1e6,
    coresAvailable,
    ceilingPerSec: usTotal > 0 ? (coresAvailable * 1e6) / usTotal : Number.POSITIVE_INFINITY,
  };
}

/** The step whose cost is most representative: the highest stored rate among the steps measured. */
export function busiestStep(steps: readonly StepResult[]): StepResult | undefined {
  return steps.reduce<StepResult | undefined>((best, s) => (best === undefined || s.storedPerSec > best.storedPerSec ? s : best), undefined);
}
