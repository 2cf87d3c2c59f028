import { checkClock, checkInterval, checkRegister, checkSlots, estimateGaps, type Flag } from '@gridstation/metering';
import { DEFAULT_FAULTS, faultyMeters, type FaultKind } from './anomalies';

// VEE and the completeness check scored against the simulator's ground truth, rule by rule: what
// arrived at the station (the reported series minus lost and offline slots) goes through the rules;
// every injected fault whose data arrived must be found, and nothing else flagged.

describe('VEE against injected faults', () => {
  const o = { ...DEFAULT_FAULTS, meters: 300, days: 4 };
  const { meters, faults } = faultyMeters(o);
  const end = o.startMs + o.days * 86_400_000;

  const byId = new Map(meters.map((m) => [m.meterId, m]));
  /**
   * What of a fault the station can see, given what arrived: a read that never arrived shows nothing.
   * A wrap whose read was lost shows at the first read after it. A frozen run shows from the second
   * read of it that arrived (the first one arrived is all there is to compare with), and only when
   * what arrived of it still spans the rule's three intervals.
   */
  const observable = (f: (typeof faults)[number]): number[] => {
    const m = byId.get(f.meterId)!;
    if (f.kind === 'CLOCK_DRIFT') return f.times;
    if (f.kind === 'ROLLOVER') return [m.register.find((p) => p.t >= f.times[0]! && !m.missing.has(p.t))!.t];
    if (f.kind === 'FLAT_LINE') {
      const run = [f.times[0]! - o.intervalMs, ...f.times].filter((t) => !m.missing.has(t));
      return run.length > 1 && run[run.length - 1]! - run[0]! >= 3 * o.intervalMs ? run.slice(1) : [];
    }
    return f.times.filter((t) => !m.missing.has(t));
  };
  const score = (rule: FaultKind, found: Set<string>) => {
    const truth = new Set<string>();
    for (const f of faults) if (f.kind === rule) for (const t of observable(f)) truth.add(`${f.meterId}|${t}`);
    const hit = [...found].filter((k) => truth.has(k)).length;
    return { truth: truth.size, found: found.size, precision: found.size ? hit / found.size : 1, recall: truth.size ? hit / truth.size : 1 };
  };
  const flagsOf = (rule: string, per: (m: (typeof meters)[number]) => Flag[]) => new Set(meters.flatMap((m) => per(m).filter((f) => f.rule === rule).map((f) => `${m.meterId}|${f.t}`)));
  const arrived = <T extends { t: number }>(m: (typeof meters)[number], s: T[]) => s.filter((p) => !m.missing.has(p.t));

  it.each(['BACKWARDS', 'ROLLOVER', 'FLAT_LINE'] as const)('register rule %s: precision and recall 1', (rule) => {
    const s = score(rule, flagsOf(rule, (m) => checkRegister(arrived(m, m.register))));
    expect(s.truth).toBeGreaterThan(5);
    expect(s).toMatchObject({ precision: 1, recall: 1 });
  });

  it('interval rule SPIKE: precision and recall 1', () => {
    const s = score('SPIKE', flagsOf('SPIKE', (m) => checkInterval(arrived(m, m.power))));
    expect(s.truth).toBeGreaterThan(50);
    expect(s).toMatchObject({ precision: 1, recall: 1 });
  });

  it('clock drift: the meters past the threshold, and only those', () => {
    const found = new Set(meters.flatMap((m) => {
      const c = checkClock(m.clock, 300_000);
      return c?.setTime ? [`${m.meterId}|${m.clock[m.clock.length - 1]!.stationMs}`] : [];
    }));
    const s = score('CLOCK_DRIFT', found);
    expect(s.truth).toBeGreaterThan(5);
    expect(s).toMatchObject({ precision: 1, recall: 1 });
  });

  it('completeness finds exactly the lost and offline slots', () => {
    for (const m of meters) {
      const c = checkSlots(arrived(m, m.register).map((p) => p.t), o.startMs, end, o.intervalMs);
      const gapSlots = c.gaps.flatMap((g) => Array.from({ length: g.points }, (_, k) => g.fromMs + k * o.intervalMs));
      expect(new Set(gapSlots)).toEqual(m.missing);
    }
    expect(faults.some((f) => f.kind === 'OFFLINE')).toBe(true);
  });

  it('estimation fills the bounded gaps of the register close to the truth, each marked with its method', () => {
    let n = 0;
    let errKwh = 0;
    let usedKwh = 0;
    const methods = new Set<string>();
    for (const m of meters) {
      // Estimation works on values validation accepted: flagged reads are left out.
      const bad = new Set(checkRegister(m.register).filter((f) => f.rule !== 'ROLLOVER').map((f) => f.t));
      if (m.register.some((p, k) => k > 0 && p.v < m.register[k - 1]!.v && m.trueRegister[k]!.v < m.trueRegister[k - 1]!.v)) continue; // wraps: estimation across a wrap is not attempted
      const good = arrived(m, m.register).filter((p) => !bad.has(p.t));
      const truth = new Map(m.trueRegister.map((p) => [p.t, p.v]));
      for (const e of estimateGaps(good, o.startMs, end, { intervalMs: o.intervalMs, maxLinearSlots: 4, kind: 'register', utcOffsetMs: 8 * 3_600_000 })) {
        n++;
        methods.add(e.method);
        errKwh += Math.abs(e.v - truth.get(e.t)!);
        usedKwh += truth.get(e.t)! - truth.get(e.t - o.intervalMs)!;
      }
    }
    expect(n).toBeGreaterThan(1000);
    expect(methods).toEqual(new Set(['LINEAR', 'PROFILE']));
    // Mean error of an estimated read, against the mean consumption of one interval.
    expect(errKwh / n).toBeLessThan(usedKwh / n);
  });
});
