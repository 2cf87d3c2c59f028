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
    const first = r.decide(pods()).moves[0]!;
    const again = r.decide(pods()).moves[0]!;
    expect(again.agentId).not.toBe(first.agentId);
    const even: PodLoad[] = ['x', 'y'].map((pod) => ({ pod, address: pod, rate: 1000, queue: 1, cpu: 0.5, agents: [{ agentId: `${pod}0`, rate: 1000 }] }));
    expect(new Rebalancer().decide(even)).toMatchObject({ hotspots: [], moves: [] });
  });
});
