import { Alert, AlertKind, AlertState, ElementKind, PriorityClass, SubmitTaskSetRequest, TaskSpec } from '@gridstation/contracts';
import { failedPrecondition, invalidArgument, notFound } from '@gridstation/errors';
import { DEFAULT_THRESHOLDS, type AreaIndicators, type IndicatorThresholds } from '@gridstation/metering';
import type { Logger } from '@gridstation/telemetry';
import { INDICATORS_PROGRAM, type IndicatorsInput, type IndicatorsOutput } from './indicators-program';
import type { AlertSink, TaskSets } from './ports';

// The indicators as a task set on the scheduler: one task per range of areas (run by a worker of the
// indicators pool, next to the analytical store), results kept in the scheduler's output index. When a
// set has finished, each area's heavy-load and overload days become area alerts (OVERLOAD,
// HEAVY_LOAD) on the alerts topic, opened, updated and cleared like analytics' alerts.

export interface IndicatorRequest {
  fromArea: number;
  toArea: number;
  areasPerTask: number;
  thresholds?: Partial<IndicatorThresholds>;
  user: string;
}

export interface IndicatorResult {
  taskSetId: string;
  finished: boolean;
  areas: AreaIndicators[];
  failedTasks: string[];
  rowsRead: number;
  /** Alerts published when the set finished (empty before). */
  alerts: Alert[];
}

const MAX_TASKS = 1_000;

export class IndicatorRuns {
  private readonly pending = new Map<string, { thresholds: IndicatorThresholds }>();
  private readonly published = new Map<string, Alert[]>();
  /** Area alerts in force: alert id -> the last revision published. */
  private readonly open = new Map<string, Alert>();
  private readonly settling = new Map<string, Promise<void>>();

  constructor(
    private readonly taskSets: TaskSets,
    private readonly sink: AlertSink | undefined,
    private readonly log: Logger,
    private readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  async submit(r: IndicatorRequest): Promise<string> {
    if (!this.enabled) throw failedPrecondition('NO_INDICATOR_WORKERS', 'indicators run where the load curves are aggregated (ClickHouse): use the distributed scheduler with GS_COLLECTION=on');
    const per = r.areasPerTask || 100;
    if (!Number.isInteger(r.fromArea) || !Number.isInteger(r.toArea) || r.toArea <= r.fromArea || r.fromArea < 0) throw invalidArgument('BAD_AREAS', 'from_area and to_area: integers, 0 <= from_area < to_area');
    if (!(per >= 1) || Math.ceil((r.toArea - r.fromArea) / per) > MAX_TASKS) throw invalidArgument('BAD_AREAS', `areas_per_task: at least 1, at most ${MAX_TASKS} tasks`);
    const thresholds = { ...DEFAULT_THRESHOLDS, ...(r.thresholds ?? {}) };
    const tasks: TaskSpec[] = [];
    for (let a = r.fromArea; a < r.toArea; a += per) {
      const input: IndicatorsInput = { fromArea: a, toArea: Math.min(r.toArea, a + per), thresholds };
      tasks.push(TaskSpec.fromPartial({ name: `areas:${input.fromArea}-${input.toArea}`, program: INDICATORS_PROGRAM, priority: PriorityClass.PRIORITY_CLASS_NORMAL, retry: { maxAttempts: 3, backoffMs: 5_000 }, input: { scenarioId: 'indicators', dataVersion: '', paramsJson: JSON.stringify(input), scale: input.toArea - input.fromArea } }));
    }
    const set = await this.taskSets.submit(SubmitTaskSetRequest.fromPartial({ name: `indicators of areas ${r.fromArea}-${r.toArea}`, service: 'collection', context: { user: r.user || 'collection', scene: 'business-expansion indicators' }, tasks }));
    this.pending.set(set.id, { thresholds });
    this.log.info({ set: set.id, tasks: tasks.length, areas: r.toArea - r.fromArea }, 'indicators submitted');
    return set.id;
  }

  /**
   * The set's indicators from its tasks' outputs; `finished` once every task ended and the set's area
   * alerts are published.
   */
  async result(taskSetId: string): Promise<IndicatorResult> {
    const r = await this.read(taskSetId);
    if (r.finished && this.pending.has(taskSetId)) {
      await this.settleOne(taskSetId, r);
      return { ...r, alerts: this.published.get(taskSetId) ?? [] };
    }
    return r;
  }

  private async read(taskSetId: string): Promise<IndicatorResult> {
    const set = await this.taskSets.get(taskSetId);
    if (!set) throw notFound('TASK_SET_NOT_FOUND', `task set ${taskSetId} does not exist`);
    const finished = set.finishedAtMs > 0;
    const areas: AreaIndicators[] = [];
    const failedTasks: string[] = [];
    let rowsRead = 0;
    if (finished) {
      for (const o of await this.taskSets.outcomes(taskSetId)) {
        if (!o.ok) {
          failedTasks.push(`${o.name}: ${o.failureCode ?? ''} ${o.failureReason ?? ''}`.trim());
          continue;
        }
        const out = o.output as IndicatorsOutput;
        areas.push(...out.areas);
        rowsRead += out.rowsRead;
      }
    }
    areas.sort((a, b) => a.areaId - b.areaId);
    return { taskSetId, finished, areas, failedTasks, rowsRead, alerts: this.published.get(taskSetId) ?? [] };
  }

  /** Publishes the area alerts of every set that finished since the last call. */
  async settle(): Promise<number> {
    let n = 0;
    for (const id of [...this.pending.keys()]) {
      const r = await this.read(id);
      if (!r.finished) continue;
      await this.settleOne(id, r);
      n++;
    }
    return n;
  }

  private settleOne(id: string, r: IndicatorResult): Promise<void> {
    let s = this.settling.get(id);
    if (!s) {
      s = this.publish(id, r).finally(() => this.settling.delete(id));
      this.settling.set(id, s);
    }
    return s;
  }

  private async publish(id: string, r: IndicatorResult): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const alerts = this.alertsOf(r.areas, p.thresholds, id);
    if (alerts.length && this.sink) await this.sink.publish(alerts);
    for (const a of alerts) {
      if (a.state === AlertState.ALERT_STATE_CLEARED) this.open.delete(a.alertId);
      else this.open.set(a.alertId, a);
    }
    this.published.set(id, alerts);
    if (this.published.size > 100) this.published.delete(this.published.keys().next().value!);
    this.pending.delete(id);
    this.log.info({ set: id, areas: r.areas.length, alerts: alerts.length, failed: r.failedTasks.length }, 'indicators finished');
  }

