import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@gridstation/bus';
import { PriorityClass, SubmitTaskSetRequest, TaskState, type Task, type TaskSet } from '@gridstation/contracts';
import Redis from 'ioredis';
import { assignExact, assignGreedy, BUILTIN_PROGRAMS, DEFAULT_CAPACITY, LevelTaskStore, RedisTaskStore, SchedulerService, TaskQueries, type Candidate, type TaskStore } from '@gridstation/scheduler';
import { mulberry32 } from '@gridstation/simulator';
import { createLogger } from '@gridstation/telemetry';

// The scheduler measured in one run, the way the embedded station runs it (LevelDB task store, every
// commit synced; in-process workers running programs in their sandboxes; events through the outbox):
//   (a) scale: one task set of N trivial tasks (default 1,000,000) submitted, scheduled and run;
//   (b) the planning workflow of the BOS paper in miniature (Table 6: UC 377, APD 366, RPD 8,761, an
//       N-1 stage, adjustment 8,761, in stage order), durations the table's means scaled down, with
//       urgent collection rounds (deadlines) arriving meanwhile, under co-scheduling (TCCSP);
//   (c) the same workload under FIFO and EDF in the same run: weighted mean completion time and
//       deadline misses as ratios; the paper's baseline failure (out of memory without co-scheduling)
//       tried: the adjustment stage launched at once in one process with a bounded heap;
//   plus the duration forecast's error on held-out tasks and the greedy heuristic's gap to the optimum.
//   npm run -s bench:scheduler -- [--tasks=1000000] [--workers=8] [--scale=0.005] [--n1=20000] [--short]
//     [--redis=redis://127.0.0.1:6379 [--redis-tasks=100000]]  part (a) also on the distributed task store
//     (run that Redis with appendonly yes and appendfsync always: the figures are only honest then)
// (--short: 20,000 tasks and a tenth of every stage, about two minutes.)

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const short = process.argv.includes('--short');
const TASKS = arg('tasks', short ? 20_000 : 1_000_000);
const WORKERS = arg('workers', 8);
const SCALE = arg('scale', 0.005);
const N1 = arg('n1', short ? 2_000 : 20_000);
const STAGE_DIVISOR = short ? 10 : 1;
const log = createLogger({ service: 'bench', instanceId: 'bench', level: 'warn' });
const root = mkdtempSync(join(tmpdir(), 'gs-sched-bench-'));

const REDIS = process.argv.find((a) => a.startsWith('--redis='))?.slice('--redis='.length);
const REDIS_TASKS = arg('redis-tasks', short ? 5_000 : 100_000);

interface Rig {
  svc: SchedulerService;
  store: TaskStore & { close(): Promise<void> };
  queries: TaskQueries;
}

