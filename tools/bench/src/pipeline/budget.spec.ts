import { busiestStep, cpuBudget } from './budget';
import type { StepResult } from './steps';

const step = (label: string, storedPerSec: number, processes: StepResult['processes']): StepResult => ({
  label,
  offeredPerSec: storedPerSec,
  framesPerSec: 0,
  parsedPerSec: storedPerSec,
  storedPerSec,
  deadLetters: 0,
  processes,
  holds: true,
});

describe('CPU budget of a throughput target', () => {
  it('turns each process CPU share into microseconds per reading and cores at the target rate', () => {
    // 20,000 readings/s with storage at one full core (50 us each) and comm at a quarter (12.5 us each).
    const b = cpuBudget(step('1', 20_000, { storage: { cpuPercent: 100, peakRssMiB: 1 }, comm: { cpuPercent: 25, peakRssMiB: 1 }, 'load generator': { cpuPercent: 60, peakRssMiB: 1 } }), 250_000, 2)!;
    expect(b.lines.map((l) => [l.process, l.usPerReading])).toEqual([
      ['storage', 50],
      ['load generator', 30],
      ['comm', 12.5],
    ]);
    expect(b.lines[0]!.coresAtTarget).toBeCloseTo(12.5);
    // The load generator is not counted: (50 + 12.5) us x 250,000/s = 15.625 cores.
    expect(b.coresNeeded).toBeCloseTo(15.625);
    // Two cores at 62.5 us per reading carry 32,000 readings/s.
    expect(b.ceilingPerSec).toBeCloseTo(32_000);
  });

  it('has no budget for a step that stored nothing, and picks the busiest step', () => {
    expect(cpuBudget(step('0', 0, { storage: { cpuPercent: 5, peakRssMiB: 1 } }), 1000, 2)).toBeUndefined();
    expect(busiestStep([step('a', 10, {}), step('b', 30, {}), step('c', 20, {})])!.label).toBe('b');
    expect(busiestStep([])).toBeUndefined();
  });
});