  /** OVERLOAD for areas with overload days, HEAVY_LOAD for heavy days; alerts no longer true are cleared. */
  private alertsOf(areas: readonly AreaIndicators[], th: IndicatorThresholds, taskSetId: string): Alert[] {
    const now = this.now();
    const revision = Math.floor(now / 1000);
    const out: Alert[] = [];
    const make = (a: AreaIndicators, kind: AlertKind, days: number, limit: number, state: AlertState): Alert => {
      const id = alertId(kind, a.areaId);
      const prev = this.open.get(id);
      return Alert.fromPartial({
        alertId: id,
        kind,
        state,
        revision: Math.max(revision, (prev?.revision ?? 0) + 1),
        elementKind: ElementKind.ELEMENT_KIND_TRANSFORMER_AREA,
        elementId: String(a.areaId),
        transformerAreaId: String(a.areaId),
        detectedAtMs: prev?.detectedAtMs ?? now,
        ...(state === AlertState.ALERT_STATE_CLEARED ? { clearedAtMs: now } : {}),
        confidence: 1,
        producer: 'collection-indicators',
        details: { days: String(days), of_days: String(a.days), max_load_rate: a.maxLoadRate.toFixed(4), limit_rate: String(limit), capacity_kva: String(a.capacityKva), peak_load_kw: a.peakLoadKw.toFixed(2), task_set: taskSetId },
      });
    };
    for (const a of areas) {
      const rules: Array<[AlertKind, number, number]> = [
        [AlertKind.ALERT_KIND_OVERLOAD, a.overloadDays, th.overloadRate],
        [AlertKind.ALERT_KIND_HEAVY_LOAD, a.heavyLoadDays, th.heavyRate],
      ];
      for (const [kind, days, limit] of rules) {
        const inForce = this.open.has(alertId(kind, a.areaId));
        if (days > 0) out.push(make(a, kind, days, limit, inForce ? AlertState.ALERT_STATE_UPDATED : AlertState.ALERT_STATE_OPEN));
        else if (inForce) out.push(make(a, kind, 0, limit, AlertState.ALERT_STATE_CLEARED));
      }
    }
    return out;
  }
}

const alertId = (kind: AlertKind, areaId: number) => `${kind === AlertKind.ALERT_KIND_OVERLOAD ? 'overload' : 'heavy-load'}:area:${areaId}`;
