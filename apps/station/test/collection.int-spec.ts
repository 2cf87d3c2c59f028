import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { loadConfig, stationConfigSchema } from '@gridstation/config';
import { CheckMeterRequest, CollectionServiceClient, EditValueRequest, EstimateMeterRequest, GetValuesRequest, ListRevisionsRequest, ValueView, type EditValueResponse, type EstimateMeterResponse, type GetValuesResponse, type ListRevisionsResponse, GetSuccessRateRequest, ListGapsRequest, ListRoundsRequest, ListTasksRequest, PutPlanRequest, RateGrouping, RunRoundRequest, SummarizeTaskSetRequest, SyncTerminalsRequest, TaskServiceClient, type CheckMeterResponse, CheckClocksRequest, type CheckClocksResponse, GetLineLossRequest, type GetLineLossResponse, type SummarizeTaskSetResponse, type SyncTerminalsResponse, type GetSuccessRateResponse, type ListGapsResponse, type ListRoundsResponse, type ListTasksResponse, type PutPlanResponse, type RunRoundResponse } from '@gridstation/contracts';
import { TerminalServer } from '@gridstation/ingest';
import { READING_STORE, type ReadingStore } from '@gridstation/persistence';
import { DEFAULT_SIMULATOR, Simulator } from '@gridstation/simulator';
import { startTelemetry } from '@gridstation/telemetry';
import { insecure, localServiceEnv, unary, waitFor } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

// Collection operations on the real embedded pipeline: simulated terminals over TCP lose 5 % of their
// reports on the way, one terminal in twenty is offline for hours and another is still offline when the
// first round runs. A collection plan over the simulated day runs on the scheduler: its reads go
// through the downlink to the terminals, the answers come back through the normal pipeline (parser,
// validation, DuckDB). Afterwards the stored day must hold the ground truth's curve points (at least
// 99.9 %), every gap left must carry its reason, and all of it is read over gRPC.

const DAY = 86_400_000;
const TZ = 8 * 3_600_000;