async function openStore(name: string, redis?: string): Promise<TaskStore & { close(): Promise<void> }> {
  if (!redis) return LevelTaskStore.openAt(join(root, name));
  const client = new Redis(redis, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await client.connect();
  const store = new RedisTaskStore(client, `gs:bench:${Date.now().toString(36)}:`);
  return Object.assign(store, { close: async () => void (await client.quit()) });
}

async function rig(name: string, policy: 'tccsp' | 'fifo' | 'edf', workers: number, redis?: string): Promise<Rig> {
  const store = await openStore(name, redis);
  const bus = new MemoryBus({ service: 'bench', log });
  const svc = new SchedulerService(store, bus, log, { scheduler: { owner: name, policy, cycleMs: 20 }, capacity: { ...DEFAULT_CAPACITY, min: workers, max: workers, idleReleaseMs: 3_600_000 }, inProcessWorkers: true, historyGroup: 'bench', warmStart: 0 });
  await svc.start();
  return { svc, store, queries: new TaskQueries(store, svc.scheduler) };
}

async function close(r: Rig): Promise<void> {
  await r.svc.stop();
  await r.store.close();
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
sampler.unref();
const mb = (b: number) => Math.round(b / 1048576);

async function untilFinished(r: Rig, ids: string[], label: string, total: number): Promise<void> {
  let lastPrint = 0;
  for (;;) {
    const sets = (await Promise.all(ids.map((id) => r.svc.scheduler.getSet(id)))) as TaskSet[];
    const done = sets.reduce((n, s) => n + (s.counts['SUCCESS'] ?? 0) + (s.counts['FAILED'] ?? 0), 0);
    if (sets.every((s) => s.finishedAtMs > 0)) return;
    if (Date.now() - lastPrint > 10_000) {
      lastPrint = Date.now();
      process.stderr.write(`  ${label}: ${done}/${total} done, rss ${mb(process.memoryUsage().rss)} MB\n`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function allTasks(r: Rig, setId: string): Promise<Task[]> {
  const out: Task[] = [];
  let pageToken = '';
  do {
    const page = await r.queries.tasks({ taskSetId: setId, states: [], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 5000, pageToken });
    out.push(...page.tasks);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

const results: Record<string, unknown> = { machine: { cpus: cpus().length, model: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version }, options: { TASKS, REDIS, REDIS_TASKS, WORKERS, SCALE, N1, short } };
const verdicts: Array<[string, boolean, string]> = [];
const verdict = (target: string, ok: boolean, figure: string) => verdicts.push([target, ok, figure]);

// --- (a) scale --------------------------------------------------------------------------------------
async function scale(redis?: string): Promise<void> {
  const workers = Math.max(2, cpus().length);
  const N = redis ? REDIS_TASKS : TASKS;
  const r = await rig(redis ? 'scale-redis' : 'scale', 'tccsp', workers, redis);
  try {
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const t0 = performance.now();
    const set = await r.svc.scheduler.submit(SubmitTaskSetRequest.fromPartial({ name: 'scale', service: 'bench', generators: [{ prefix: 't-', count: N, template: { program: 'noop@1', input: { paramsJson: '{}' } } }] }));
    const submitMs = performance.now() - t0;
    const before = { ...r.svc.scheduler.stats };
    const t1 = performance.now();
    await untilFinished(r, [set.id], 'scale', N);
    const runS = (performance.now() - t1) / 1000;
    const s = (await r.svc.scheduler.getSet(set.id))!;
    const st = r.svc.scheduler.stats;
    const row = {
      store: redis ? 'redis' : 'leveldb',
      tasks: N,
      workers,
      submitMs: Math.round(submitMs),
      submitPerS: Math.round(N / (submitMs / 1000)),
      runS: Number(runS.toFixed(1)),
      tasksPerS: Math.round(N / runS),
      decisionsPerS: Math.round((st.dispatched - before.dispatched) / runS),
      transitionsPerS: Math.round((st.transitions - before.transitions) / runS),
      commits: st.commits - before.commits,
      passes: `exact ${st.exact - before.exact} greedy ${st.greedy - before.greedy} uniform ${st.uniform - before.uniform}`,
      succeeded: s.counts['SUCCESS'] ?? 0,
      failed: s.counts['FAILED'] ?? 0,
      rssBeforeMb: mb(rssBefore),
      peakRssMb: mb(peakRss),
      heapUsedAfterMb: mb(process.memoryUsage().heapUsed),
    };
    results[redis ? 'scaleRedis' : 'scale'] = row;
    console.log(`\n(a) scale: one task set, trivial programs (noop@1), in-process workers, task store ${redis ? `Redis ${redis}` : 'LevelDB (embedded)'}`);
    console.table([row]);
    verdict(`${row.store}: ${N} tasks complete, none failed or lost`, row.succeeded === N, `${row.succeeded} SUCCESS, ${row.failed} FAILED`);
    verdict(`${row.store}: submit of the whole set < 10 s`, submitMs < 10_000, `${row.submitMs} ms`);
    verdict(`${row.store}: peak RSS < 2 GiB`, peakRss < 2 * 2 ** 30, `${row.peakRssMb} MB`);
  } finally {
    await close(r);
  }
}

// --- (b) + (c) the planning workflow, with urgent rounds --------------------------------------------
const STAGES = [
  { name: 'UC', count: 377, meanS: 10.56 },
  { name: 'APD', count: 366, meanS: 6.12 },
  { name: 'RPD', count: 8761, meanS: 1.35 },
  { name: 'N-1', count: N1, meanS: 0.85 },
  { name: 'ADJ', count: 8761, meanS: 18.47 },
].map((s) => ({ ...s, count: Math.max(1, Math.round(s.count / STAGE_DIVISOR)) }));
const ADJ_MEMORY_MB = 4;
const ROUND_EVERY_MS = 500;
const ROUND_TASKS = 8;
const ROUND_DEADLINE_MS = 400;
const WEIGHT: Record<number, number> = { [PriorityClass.PRIORITY_CLASS_LOW]: 1, [PriorityClass.PRIORITY_CLASS_NORMAL]: 2, [PriorityClass.PRIORITY_CLASS_HIGH]: 4, [PriorityClass.PRIORITY_CLASS_CRITICAL]: 8 };

interface WorkflowResult {
  policy: string;
  wallS: number;
  serialS: number;
  speedup: number;
  utilisation: number;
  tasks: number;
  rounds: number;
  roundTasks: number;
  deadlineMisses: number;
  weightedMeanCompletionMs: number;
  roundP99Ms: number;
  studyStageOrderKept: boolean;
  forecastMapeHeldOut: number;
  peakRssMb: number;
}

async function workflow(policy: 'tccsp' | 'fifo' | 'edf'): Promise<WorkflowResult> {
  const r = await rig(`workflow-${policy}`, policy, WORKERS);
  try {
    peakRss = process.memoryUsage().rss;
    const t0 = Date.now();
    const study = await r.svc.scheduler.submit(
      SubmitTaskSetRequest.fromPartial({
        name: 'planning-study',
        service: 'planning',
        context: { user: 'bench', project: 'table-6', scene: 'miniature' },
        stages: STAGES.map((s, i) => ({ name: s.name, afterStages: i === 0 ? [] : [STAGES[i - 1]!.name] })),
        generators: STAGES.map((s) => ({
          prefix: `${s.name}-`,
          count: s.count,
          template: { stage: s.name, program: 'planning-synthetic@1', priority: PriorityClass.PRIORITY_CLASS_LOW, input: { scale: Math.round(s.meanS * 100), paramsJson: JSON.stringify({ stage: s.name, workMs: Math.round(s.meanS * 1000 * SCALE), memoryMb: s.name === 'ADJ' ? ADJ_MEMORY_MB : 0.25 }) } },
        })),
      }),
    );
    // Collection rounds arrive every ROUND_EVERY_MS while the study runs, each due within ROUND_DEADLINE_MS.
    const rounds: string[] = [];
    let studyDone = false;
    const arrivals = (async () => {
      while (!studyDone) {
        const at = Date.now();
        const round = await r.svc.scheduler.submit(
          SubmitTaskSetRequest.fromPartial({ name: `round-${rounds.length}`, service: 'collection', generators: [{ prefix: 'r-', count: ROUND_TASKS, template: { program: 'sleep@1', priority: PriorityClass.PRIORITY_CLASS_CRITICAL, deadlineMs: at + ROUND_DEADLINE_MS, input: { scale: 1, paramsJson: '{"ms":5}' } } }] }),
        );
        rounds.push(round.id);
        await new Promise((res) => setTimeout(res, ROUND_EVERY_MS));
      }
    })();
    await untilFinished(r, [study.id], `workflow ${policy}`, STAGES.reduce((n, s) => n + s.count, 0));
    studyDone = true;
    await arrivals;
    await untilFinished(r, rounds, `rounds ${policy}`, rounds.length * ROUND_TASKS);
    const wallS = (Date.now() - t0) / 1000;

    const studyTasks = await allTasks(r, study.id);
    const roundTasks = (await Promise.all(rounds.map((id) => allTasks(r, id)))).flat();
    const sets = new Map<string, number>();
    for (const id of [study.id, ...rounds]) sets.set(id, (await r.svc.scheduler.getSet(id))!.createdAtMs);
    const all = [...studyTasks, ...roundTasks];
    const busyMs = all.reduce((n, t) => n + (t.finishedAtMs - t.startedAtMs), 0);
    let wSum = 0;
    let wcSum = 0;
    let misses = 0;
    for (const t of all) {
      const w = WEIGHT[t.spec?.priority ?? 0] ?? 1;
      wSum += w;
      wcSum += w * (t.finishedAtMs - sets.get(t.taskSetId)!);
      if ((t.spec?.deadlineMs ?? 0) > 0 && t.finishedAtMs > t.spec!.deadlineMs) misses++;
    }
    const roundLatency = roundTasks.map((t) => t.finishedAtMs - sets.get(t.taskSetId)!).sort((a, b) => a - b);
    // Stage order: no task of a stage started before every task of the stage before it had finished.
    let ordered = true;
    for (let i = 1; i < STAGES.length; i++) {
      const prevEnd = Math.max(...studyTasks.filter((t) => t.spec?.stage === STAGES[i - 1]!.name).map((t) => t.finishedAtMs));
      const start = Math.min(...studyTasks.filter((t) => t.spec?.stage === STAGES[i]!.name).map((t) => t.startedAtMs));
      if (start < prevEnd) ordered = false;
    }
    // A1 on held-out tasks: the prediction each task was dispatched with (made before it ran) against
    // what it took, for the last fifth of every stage (the forecast had seen the first ones by then).
    const heldOut = STAGES.flatMap((s) => {
      const ts = studyTasks.filter((t) => t.spec?.stage === s.name && t.state === TaskState.TASK_STATE_SUCCESS).sort((a, b) => a.startedAtMs - b.startedAtMs);
      return ts.slice(Math.floor(ts.length * 0.8));
    });
    const mape = heldOut.reduce((n, t) => n + Math.abs(t.predictedMs - Math.max(1, t.finishedAtMs - t.startedAtMs)) / Math.max(1, t.finishedAtMs - t.startedAtMs), 0) / Math.max(1, heldOut.length);
    const serialS = STAGES.reduce((n, s) => n + s.count * s.meanS * SCALE, 0) + (roundTasks.length * 5) / 1000;
    return {
      policy,
      wallS: Number(wallS.toFixed(1)),
      serialS: Number(serialS.toFixed(1)),
      speedup: Number((serialS / wallS).toFixed(2)),
      utilisation: Number((busyMs / (wallS * 1000 * WORKERS)).toFixed(3)),
      tasks: all.length,
      rounds: rounds.length,
      roundTasks: roundTasks.length,
      deadlineMisses: misses,
      weightedMeanCompletionMs: Math.round(wcSum / wSum),
      roundP99Ms: roundLatency[Math.floor(roundLatency.length * 0.99)] ?? 0,
      studyStageOrderKept: ordered,
      forecastMapeHeldOut: Number(mape.toFixed(3)),
      peakRssMb: mb(peakRss),
    };
  } finally {
    await close(r);
  }
}

// The paper's baseline: without co-scheduling every task of a stage is started at once. Here the
// adjustment stage is started at once in one process whose heap is bounded (1 GiB), with the same
// synthetic program and memory per task as in the co-scheduled run.
function baselineWithoutCoScheduling(): { heapMb: number; tasks: number; started: number; outOfMemory: boolean; exit: string } {
  const code = BUILTIN_PROGRAMS.find((p) => p.name === 'planning-synthetic')!.code;
  const adj = STAGES.find((s) => s.name === 'ADJ')!;
  const script = `
    const exports = {}; ${code}
    let started = 0;
    const all = [];
    for (let i = 0; i < ${adj.count}; i++) {
      all.push(exports.run({ stage: 'ADJ', index: i, workMs: ${Math.round(adj.meanS * 1000 * SCALE)}, memoryMb: ${ADJ_MEMORY_MB} }));
      started++;
      if (started % 20 === 0) process.stdout.write(started + '\\n');
    }
    Promise.all(all).then(() => process.stdout.write('done ' + started + '\\n'));
  `;
  const heapMb = 1024;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '-e', script], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const lines = r.stdout.trim().split('\n');
  const started = Number(lines.filter((l) => /^\d+$/.test(l)).pop() ?? 0);
  const outOfMemory = /heap out of memory|Allocation failed/i.test(r.stderr);
  return { heapMb, tasks: adj.count, started, outOfMemory, exit: r.signal ?? String(r.status) };
}

async function gap(): Promise<{ instances: number; meanGap: number; p95Gap: number; worstGap: number; exactMeanMs: number; greedyMeanMs: number }> {
  const random = mulberry32(11);
  const gaps: number[] = [];
  let exactMs = 0;
  let greedyMs = 0;
  const o = { cycleMs: 100, bufferMs: 1000, maxExactPairs: 400 };
  const n = short ? 60 : 300;
  for (let k = 0; k < n; k++) {
    const containers = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, i) => ({ id: `c${i}`, cpu: [0.5, 1, 2][Math.floor(random() * 3)]! }));
    const tasks = Array.from({ length: 3 + Math.floor(random() * 8) }, (_, i): Candidate => {
      const base = 100 + random() * 2000;
      return { id: `t${i}`, weight: 0.5 + random() * 4, deadlineMs: 0, durations: containers.map((c) => base / c.cpu) };
    });
    let t = performance.now();
    const exact = await assignExact(tasks, containers, 0, o);
    exactMs += performance.now() - t;
    t = performance.now();
    const greedy = assignGreedy(tasks, containers, 0, o);
    greedyMs += performance.now() - t;
    gaps.push((greedy.objective - exact.objective) / exact.objective);
  }
  gaps.sort((a, b) => a - b);
  return { instances: n, meanGap: gaps.reduce((a, b) => a + b, 0) / n, p95Gap: gaps[Math.floor(n * 0.95)]!, worstGap: gaps[n - 1]!, exactMeanMs: exactMs / n, greedyMeanMs: greedyMs / n };
}

async function main(): Promise<void> {
  console.log(`scheduler benchmark: ${cpus().length} cpus, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ${TASKS} tasks for scale, ${WORKERS} workers and time scale ${SCALE} for the workflow`);
  await scale();
  if (REDIS) await scale(REDIS);

  const runs: WorkflowResult[] = [];
  for (const policy of ['tccsp', 'fifo', 'edf'] as const) runs.push(await workflow(policy));
  results['workflow'] = runs;
  const [tccsp, fifo, edf] = runs as [WorkflowResult, WorkflowResult, WorkflowResult];
  console.log(`\n(b) planning workflow in miniature (stages ${STAGES.map((s) => `${s.name} ${s.count}`).join(', ')}; mean task times x${SCALE}), with a round of ${ROUND_TASKS} urgent tasks every ${ROUND_EVERY_MS} ms due in ${ROUND_DEADLINE_MS} ms; ${WORKERS} workers`);
  console.table(runs.map((r) => ({ policy: r.policy, 'wall s': r.wallS, 'serial s': r.serialS, speedup: r.speedup, utilisation: r.utilisation, tasks: r.tasks, 'deadline misses': r.deadlineMisses, 'weighted mean completion ms': r.weightedMeanCompletionMs, 'round p99 ms': r.roundP99Ms, 'stage order': r.studyStageOrderKept, 'A1 MAPE held-out': r.forecastMapeHeldOut, 'peak RSS MB': r.peakRssMb })));
  const ratios = {
    weightedCompletionFifoOverTccsp: Number((fifo.weightedMeanCompletionMs / tccsp.weightedMeanCompletionMs).toFixed(2)),
    weightedCompletionEdfOverTccsp: Number((edf.weightedMeanCompletionMs / tccsp.weightedMeanCompletionMs).toFixed(2)),
    missesFifoOverTccsp: Number((fifo.deadlineMisses / Math.max(1, tccsp.deadlineMisses)).toFixed(2)),
    missesEdfOverTccsp: Number((edf.deadlineMisses / Math.max(1, tccsp.deadlineMisses)).toFixed(2)),
  };
  results['ratios'] = ratios;
  console.log('\n(c) the same workload under FIFO and EDF, as ratios to co-scheduling (same run)');
  console.table([ratios]);
  verdict('stage order respected (every policy)', runs.every((r) => r.studyStageOrderKept), runs.map((r) => `${r.policy} ${r.studyStageOrderKept}`).join(', '));
  verdict('co-scheduling: weighted mean completion below FIFO', ratios.weightedCompletionFifoOverTccsp > 1, `FIFO/TCCSP ${ratios.weightedCompletionFifoOverTccsp}`);
  verdict('co-scheduling: weighted mean completion within 10 % of EDF or better', ratios.weightedCompletionEdfOverTccsp > 0.9, `EDF/TCCSP ${ratios.weightedCompletionEdfOverTccsp}`);
  verdict('co-scheduling: fewer deadline misses than FIFO', tccsp.deadlineMisses < fifo.deadlineMisses, `TCCSP ${tccsp.deadlineMisses}, FIFO ${fifo.deadlineMisses}`);
  verdict('co-scheduling: deadline misses at most those of EDF', tccsp.deadlineMisses <= edf.deadlineMisses, `TCCSP ${tccsp.deadlineMisses}, EDF ${edf.deadlineMisses}`);
  verdict(`workflow speedup over serial > ${Math.round(WORKERS * 0.5)} on ${WORKERS} workers`, tccsp.speedup > WORKERS * 0.5, `${tccsp.speedup}`);
  verdict('A1 held-out MAPE < 25 %', tccsp.forecastMapeHeldOut < 0.25, `${(tccsp.forecastMapeHeldOut * 100).toFixed(1)} %`);

  const oom = baselineWithoutCoScheduling();
  results['baselineWithoutCoScheduling'] = oom;
  console.log(`\nbaseline without co-scheduling: the ${oom.tasks} adjustment tasks started at once in one process (heap ${oom.heapMb} MB, ${ADJ_MEMORY_MB} MB per task)`);
  console.table([{ ...oom, 'co-scheduled peak RSS MB (whole bench process)': tccsp.peakRssMb }]);
  verdict('baseline failure reproduced: started at once, the stage runs out of memory', oom.outOfMemory, oom.outOfMemory ? `out of memory after ${oom.started} of ${oom.tasks} tasks started` : `no OOM (exit ${oom.exit}, ${oom.started} started)`);

  const g = await gap();
  results['greedyGap'] = g;
  console.log('\nA3: greedy heuristic against the exact MIP (HiGHS) on random small instances');
  console.table([{ instances: g.instances, 'mean gap %': (g.meanGap * 100).toFixed(2), 'p95 gap %': (g.p95Gap * 100).toFixed(2), 'worst gap %': (g.worstGap * 100).toFixed(1), 'exact ms': g.exactMeanMs.toFixed(2), 'greedy ms': g.greedyMeanMs.toFixed(3) }]);
  verdict('greedy mean gap < 1 %', g.meanGap < 0.01, `${(g.meanGap * 100).toFixed(2)} %`);

  console.log('\ntargets');
  for (const [target, ok, figure] of verdicts) console.log(`  ${ok ? 'MET    ' : 'NOT MET'}  ${target}: ${figure}`);
  mkdirSync('tmp/bench', { recursive: true });
  const file = `tmp/bench/scheduler-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ ...results, verdicts }, null, 2));
  console.log(`\n${file}`);
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(root, { recursive: true, force: true }));
