import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import {
  CheckClocksRequest,
  CheckMeterRequest,
  GetLineLossRequest,
  GetSuccessRateRequest,
  ListGapsRequest,
  ListRoundsRequest,
  PutPlanRequest,
  RateGrouping,
  RunRoundRequest,
  SyncTerminalsRequest,
  type CheckClocksResponse,
  type CheckMeterResponse,
  type GetLineLossResponse,
  type CollectionPlan as PlanMessage,
  type GetSuccessRateResponse,
  type ListGapsResponse,
  type ListPlansResponse,
  type ListRoundsResponse,
  type PutPlanResponse,
  type RoundReport as RoundMessage,
  type RunRoundResponse,
  type SyncTerminalsResponse,
} from '@gridstation/contracts';
import { invalidArgument } from '@gridstation/errors';
import { checkInterval, checkRegister, estimateGaps, type EstimationOptions } from '@gridstation/metering';
import { CollectionEngine, type CollectionPlan, type RoundReport } from './engine';
import { COLLECTED_DATA, PLAN_STORE, type PlanStore } from './tokens';
import type { CollectedData } from './ports';

const toPlan = (p: CollectionPlan): PlanMessage => ({
  name: p.id,
  terminals: p.terminals,
  items: p.items.map((i) => ({ fn: i.fn, intervalMs: i.intervalMs })),
  everyMs: p.everyMs,
  lookbackMs: p.lookbackMs,
  settleMs: p.settleMs,
  deadlineMs: p.deadlineMs,
  maxPointsPerRead: p.maxPointsPerRead,
  maxUnitsPerRead: p.maxUnitsPerRead,
  readTimeoutMs: p.readTimeoutMs,
});

const toRound = (r: RoundReport): RoundMessage => ({
  plan: r.planId,
  round: r.round,
  startedAtMs: r.startedAtMs,
  fromMs: r.window.fromMs,
  toMs: r.window.toMs,
  meters: r.meters,
  gapsFound: r.gapsFound,
  requestsSent: r.requestsSent,
  waiting: r.waiting,
  taskSetId: r.taskSetId,
  settled: r.settled,
});

const MAX_WINDOW_MS = 31 * 86_400_000;

@Controller()
export class CollectionController {
  constructor(
    @Inject(CollectionEngine) private readonly engine: CollectionEngine,
    @Inject(COLLECTED_DATA) private readonly data: CollectedData,
    @Inject(PLAN_STORE) private readonly plans: PlanStore,
  ) {}

  @GrpcMethod('CollectionService', 'PutPlan')
  async putPlan(req: PutPlanRequest): Promise<PutPlanResponse> {
    const m = PutPlanRequest.fromPartial(req).plan;
    if (!m) throw invalidArgument('INVALID_PLAN', 'plan is required');
    const num = (v: number | undefined) => (v ? Number(v) : undefined);
    const given = {
      name: m.name,
      terminals: m.terminals,
      ...(m.items.length ? { items: m.items.map((i) => ({ fn: i.fn, intervalMs: Number(i.intervalMs) || 900_000 })) } : {}),
      ...(num(m.everyMs) ? { everyMs: num(m.everyMs)! } : {}),
      ...(num(m.lookbackMs) ? { lookbackMs: num(m.lookbackMs)! } : {}),
      ...(num(m.settleMs) ? { settleMs: num(m.settleMs)! } : {}),
      ...(num(m.deadlineMs) ? { deadlineMs: num(m.deadlineMs)! } : {}),
      ...(m.maxPointsPerRead ? { maxPointsPerRead: m.maxPointsPerRead } : {}),
      ...(m.maxUnitsPerRead ? { maxUnitsPerRead: m.maxUnitsPerRead } : {}),
      ...(m.readTimeoutMs ? { readTimeoutMs: m.readTimeoutMs } : {}),
    };
    const plan = this.engine.upsertPlan(given);
    await this.plans.save(this.engine.listPlans());
    return { plan: toPlan(plan) };
  }

  @GrpcMethod('CollectionService', 'ListPlans')
  listPlans(): ListPlansResponse {
    return { plans: this.engine.listPlans().map(toPlan) };
  }

  @GrpcMethod('CollectionService', 'RunRound')
  async runRound(req: RunRoundRequest): Promise<RunRoundResponse> {
    return { round: toRound(await this.engine.runRound(RunRoundRequest.fromPartial(req).plan)) };
  }

  @GrpcMethod('CollectionService', 'ListRounds')
  listRounds(req: ListRoundsRequest): ListRoundsResponse {
    const r = ListRoundsRequest.fromPartial(req);
    this.engine.plan(r.plan);
    const rounds = this.engine.reports.filter((x) => x.planId === r.plan).reverse().slice(0, r.limit || 50);
    return { rounds: rounds.map(toRound) };
  }

