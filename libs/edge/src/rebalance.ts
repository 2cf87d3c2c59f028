// Server-led rebalancing of edge agents over station pods. Every period the rebalancer reads each
// pod's load (records/s, queue length, CPU) and the agents it holds. A pod's load L_j is a weighted
// sum of its components, each relative to the mean over the pods; a pod is a hotspot when
// L_j > beta * mean(L) for k periods in a row and its rate is also above an absolute floor (a small
// fleet's imbalance is not worth a move). Agents are moved from a hotspot to the least-loaded pods,
// heaviest first as long as a move does not overshoot, at most `maxMovesPerPeriod` in all (the
// eviction rate), and an agent just moved is left alone for `cooldownPeriods`. A pod that gave or took
// agents is settling until its load is measured over a window that starts after the move (pods
// measure over windows of their own, longer than a short period: judged on a window from before
// the move, the donor still looks hot, the target cold, and agents go back and forth); a settling pod
// is neither drained nor given agents. Pods that do not say their window settle for
// `cooldownPeriods`.

export interface AgentOnPod {
  agentId: string;
  /** Records/s the pod accepted from it over the last period. */
  rate: number;
}

export interface PodLoad {
  pod: string;
  address: string;
  /** Records/s. */
  rate: number;
  queue: number;
  /** Cores. */
  cpu: number;
  agents: AgentOnPod[];
  /** Start of the window the rate, queue and CPU cover (epoch ms); 0 or absent = not known. */
  measuredFromMs?: number;
}

/** Agents reconnect to their new pod within this after a move; a window must start this much later to count. */
export const MOVE_GRACE_MS = 1_000;

export interface RebalanceConfig {
  beta: number;
  k: number;
  /** A hotspot's rate must also be above this (records/s). */
  absoluteRate: number;
  weights: { rate: number; queue: number; cpu: number };
  maxMovesPerPeriod: number;
  cooldownPeriods: number;
}

export const DEFAULT_REBALANCE: RebalanceConfig = { beta: 1.1, k: 3, absoluteRate: 1_000, weights: { rate: 0.6, queue: 0.2, cpu: 0.2 }, maxMovesPerPeriod: 50, cooldownPeriods: 3 };

export interface Move {
  agentId: string;
  from: string;
  to: string;
  toAddress: string;
  rate: number;
}

export interface Decision {
  period: number;
  /** Each pod's load score and the mean. */
  loads: Record<string, number>;
  mean: number;
  /** Pods over beta * mean this period, and for how many periods in a row. */
  over: Record<string, number>;
  hotspots: string[];
  moves: Move[];
}

/** Load scores: the weighted components, each relative to its mean over the pods (mean score = sum of weights). */
export function loadScores(pods: readonly PodLoad[], w: RebalanceConfig['weights']): Map<string, number> {
  const mean = (f: (p: PodLoad) => number) => pods.reduce((s, p) => s + f(p), 0) / Math.max(1, pods.length);
  const mr = mean((p) => p.rate);
  const mq = mean((p) => p.queue);
  const mc = mean((p) => p.cpu);
  const rel = (v: number, m: number) => (m > 0 ? v / m : 1);
  return new Map(pods.map((p) => [p.pod, w.rate * rel(p.rate, mr) + w.queue * rel(p.queue, mq) + w.cpu * rel(p.cpu, mc)]));
}

export class Rebalancer {
  private period = 0;
  private readonly streak = new Map<string, number>();
  private readonly movedAt = new Map<string, number>();
  /** Per pod: the last move it took part in (period and wall time). */
  private readonly touched = new Map<string, { period: number; atMs: number }>();

  constructor(readonly config: RebalanceConfig = DEFAULT_REBALANCE) {}

  /** Whether a pod's load does not yet show the last move it took part in. */
  private settling(p: PodLoad): boolean {
    const t = this.touched.get(p.pod);
    if (!t) return false;
    if (p.measuredFromMs) return p.measuredFromMs < t.atMs + MOVE_GRACE_MS;
    return this.period - t.period <= this.config.cooldownPeriods;
  }

  /** One period: the pods as read now. */
  decide(pods: readonly PodLoad[], nowMs = Date.now()): Decision {
    const c = this.config;
    this.period++;
    const scores = loadScores(pods, c.weights);
    const mean = pods.length ? [...scores.values()].reduce((a, b) => a + b, 0) / pods.length : 0;
    const over: Record<string, number> = {};
    const settling = new Set(pods.filter((p) => this.settling(p)).map((p) => p.pod));
    for (const p of pods) {
      const n = !settling.has(p.pod) && scores.get(p.pod)! > c.beta * mean && p.rate > c.absoluteRate ? (this.streak.get(p.pod) ?? 0) + 1 : 0;
      this.streak.set(p.pod, n);
      if (n > 0) over[p.pod] = n;
    }
    for (const pod of [...this.streak.keys()]) if (!pods.some((p) => p.pod === pod)) this.streak.delete(pod);
    for (const pod of [...this.touched.keys()]) if (!pods.some((p) => p.pod === pod)) this.touched.delete(pod);
    const hotspots = pods.filter((p) => (this.streak.get(p.pod) ?? 0) >= c.k).sort((a, b) => b.rate - a.rate);
    const moves: Move[] = [];
    if (hotspots.length && pods.length > 1) {
      const meanRate = pods.reduce((s, p) => s + p.rate, 0) / pods.length;
      const rate = new Map(pods.map((p) => [p.pod, p.rate]));
      for (const h of hotspots) {
        const candidates = h.agents.filter((a) => this.period - (this.movedAt.get(a.agentId) ?? -Infinity) > c.cooldownPeriods).sort((a, b) => b.rate - a.rate);
        for (const a of candidates) {
          if (moves.length >= c.maxMovesPerPeriod) break;
          const excess = rate.get(h.pod)! - meanRate;
          if (excess <= 0) break;
          const target = pods.filter((p) => p.pod !== h.pod && !hotspots.includes(p) && !settling.has(p.pod)).sort((x, y) => rate.get(x.pod)! - rate.get(y.pod)!)[0];
          if (!target) break;
          // Moving it must leave the target below the donor (no ping-pong) and not take the donor far below the mean.
          if (rate.get(target.pod)! + a.rate >= rate.get(h.pod)! - a.rate || a.rate > excess * 1.5) continue;
          moves.push({ agentId: a.agentId, from: h.pod, to: target.pod, toAddress: target.address, rate: a.rate });
          rate.set(h.pod, rate.get(h.pod)! - a.rate);
          rate.set(target.pod, rate.get(target.pod)! + a.rate);
          this.movedAt.set(a.agentId, this.period);
          this.touched.set(h.pod, { period: this.period, atMs: nowMs });
          this.touched.set(target.pod, { period: this.period, atMs: nowMs });
        }
        // A drained hotspot starts counting again.
        if (moves.some((m) => m.from === h.pod)) this.streak.set(h.pod, 0);
      }
    }
    return { period: this.period, loads: Object.fromEntries(scores), mean, over, hotspots: hotspots.map((h) => h.pod), moves };
  }
}
