import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import {
  CheckClocksRequest,
  CheckMeterRequest,
  ComputeIndicatorsRequest,
  GetIndicatorsRequest,
  type ComputeIndicatorsResponse,
  type GetIndicatorsResponse,
  EditValueRequest,
  EstimateMeterRequest,
  GetValuesRequest,
  ListRevisionsRequest,
  ValueView,
  type EditValueResponse,
  type EstimateMeterResponse,
  type GetValuesResponse,
  type ListRevisionsResponse,
  type Revision as RevisionMessage,
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
import type { Revision, ValueView as View } from '@gridstation/metering';
import { CollectionEngine, type CollectionPlan, type RoundReport } from './engine';
import { IndicatorRuns } from './indicator-runs';
import { MeterValues } from './meter-values';
import { PLAN_STORE, type PlanStore } from './tokens';

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

const toRevision = (r: Revision): RevisionMessage => ({
  meterId: r.meterId,
  quantity: r.quantity,
  dataTimeMs: r.dataTimeMs,
  value: r.value,
  kind: r.kind,
  method: r.method,
  user: r.user,
  reason: r.reason,
  atMs: r.atMs,
  ...(r.previous === undefined ? {} : { previous: r.previous }),
  previousQuality: r.previousQuality,
});

const VIEWS: Record<number, View> = { [ValueView.VALUE_VIEW_RAW]: 'RAW', [ValueView.VALUE_VIEW_VALIDATED]: 'VALIDATED', [ValueView.VALUE_VIEW_ESTIMATED]: 'ESTIMATED' };

const MAX_WINDOW_MS = 31 * 86_400_000;

/** A meter, a quantity and a window of at most 31 days, or INVALID_ARGUMENT. */
function meterWindow(r: { meterId: string; quantity: string; fromMs: number | string; toMs: number | string }): { from: number; to: number } {
  const from = Number(r.fromMs);
  const to = Number(r.toMs);
  if (!r.meterId || !r.quantity) throw invalidArgument('BAD_METER', 'meter_id and quantity are required');
  if (!(to > from) || to - from > MAX_WINDOW_MS) throw invalidArgument('BAD_WINDOW', 'to_ms must be after from_ms, at most 31 days later');
  return { from, to };
}

@Controller()
export class CollectionController {
  constructor(
    @Inject(CollectionEngine) private readonly engine: CollectionEngine,
    @Inject(MeterValues) private readonly values: MeterValues,
    @Inject(IndicatorRuns) private readonly indicators: IndicatorRuns,
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
    const plan = this.engine.upsertPlan(given, true);
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
    const { from, to } = meterWindow(r);
    const c = await this.values.check(r.meterId, r.quantity, from, to);
    return {
      values: c.points.length,
      flags: c.flags.map((f) => ({ dataTimeMs: f.t, rule: f.rule, value: f.value, detail: f.detail })),
      estimates: c.estimates.map((e) => ({ dataTimeMs: e.t, value: e.v, method: e.method })),
    };
  }

  @GrpcMethod('CollectionService', 'EstimateMeter')
  async estimateMeter(req: EstimateMeterRequest): Promise<EstimateMeterResponse> {
    const r = EstimateMeterRequest.fromPartial(req);
    const { from, to } = meterWindow(r);
    if (!r.user.trim()) throw invalidArgument('BAD_ESTIMATE', 'user is required (who asked for the estimates)');
    return { written: (await this.values.estimate(r.meterId, r.quantity, from, to, r.user.trim(), r.reason.trim() || 'estimation requested')).map(toRevision) };
  }

  @GrpcMethod('CollectionService', 'EditValue')
  async editValue(req: EditValueRequest): Promise<EditValueResponse> {
    const r = EditValueRequest.fromPartial(req);
    return { revision: toRevision(await this.values.edit({ meterId: r.meterId, quantity: r.quantity, dataTimeMs: Number(r.dataTimeMs), value: r.value, user: r.user, reason: r.reason })) };
  }

  @GrpcMethod('CollectionService', 'GetValues')
  async getValues(req: GetValuesRequest): Promise<GetValuesResponse> {
    const r = GetValuesRequest.fromPartial(req);
    const { from, to } = meterWindow(r);
    const view = r.view === ValueView.VALUE_VIEW_UNSPECIFIED ? 'VALIDATED' : VIEWS[r.view];
    if (!view) throw invalidArgument('BAD_VIEW', `unknown view ${r.view}`);
    const values = await this.values.view(r.meterId, r.quantity, from, to, view);
    return { values: values.map((v) => ({ dataTimeMs: v.t, value: v.v, quality: v.quality, rules: v.rules, method: v.method ?? '', ...(v.raw === undefined ? {} : { raw: v.raw }) })) };
  }

  @GrpcMethod('CollectionService', 'ListRevisions')
  async listRevisions(req: ListRevisionsRequest): Promise<ListRevisionsResponse> {
    const r = ListRevisionsRequest.fromPartial(req);
    const { from, to } = meterWindow(r);
    return { revisions: (await this.values.revisions(r.meterId, r.quantity, from, to)).map(toRevision) };
  }

  @GrpcMethod('CollectionService', 'ComputeIndicators')
  async computeIndicators(req: ComputeIndicatorsRequest): Promise<ComputeIndicatorsResponse> {
    const r = ComputeIndicatorsRequest.fromPartial(req);
    const thresholds = { ...(r.heavyRate === undefined ? {} : { heavyRate: r.heavyRate }), ...(r.overloadRate === undefined ? {} : { overloadRate: r.overloadRate }) };
    return { taskSetId: await this.indicators.submit({ fromArea: r.fromArea, toArea: r.toArea, areasPerTask: r.areasPerTask, thresholds, user: r.user }) };
  }

  @GrpcMethod('CollectionService', 'GetIndicators')
  async getIndicators(req: GetIndicatorsRequest): Promise<GetIndicatorsResponse> {
    const r = await this.indicators.result(GetIndicatorsRequest.fromPartial(req).taskSetId);
    return { finished: r.finished, areas: r.areas, failedTasks: r.failedTasks, rowsRead: r.rowsRead, alerts: r.alerts };
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