  @GrpcMethod('CollectionService', 'GetSuccessRate')
  async getSuccessRate(req: GetSuccessRateRequest): Promise<GetSuccessRateResponse> {
    const r = GetSuccessRateRequest.fromPartial(req);
    const rates = await this.engine.successRates(r.plan, Number(r.dayStartMs), r.by === RateGrouping.RATE_GROUPING_TERMINAL ? 'terminal' : 'area');
    const expected = rates.reduce((s, x) => s + x.expected, 0);
    const present = rates.reduce((s, x) => s + x.present, 0);
    return { rates: rates.map((x) => ({ ...x })), overallRate: expected ? present / expected : 1 };
  }

  @GrpcMethod('CollectionService', 'ListGaps')
  async listGaps(req: ListGapsRequest): Promise<ListGapsResponse> {
    const r = ListGapsRequest.fromPartial(req);
    const from = Number(r.fromMs);
    const to = Number(r.toMs);
    if (!(to > from) || to - from > MAX_WINDOW_MS) throw invalidArgument('BAD_WINDOW', 'to_ms must be after from_ms, at most 31 days later');
    const all = await this.engine.gaps(r.plan, from, to);
    const limit = Math.min(r.limit || 1000, 10_000);
    return {
      total: all.length,
      gaps: all.slice(0, limit).map((g) => ({
        meterId: g.meterId,
        terminal: g.terminal,
        quantity: g.quantity,
        fromMs: g.gap.fromMs,
        toMs: g.gap.toMs,
        points: g.gap.points,
        state: g.request?.state ?? '',
        reason: g.request?.reason ?? '',
        detail: g.request?.detail ?? '',
        attempts: g.request?.attempts ?? 0,
      })),
    };
  }

  @GrpcMethod('CollectionService', 'CheckMeter')
  async checkMeter(req: CheckMeterRequest): Promise<CheckMeterResponse> {
    const r = CheckMeterRequest.fromPartial(req);
    const from = Number(r.fromMs);
    const to = Number(r.toMs);
    if (!r.meterId || !r.quantity) throw invalidArgument('BAD_CHECK', 'meter_id and quantity are required');
    if (!(to > from) || to - from > MAX_WINDOW_MS) throw invalidArgument('BAD_WINDOW', 'to_ms must be after from_ms, at most 31 days later');
    const points = await this.data.series(r.meterId, r.quantity, from, to);
    const register = r.quantity.startsWith('energy.') && !r.quantity.endsWith('.interval');
    const flags = register ? checkRegister(points) : checkInterval(points);
    const bad = new Set(flags.filter((f) => f.rule !== 'ROLLOVER').map((f) => f.t));
    const o: EstimationOptions = { intervalMs: 900_000, maxLinearSlots: 4, kind: register ? 'register' : 'interval', utcOffsetMs: 8 * 3_600_000 };
    const estimates = estimateGaps(points.filter((p) => !bad.has(p.t)), from, to, o);
    return {
      values: points.length,
      flags: flags.map((f) => ({ dataTimeMs: f.t, rule: f.rule, value: f.value, detail: f.detail })),
      estimates: estimates.map((e) => ({ dataTimeMs: e.t, value: e.v, method: e.method })),
    };
  }

  @GrpcMethod('CollectionService', 'SyncTerminals')
  async syncTerminals(req: SyncTerminalsRequest): Promise<SyncTerminalsResponse> {
    const r = SyncTerminalsRequest.fromPartial(req);
    const terminals = r.terminals.length ? r.terminals : r.plan ? this.engine.plan(r.plan).terminals : [];
    return { taskSetId: await this.engine.syncTerminals(terminals), terminals: new Set(terminals).size };
  }

  @GrpcMethod('CollectionService', 'GetLineLoss')
  async getLineLoss(req: GetLineLossRequest): Promise<GetLineLossResponse> {
    const r = GetLineLossRequest.fromPartial(req);
    const { areas, withoutMaster } = await this.engine.lineLoss(r.plan, Number(r.dayStartMs));
    return {
      areas: areas.map((a) => ({ area: a.area, masterMeter: a.master, suppliedKwh: a.suppliedKwh, consumedKwh: a.consumedKwh, lossKwh: a.lossKwh, lossRate: a.lossRate, flags: a.flags, unreadableMeters: a.unreadable, explanation: a.explanation })),
      withoutMaster,
    };
  }

  @GrpcMethod('CollectionService', 'CheckClocks')
  async checkClocks(req: CheckClocksRequest): Promise<CheckClocksResponse> {
    const r = CheckClocksRequest.fromPartial(req);
    const terminals = r.terminals.length ? r.terminals : r.plan ? this.engine.plan(r.plan).terminals : [];
    return { taskSetId: await this.engine.checkClocks(terminals, Number(r.thresholdMs) || 300_000), terminals: new Set(terminals).size };
  }
}
