import { DurationForecast, meanAbsolutePercentageError, type Observation } from './forecast';
import { seeded as mulberry32 } from '../../test/seeded';

describe('A1: duration forecast from history', () => {
  it('learns duration = a + b * scale per program, adjusts for container CPU, and is accurate on held-out tasks', () => {
    const random = mulberry32(42);
    const f = new DurationForecast({ window: 1000, parallelShare: 0.5, defaultMs: 500 });
    // The "true" program: 200 ms + 3 ms per unit of scale on one core, with 10 % noise.
    const truth = (scale: number, cpu: number) => (200 + 3 * scale) * f.speedFactor(cpu) * (0.9 + 0.2 * random());
    const sample = (): Observation => {
      const scale = Math.floor(random() * 500);
      const cpu = [0.5, 1, 2, 4][Math.floor(random() * 4)]!;
      return { program: 'pf@1', scale, cpu, durationMs: truth(scale, cpu) };
    };
    expect(f.predict('pf@1', 100, 1, 700)).toBe(700); // no history yet: the declared duration
    for (let i = 0; i < 400; i++) f.observe(sample());
    const heldOut = Array.from({ length: 200 }, sample);
    expect(meanAbsolutePercentageError(f, heldOut)).toBeLessThan(0.08);
    expect(f.predict('pf@1', 100, 1)).toBeGreaterThan(450);
    expect(f.predict('pf@1', 100, 1)).toBeLessThan(550);
    expect(f.predict('pf@1', 100, 4)).toBeLessThan(f.predict('pf@1', 100, 1)); // more CPU, faster
  });
});
