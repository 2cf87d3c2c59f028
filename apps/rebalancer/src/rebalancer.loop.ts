import { credentials } from '@grpc/grpc-js';
import { EdgeControlServiceClient, GetLoadRequest, MoveAgentsRequest, RebalanceDecision, type GetLoadResponse, type MoveAgentsResponse } from '@gridstation/contracts';
import { recordValue, TOPICS, type MessageBus } from '@gridstation/bus';
import { resolveAddresses } from '@gridstation/service';
import { Rebalancer, type Decision, type PodLoad, type RebalanceConfig } from '@gridstation/edge';
import { gsMeter, type Logger } from '@gridstation/telemetry';

// The rebalancer's period: read every pod's load (EdgeControlService.GetLoad), decide (hotspots and
// moves, libs/edge), tell each donor pod which agents to send where (MoveAgents), and publish the
// decision on gs.rebalance.v1. A pod that does not answer is left out of the period (its agents
// reconnect elsewhere by themselves when it is gone).

const meter = gsMeter('rebalancer');
const metrics = {
  periods: meter.createCounter('gs_rebalancer_periods_total', { description: 'Periods evaluated' }),
  hotspots: meter.createCounter('gs_rebalancer_hotspots_total', { description: 'Hotspot pods found (one per pod per period)' }),
  moves: meter.createCounter('gs_rebalancer_moves_total', { description: 'Agents told to move' }),
  unreachable: meter.createCounter('gs_rebalancer_pod_unreachable_total', { description: 'Load reads that failed, per pod' }),
  score: meter.createObservableGauge('gs_rebalancer_pod_load_score', { description: 'Each pod\'s load score at the last period (mean over pods = sum of the weights)' }),
};

export class RebalancerLoop {
  private readonly policy: Rebalancer;
  private readonly clients = new Map<string, EdgeControlServiceClient>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The latest periods' decisions, oldest first. */
  readonly decisions: RebalanceDecision[] = [];
  private readonly listeners = new Set<(d: RebalanceDecision) => void>();
  private lastScores: Record<string, number> = {};
  private readonly gauge = (r: { observe(v: number, a?: Record<string, string>): void }) => {
    for (const [pod, v] of Object.entries(this.lastScores)) r.observe(v, { pod });
  };

  constructor(
    private readonly pods: readonly string[],
    config: RebalanceConfig,
    readonly periodMs: number,
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {
    this.policy = new Rebalancer(config);
  }

  start(): void {
    metrics.score.addCallback(this.gauge);
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.period()
        .then(() => undefined)
        .catch((e: unknown) => this.log.warn({ err: e }, 'rebalancing period failed'))
        .finally(() => (this.running = undefined));
    }, this.periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    metrics.score.removeCallback(this.gauge);
    for (const c of this.clients.values()) c.close();
  }

  /** Calls `listener` with every period's decision; returns the function that stops it. */
  watch(listener: (d: RebalanceDecision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One period; returns the decision. */
  async period(): Promise<Decision> {
    const addresses = await this.resolve();
    const loads = (await Promise.all(addresses.map((a) => this.getLoad(a)))).filter((x): x is GetLoadResponse => x !== undefined);
    const pods: PodLoad[] = loads.map((l) => ({ pod: l.pod, address: l.address, rate: l.recordsPerSecond, queue: l.queueLength, cpu: l.cpu, agents: l.agents.map((a) => ({ agentId: a.agentId, rate: a.recordsPerSecond })), measuredFromMs: Number(l.measuredFromMs) }));
    const d = this.policy.decide(pods);
    metrics.periods.add(1);
    this.lastScores = d.loads;
    const decisionId = `rb-${Date.now().toString(36)}-${d.period}`;
    const told = new Set<string>();
    if (d.hotspots.length > 0) {
      metrics.hotspots.add(d.hotspots.length);
      const byDonor = new Map<string, typeof d.moves>();
      for (const m of d.moves) byDonor.set(m.from, [...(byDonor.get(m.from) ?? []), m]);
      for (const [donor, moves] of byDonor) {
        const donorAddress = pods.find((p) => p.pod === donor)!.address;
        const byTarget = new Map<string, string[]>();
        for (const m of moves) byTarget.set(m.toAddress, [...(byTarget.get(m.toAddress) ?? []), m.agentId]);
        for (const [target, agentIds] of byTarget) {
          const r = await this.call<MoveAgentsResponse>(donorAddress, (c, cb) => c.moveAgents(MoveAgentsRequest.fromPartial({ agentIds, targetAddress: target, reason: `hotspot ${donor}`, decisionId }), cb)).catch((e: unknown) => {
            this.log.warn({ err: e, pod: donor }, 'move request failed');
            return undefined;
          });
          for (const id of r?.moved ?? []) told.add(id);
        }
      }
      metrics.moves.add(told.size);
    }
    const loadOf = new Map(pods.map((p) => [p.pod, p]));
    const event = RebalanceDecision.fromPartial({
      decisionId,
      period: d.period,
      atMs: Date.now(),
      mean: d.mean,
      hotspots: d.hotspots,
      pods: Object.entries(d.loads).map(([pod, score]) => {
        const p = loadOf.get(pod)!;
        return { pod, address: p.address, score, recordsPerSecond: p.rate, queueLength: p.queue, cpu: p.cpu, overPeriods: d.over[pod] ?? 0, agents: p.agents.length };
      }),
      moves: d.moves.map((m) => ({ agentId: m.agentId, fromPod: m.from, toPod: m.to, toAddress: m.toAddress, recordsPerSecond: m.rate, told: told.has(m.agentId) })),
    });
    this.decisions.push(event);
    if (this.decisions.length > 100) this.decisions.shift();
    for (const l of this.listeners) l(event);
    if (d.hotspots.length === 0) return d;
    await this.bus.publish(TOPICS.rebalance, [{ key: decisionId, value: recordValue(RebalanceDecision.encode(event)) }]);
    this.log.info({ decision: decisionId, hotspots: d.hotspots, moves: d.moves.length, told: told.size }, 'rebalancing decision');
    return d;
  }

  private resolve(): Promise<string[]> {
    return resolveAddresses(this.pods);
  }

  private async getLoad(address: string): Promise<GetLoadResponse | undefined> {
    try {
      return await this.call<GetLoadResponse>(address, (c, cb) => c.getLoad(GetLoadRequest.fromPartial({}), cb));
    } catch (e) {
      metrics.unreachable.add(1, { pod: address });
      this.log.debug({ err: e, pod: address }, 'pod load not read');
      return undefined;
    }
  }

  private call<T>(address: string, f: (c: EdgeControlServiceClient, cb: (err: Error | null, r: T) => void) => void): Promise<T> {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = new EdgeControlServiceClient(address, credentials.createInsecure(), { 'grpc.max_reconnect_backoff_ms': 2_000 })));
    const client = c;
    return new Promise<T>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`pod ${address} did not answer in time`)), Math.min(5_000, this.periodMs));
      f(client, (err, r) => {
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve(r);
      });
    });
  }
}