describe('collection operations in the embedded station', () => {
  const telemetry = startTelemetry({ service: 'station', instanceId: 'collection', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('re-collects what was lost or offline until the day is complete; the KPI, the gaps and VEE over gRPC', async () => {
    const env = { ...(await localServiceEnv()), GS_SUMMARY_INTERVAL_MS: '0', GS_BATCH_DELAY_MS: '100' };
    const config = loadConfig('station', stationConfigSchema, env);
    const svc = await bootstrap(config, telemetry, false);
    // Yesterday, local time: a whole day of data that is over.
    const dayStart = Math.floor((Date.now() + TZ) / DAY) * DAY - TZ - DAY;
    // Each terminal's area has a master meter (pn 1) and a known line loss: 2 % to 9 %, one area at 15 %
    // (loss rate 13 %: HIGH) and one whose master meter runs slow (-3 %: NEGATIVE).
    const lossOf = (i: number) => (i === 11 ? 0.15 : i === 17 ? -0.03 : 0.02 + (i % 8) * 0.01);
    const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: svc.app.get(TerminalServer).port, terminals: 20, metersPerTerminal: 4, startMs: dayStart, roundsPerSecond: 24, lostReportRate: 0.05, badFrameEvery: 0, eventEvery: 0, unknownTerminals: 0, heartbeatMs: 2_000, areaLoss: lossOf });
    const collection = new CollectionServiceClient(svc.grpcAddress, insecure());
    const tasks = new TaskServiceClient(svc.grpcAddress, insecure());
    const away = sim.terminals[7]!; // offline for seven and a half hours, back before the first round
    const late = sim.terminals[13]!; // offline from 20:00 until after the first round
    try {
      await svc.app.get<DeviceArchive>(ARCHIVE).put(sim.archive());
      await sim.connect();
      // The day and the next midnight's read (the day's closing register values).
      await sim.run(97, {
        before: async (k) => {
          if (k === 30) away.goOffline();
          if (k === 60) expect(await away.comeBack()).toBe(true);
          if (k === 80) late.goOffline();
        },
      });
      const lost = sim.terminals.reduce((s, t) => s + t.stats.reportsLost, 0);
      expect(lost).toBeGreaterThan(50);
      const store = svc.app.get<ReadingStore>(READING_STORE);
      const meters = sim.meterIds();
      // What the terminals hold of the day (the truth records every curve point and register read, sent or not).
      const QUANTITIES = ['power.active.total', 'energy.active.import'];
      const truth = [...sim.truth.readings.values()].filter((r) => QUANTITIES.includes(r.quantity) && r.tariff === 0 && r.dataTimeMs >= dayStart && r.dataTimeMs < dayStart + DAY);
      expect(truth).toHaveLength(meters.length * 96 * 2);
      const storedTimes = async () => new Map(await Promise.all(QUANTITIES.map(async (q) => [q, await store.dataTimes(meters, q, dayStart, dayStart + DAY)] as const)));
      const storedPoints = async () => [...(await storedTimes()).values()].reduce((s, byMeter) => s + [...byMeter.values()].reduce((n, x) => n + x.length, 0), 0);
      let last = -1;
      await waitFor(async () => {
        const n = await storedPoints();
        const stable = n === last;
        last = n;
        return stable;
      }, 'the pipeline to settle', 60_000, 1_000);
      const before = await storedPoints();
      expect(truth.length - before).toBeGreaterThanOrEqual((30 + 16) * 4 * 2); // at least the two outages' points

      // The plan: power (F81) and energy readings (F101) over the simulated day and the next midnight
      // (its window ends a quarter after the day's end, which is past).
      const settleMs = Date.now() - (dayStart + DAY + 900_000);
      const put = await unary<unknown, PutPlanResponse>(collection, 'putPlan', PutPlanRequest.fromPartial({ plan: { name: 'curves', terminals: sim.terminals.map((t) => t.key), items: [{ fn: 81, intervalMs: 900_000 }, { fn: 101, intervalMs: 900_000 }], lookbackMs: DAY + 900_000, settleMs, everyMs: 3_600_000, maxPointsPerRead: 32, readTimeoutMs: 3_000 } }));
      expect(put.plan!.items).toEqual([{ fn: 81, intervalMs: 900_000 }, { fn: 101, intervalMs: 900_000 }]);
      const kpiBefore = await unary<unknown, GetSuccessRateResponse>(collection, 'getSuccessRate', GetSuccessRateRequest.fromPartial({ plan: 'curves', dayStartMs: dayStart, by: RateGrouping.RATE_GROUPING_TERMINAL }));
      expect(kpiBefore.overallRate).toBeCloseTo(before / truth.length, 6);
      expect(kpiBefore.rates).toHaveLength(20);

      // Before re-collection, the long outage of one meter estimated and stored beside the raw data:
      // the seven and a half hours by the load profile, short gaps of lost reports linearly.
      const awayMeter = away.meterId(2);
      const dayWindow = { meterId: awayMeter, quantity: 'power.active.total', fromMs: dayStart, toMs: dayStart + DAY };
      const estimated = await unary<unknown, EstimateMeterResponse>(collection, 'estimateMeter', EstimateMeterRequest.fromPartial({ ...dayWindow, user: 'zhang.min', reason: 'outage of terminal' }));
      expect(estimated.written.filter((w) => w.method === 'PROFILE').length).toBeGreaterThanOrEqual(29);
      for (const w of estimated.written) expect(w).toMatchObject({ kind: 'ESTIMATED', user: 'zhang.min', previousQuality: 'NONE' });
      const estimatedView = await unary<unknown, GetValuesResponse>(collection, 'getValues', GetValuesRequest.fromPartial({ ...dayWindow, view: ValueView.VALUE_VIEW_ESTIMATED }));
      const rawBefore = await unary<unknown, GetValuesResponse>(collection, 'getValues', GetValuesRequest.fromPartial({ ...dayWindow, view: ValueView.VALUE_VIEW_RAW }));
      expect(estimatedView.values.length).toBe(rawBefore.values.length + estimated.written.length);
      expect(estimatedView.values.filter((v) => v.quality === 'ESTIMATED')).toHaveLength(estimated.written.length);
      // Asked again, nothing new is written (the same estimates are there).
      expect((await unary<unknown, EstimateMeterResponse>(collection, 'estimateMeter', EstimateMeterRequest.fromPartial({ ...dayWindow, user: 'zhang.min' }))).written).toEqual([]);

      const settled = async (round: number) =>
        waitFor(async () => (await unary<unknown, ListRoundsResponse>(collection, 'listRounds', ListRoundsRequest.fromPartial({ plan: 'curves' }))).rounds.find((r) => r.round === round && r.settled), `round ${round} to settle`, 60_000, 250);
      const first = (await unary<unknown, RunRoundResponse>(collection, 'runRound', RunRoundRequest.fromPartial({ plan: 'curves' }))).round!;
      expect(Number(first.fromMs)).toBe(dayStart);
      expect(Number(first.toMs)).toBe(dayStart + DAY + 900_000);
      expect(first.gapsFound).toBeGreaterThan(0);
      expect(first.waiting).toBeGreaterThanOrEqual(4); // at least one per meter of the terminal still offline
      expect(first.taskSetId).not.toBe('');
      await settled(1);
      const waiting = (await unary<unknown, ListGapsResponse>(collection, 'listGaps', ListGapsRequest.fromPartial({ plan: 'curves', fromMs: dayStart, toMs: dayStart + DAY }))).gaps.filter((g) => g.state === 'waiting_for_login');
      expect(new Set(waiting.map((g) => g.terminal))).toEqual(new Set([late.key]));
      // The reads ran on the collection pool's worker.
      const ran = await unary<unknown, ListTasksResponse>(tasks, 'listTasks', ListTasksRequest.fromPartial({ taskSetId: first.taskSetId, pageSize: 500 }));
      expect(ran.tasks.length).toBeGreaterThan(0);
      expect(new Set(ran.tasks.map((t) => t.worker))).toEqual(new Set([`${config.instanceId}-collector`]));

      // The late terminal logs in again; the next round reads what it held for the station meanwhile.
      expect(await late.comeBack()).toBe(true);
      await waitFor(async () => svc.app.get(TerminalServer).connectionOf(late.key)?.address !== undefined, 'the late terminal logged in', 10_000);
      const second = (await unary<unknown, RunRoundResponse>(collection, 'runRound', RunRoundRequest.fromPartial({ plan: 'curves' }))).round!;
      expect(second.waiting).toBe(0);
      expect(second.requestsSent).toBeGreaterThanOrEqual(4);
      await settled(2);

      // The answers are stored by the pipeline: completeness against the ground truth.
      await waitFor(async () => (await storedPoints()) >= truth.length * 0.999, 'the day at 99.9 % complete', 60_000, 500);
      const times = await storedTimes();
      const have = truth.filter((r) => times.get(r.quantity)!.get(r.meterId)?.includes(r.dataTimeMs)).length;
      expect(have / truth.length).toBeGreaterThanOrEqual(0.999);
      const kpi = await unary<unknown, GetSuccessRateResponse>(collection, 'getSuccessRate', GetSuccessRateRequest.fromPartial({ plan: 'curves', dayStartMs: dayStart, by: RateGrouping.RATE_GROUPING_TERMINAL }));
      expect(kpi.overallRate).toBeCloseTo(have / truth.length, 6);
      // Every gap left is reported with what happened to it.
      const gaps = await unary<unknown, ListGapsResponse>(collection, 'listGaps', ListGapsRequest.fromPartial({ plan: 'curves', fromMs: dayStart, toMs: dayStart + DAY }));
      expect(gaps.gaps.reduce((n, g) => n + g.points, 0)).toBe(truth.length - have);
      for (const g of gaps.gaps) expect(g.state === 'given_up' ? g.reason : g.detail).not.toBe('');

      // Line loss per area: the known rate, 1 - 1 / (1 + loss), within the register resolution.
      const loss = await unary<unknown, GetLineLossResponse>(collection, 'getLineLoss', GetLineLossRequest.fromPartial({ plan: 'curves', dayStartMs: dayStart }));
      expect(loss.withoutMaster).toEqual([]);
      expect(loss.areas).toHaveLength(20);
      for (const [i, t] of sim.terminals.entries()) {
        const a = loss.areas.find((x) => x.area === t.key)!;
        expect(a.masterMeter).toBe(t.meterId(1));
        expect(Math.abs(a.lossRate - (1 - 1 / (1 + lossOf(i))))).toBeLessThan(1e-3);
        expect(a.flags).toEqual(i === 11 ? ['HIGH'] : i === 17 ? ['NEGATIVE'] : []);
      }

      // VEE on a meter's stored day: the simulated load is clean, nothing is flagged, nothing to estimate.
      const check = await unary<unknown, CheckMeterResponse>(collection, 'checkMeter', CheckMeterRequest.fromPartial({ meterId: away.meterId(2), quantity: 'power.active.total', fromMs: dayStart, toMs: dayStart + DAY }));
      expect(check.values).toBe(96);
      expect(check.flags).toEqual([]);
      expect(check.estimates).toEqual([]);
      // Re-collected raw values take the place of the estimates in the estimated view; the estimates stay
      // in the audit trail.
      const afterFill = await unary<unknown, GetValuesResponse>(collection, 'getValues', GetValuesRequest.fromPartial({ ...dayWindow, view: ValueView.VALUE_VIEW_ESTIMATED }));
      expect(afterFill.values).toHaveLength(96);
      expect(afterFill.values.every((v) => v.quality === 'RAW')).toBe(true);

      // An operator's edit: who, why and the value replaced are recorded; the raw view is unchanged.
      const slot = dayStart + 40 * 900_000;
      const rawValue = afterFill.values.find((v) => Number(v.dataTimeMs) === slot)!.value;
      await expect(unary(collection, 'editValue', EditValueRequest.fromPartial({ meterId: awayMeter, quantity: dayWindow.quantity, dataTimeMs: slot, value: 9.5, user: 'li.wei' }))).rejects.toMatchObject({ code: 3, details: expect.stringContaining('reason is required') });
      const edit = await unary<unknown, EditValueResponse>(collection, 'editValue', EditValueRequest.fromPartial({ meterId: awayMeter, quantity: dayWindow.quantity, dataTimeMs: slot, value: 9.5, user: 'li.wei', reason: 'meter replaced, reading taken on site' }));
      expect(edit.revision).toMatchObject({ kind: 'EDITED', method: 'MANUAL', value: 9.5, previous: rawValue, previousQuality: 'RAW', user: 'li.wei' });
      const at = async (view: ValueView) => (await unary<unknown, GetValuesResponse>(collection, 'getValues', GetValuesRequest.fromPartial({ ...dayWindow, view }))).values.find((v) => Number(v.dataTimeMs) === slot)!;
      expect(await at(ValueView.VALUE_VIEW_RAW)).toMatchObject({ value: rawValue, quality: 'RAW' });
      expect(await at(ValueView.VALUE_VIEW_VALIDATED)).toMatchObject({ value: 9.5, quality: 'EDITED', raw: rawValue });
      expect(await at(ValueView.VALUE_VIEW_ESTIMATED)).toMatchObject({ value: 9.5, quality: 'EDITED' });
      const trail = await unary<unknown, ListRevisionsResponse>(collection, 'listRevisions', ListRevisionsRequest.fromPartial(dayWindow));
      expect(trail.revisions).toHaveLength(estimated.written.length + 1);
      expect(trail.revisions.at(-1)).toMatchObject({ kind: 'EDITED', reason: 'meter replaced, reading taken on site' });

      // The daily freeze (F161) after midnight: the terminals do not report it, a plan reads it for every
      // meter; each stored value is the meter's register at the day's start.
      await unary(collection, 'putPlan', PutPlanRequest.fromPartial({ plan: { name: 'daily', terminals: sim.terminals.map((t) => t.key), items: [{ fn: 161, intervalMs: DAY }], lookbackMs: DAY + 900_000, settleMs, everyMs: 3_600_000, readTimeoutMs: 3_000 } }));
      const dailyKpi = async () => (await unary<unknown, GetSuccessRateResponse>(collection, 'getSuccessRate', GetSuccessRateRequest.fromPartial({ plan: 'daily', dayStartMs: dayStart, by: RateGrouping.RATE_GROUPING_TERMINAL }))).overallRate;
      expect(await dailyKpi()).toBe(0);
      const daily = (await unary<unknown, RunRoundResponse>(collection, 'runRound', RunRoundRequest.fromPartial({ plan: 'daily' }))).round!;
      expect(daily.gapsFound).toBe(meters.length);
      await waitFor(async () => (await unary<unknown, ListRoundsResponse>(collection, 'listRounds', ListRoundsRequest.fromPartial({ plan: 'daily' }))).rounds.find((r) => r.round === 1 && r.settled), 'the daily round to settle', 60_000, 250);
      await waitFor(async () => (await dailyKpi()) === 1, 'every daily freeze stored', 30_000, 250);
      const freezes = await store.readingsOf(meters);
      for (const m of meters) {
        const f = freezes.find((r) => r.meterId === m && r.quantity === 'energy.active.import.daily' && r.dataTimeMs === dayStart && r.tariff === 0);
        expect(f?.value).toBeCloseTo(sim.truth.readings.get(`${m}|energy.active.import|0|${dayStart}`)?.value ?? NaN, 4);
      }

      // Archive-to-terminal sync: one terminal's F10 table drifted (a device lost, an address wrong, a
      // device the archive does not know); another is in order.
      const drifted = sim.terminals[3]!;
      drifted.misconfigure({ remove: [2], wrongAddress: [3], extra: [{ ...drifted.configOf(1), device: 9, pn: 9, address: '123412341234' }] });
      const sync = await unary<unknown, SyncTerminalsResponse>(collection, 'syncTerminals', SyncTerminalsRequest.fromPartial({ terminals: [drifted.key, sim.terminals[4]!.key] }));
      expect(sync.terminals).toBe(2);
      const summary = await waitFor(async () => {
        const s = await unary<unknown, SummarizeTaskSetResponse>(tasks, 'summarizeTaskSet', SummarizeTaskSetRequest.fromPartial({ id: sync.taskSetId }));
        return (s.taskSet?.finishedAtMs ?? 0) > 0 ? s : undefined;
      }, 'the sync to finish', 30_000, 250);
      const outcomes = new Map(summary.outputs.map((o) => [o.taskId.split('/').pop(), JSON.parse(o.inlineJson) as Record<string, unknown>]));
      expect(outcomes.get(`sync:${drifted.key}`)).toMatchObject({ outcome: 'synced', checked: 4, missing: [2], wrong: [3], extra: [9], written: 3, verified: true });
      expect(outcomes.get(`sync:${sim.terminals[4]!.key}`)).toMatchObject({ outcome: 'synced', checked: 4, written: 0, verified: true });
      expect(drifted.configTable().map((c) => [c.device, c.pn, c.address])).toEqual([1, 2, 3, 4].map((pn) => [pn, pn, drifted.meterId(pn)]));

      // Clocks: one terminal seven minutes fast gets set; one a minute slow is left alone.
      const fast = sim.terminals[5]!;
      const slow = sim.terminals[6]!;
      fast.clockOffsetMs = 7 * 60_000;
      slow.clockOffsetMs = -60_000;
      const clocks = await unary<unknown, CheckClocksResponse>(collection, 'checkClocks', CheckClocksRequest.fromPartial({ terminals: [fast.key, slow.key], thresholdMs: 300_000 }));
      const clockSummary = await waitFor(async () => {
        const s = await unary<unknown, SummarizeTaskSetResponse>(tasks, 'summarizeTaskSet', SummarizeTaskSetRequest.fromPartial({ id: clocks.taskSetId }));
        return (s.taskSet?.finishedAtMs ?? 0) > 0 ? s : undefined;
      }, 'the clock check to finish', 30_000, 250);
      const clockOut = new Map(clockSummary.outputs.map((o) => [o.taskId.split('/').pop(), JSON.parse(o.inlineJson) as { driftMs: number; set: boolean; driftAfterMs: number }]));
      const f = clockOut.get(`clock:${fast.key}`)!;
      expect(f.set).toBe(true);
      expect(Math.abs(f.driftMs - 7 * 60_000)).toBeLessThan(2_000); // A.1 has whole seconds
      expect(Math.abs(f.driftAfterMs)).toBeLessThan(2_000);
      expect(Math.abs(fast.clockOffsetMs)).toBeLessThan(2_000);
      const sl = clockOut.get(`clock:${slow.key}`)!;
      expect(sl.set).toBe(false);
      expect(Math.abs(sl.driftMs + 60_000)).toBeLessThan(2_000);
      expect(slow.clockOffsetMs).toBe(-60_000);

      await expect(unary(collection, 'runRound', RunRoundRequest.fromPartial({ plan: 'nope' }))).rejects.toMatchObject({ code: 5 });
      await expect(unary(collection, 'putPlan', PutPlanRequest.fromPartial({ plan: { name: 'Bad', terminals: [] } }))).rejects.toMatchObject({ code: 3 });
      console.log(`collection: ${meters.length} meters, ${lost} reports lost, stored before re-collection ${before} of ${truth.length} points (power and energy) (${((before / truth.length) * 100).toFixed(2)} %), after ${have} (${((have / truth.length) * 100).toFixed(3)} %); rounds: ${first.requestsSent} + ${second.requestsSent} requests, ${gaps.total} gaps left`);
    } finally {
      collection.close();
      tasks.close();
      await sim.close();
      await svc.shutdown('test over');
    }
  });
});
