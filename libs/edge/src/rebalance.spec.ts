import { Rebalancer, type PodLoad } from './rebalance';

// Four pods; pod-a holds ten agents of which two are ten times heavier (the paper's skew); pod-d
// joined late and holds nothing.
function pods(aRate = 1): PodLoad[] {
  const agents = (pod: string, n: number, heavy = 0) => Array.from({ length: n }, (_, i) => ({ agentId: `${pod}-${i}`, rate: (i < heavy ? 1000 : 100) * aRate }));
  const mk = (pod: string, list: ReturnType<typeof agents>, queue: number, cpu: number): PodLoad => ({ pod, address: `${pod}:1`, rate: list.reduce((s, a) => s + a.rate, 0), queue, cpu, agents: list });
  return [mk('pod-a', agents('a', 10, 2), 40, 0.9), mk('pod-b', agents('b', 6), 2, 0.3), mk('pod-c', agents('c', 6), 2, 0.3), mk('pod-d', [], 0, 0.05)];
}

describe('server-led rebalancing', () => {
  it('a pod over beta x mean for k periods is a hotspot; its agents go to the least-loaded pods without overshooting', () => {
    const r = new Rebalancer({ beta: 1.1, k: 3, absoluteRate: 500, weights: { rate: 0.6, queue: 0.2, cpu: 0.2 }, maxMovesPerPeriod: 10, cooldownPeriods: 3 });
    expect(r.decide(pods()).hotspots).toEqual([]);
    expect(r.decide(pods()).over).toEqual({ 'pod-a': 2 });
    const d = r.decide(pods());
    expect(d.hotspots).toEqual(['pod-a']);
    expect(d.moves.length).toBeGreaterThan(0);
    expect(d.moves.every((m) => m.from === 'pod-a')).toBe(true);
    // The late pod gets the first (heaviest) agent.
    expect(d.moves[0]).toMatchObject({ agentId: 'a-0', to: 'pod-d', toAddress: 'pod-d:1', rate: 1000 });
    // After the moves the donor is not below the mean, and no target above the donor.
    const after = new Map(pods().map((p) => [p.pod, p.rate]));
    for (const m of d.moves) {
      after.set(m.from, after.get(m.from)! - m.rate);
      after.set(m.to, after.get(m.to)! + m.rate);
    }
    const mean = [...after.values()].reduce((a, b) => a + b, 0) / 4;
    expect(after.get('pod-a')!).toBeGreaterThanOrEqual(mean * 0.5);
    for (const [pod, rate] of after) if (pod !== 'pod-a') expect(rate).toBeLessThan(after.get('pod-a')! + 1000);
  });

  it('the eviction rate bounds the moves per period; a small fleet under the absolute floor is left alone', () => {
    const limited = new Rebalancer({ beta: 1.1, k: 1, absoluteRate: 500, weights: { rate: 1, queue: 0, cpu: 0 }, maxMovesPerPeriod: 1, cooldownPeriods: 3 });
    expect(limited.decide(pods()).moves).toHaveLength(1);
    const floor = new Rebalancer({ beta: 1.1, k: 1, absoluteRate: 1e6, weights: { rate: 1, queue: 0, cpu: 0 }, maxMovesPerPeriod: 10, cooldownPeriods: 3 });
    expect(floor.decide(pods()).hotspots).toEqual([]);
  });

  it('an agent just moved is not moved again within the cooldown, and balanced pods see no moves', () => {
    const r = new Rebalancer({ beta: 1.1, k: 1, absoluteRate: 0, weights: { rate: 1, queue: 0, cpu: 0 }, maxMovesPerPeriod: 1, cooldownPeriods: 5 });
    const first = r.decide(pods(), 10_000).moves[0]!;
    // The pods' next window starts after the move (they are judged again), still showing the agent on pod-a.
    const fresh = pods().map((p) => ({ ...p, measuredFromMs: 20_000 }));
    const again = r.decide(fresh, 25_000).moves[0]!;
    expect(again.agentId).not.toBe(first.agentId);
    const even: PodLoad[] = ['x', 'y'].map((pod) => ({ pod, address: pod, rate: 1000, queue: 1, cpu: 0.5, agents: [{ agentId: `${pod}0`, rate: 1000 }] }));
    expect(new Rebalancer().decide(even)).toMatchObject({ hotspots: [], moves: [] });
  });

  it('a pod that gave or took agents is left alone until its load is measured over a window after the move', () => {
    const r = new Rebalancer({ beta: 1.1, k: 1, absoluteRate: 0, weights: { rate: 1, queue: 0, cpu: 0 }, maxMovesPerPeriod: 1, cooldownPeriods: 1 });
    const at = (from: number) => pods().map((p) => ({ ...p, measuredFromMs: from }));
    expect(r.decide(at(5_000), 10_000).moves).toHaveLength(1); // pod-a -> pod-d
    // Windows that began before the move (plus the reconnect grace): pod-a and pod-d are settling.
    for (const from of [5_000, 10_500]) {
      const d = r.decide(at(from), 12_000);
      expect(d.over['pod-a']).toBeUndefined();
      expect(d.moves.every((m) => m.from !== 'pod-a' && m.to !== 'pod-d')).toBe(true);
    }
    expect(r.decide(at(11_000), 16_000).moves.map((m) => m.from)).toEqual(['pod-a']);
  });

  it('does not send agents back and forth when the pods measure over windows longer than its period', () => {
    // Two pods measuring records/s over 5 s windows, a rebalancer deciding every second, agents
    // reconnecting 300 ms after being told; all six agents start on pod a, two of them heavy.
    const rates: Record<string, number> = { h1: 700, h2: 700, l1: 70, l2: 70, l3: 70, l4: 70 };
    const on = new Map(Object.keys(rates).map((id) => [id, 'a']));
    const arrivals: Array<{ id: string; to: string; atMs: number }> = [];
    let window = { from: -5_000, to: 0 };
    let measured = new Map<string, Array<{ agentId: string; rate: number }>>();
    const measure = (now: number) => {
      // What each pod saw over the window: an agent counts where it spent it (whole-window granularity is enough here).
      measured = new Map([['a', []], ['b', []]]);
      for (const [id, pod] of on) measured.get(pod)!.push({ agentId: id, rate: rates[id]! });
      window = { from: now - 5_000, to: now };
    };
    const r = new Rebalancer({ beta: 1.1, k: 2, absoluteRate: 100, weights: { rate: 1, queue: 0, cpu: 0 }, maxMovesPerPeriod: 2, cooldownPeriods: 3 });
    const history: Array<{ id: string; from: string; to: string }> = [];
    measure(0);
    for (let now = 1_000; now <= 120_000; now += 1_000) {
      for (const a of arrivals.splice(0)) on.set(a.id, a.to);
      if (now % 5_000 === 0) measure(now);
      const view: PodLoad[] = ['a', 'b'].map((pod) => ({ pod, address: pod, rate: measured.get(pod)!.reduce((x, y) => x + y.rate, 0), queue: 0, cpu: 0, agents: measured.get(pod)!.filter((x) => on.get(x.agentId) === pod), measuredFromMs: window.from }));
      for (const m of r.decide(view, now).moves) {
        history.push({ id: m.agentId, from: m.from, to: m.to });
        arrivals.push({ id: m.agentId, to: m.to, atMs: now + 300 });
      }
    }
    const load = (pod: string) => [...on].filter(([, p]) => p === pod).reduce((s, [id]) => s + rates[id]!, 0);
    // Balanced: one heavy agent on each pod, and nobody moved back to a pod it left.
    expect(Math.abs(load('a') - load('b'))).toBeLessThanOrEqual(140);
    for (const [i, m] of history.entries()) expect(history.slice(i + 1).some((n) => n.id === m.id && n.to === m.from)).toBe(false);
    expect(history.length).toBeLessThanOrEqual(4);
  });
});
