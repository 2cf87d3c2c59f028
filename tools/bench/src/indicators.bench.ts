import { join } from 'node:path';
import { openClickHouse } from '@gridstation/clickhouse';
import { ClickHouseIndicators } from '@gridstation/collection';
import { INDICATORS, indicatorsInMemory, type AreaIndicators } from '@gridstation/metering';
import { indicatorDatasetSql, PAPER_CASE } from '@gridstation/simulator';
import { configureTestEnvironment, infra, requireService } from '@gridstation/testing';

// The first offline case of the collection-station paper, here on one machine: a year of daily load
// for 200,000 meters in 1,800 transformer areas (73 million meter-days) generated inside ClickHouse,
// then the 15 business-expansion indicators computed with the aggregation in ClickHouse. The paper
// reports 3 minutes on 15 servers; the target here is the same 3 minutes on this machine.
//   npm run -s bench:indicators -- [--areas=1800] [--meters=200000] [--days=365] [--short] [--keep]
// (--short: a tenth of the meters and areas, 7.3 million rows, about a minute; --keep leaves the
// database gs_bench_indicators in place for a look.)

configureTestEnvironment({ repoRoot: join(__dirname, '..', '..', '..') });

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const short = process.argv.includes('--short');
const size = { areas: arg('areas', short ? 180 : PAPER_CASE.areas), meters: arg('meters', short ? 20_000 : PAPER_CASE.meters), days: arg('days', PAPER_CASE.days), firstDay: PAPER_CASE.firstDay };
const TARGET_MS = 180_000;
const DATABASE = 'gs_bench_indicators';
const CHUNK = 5_000_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (s: string) => console.log(`[indicators] ${s}`);

function histogram(values: number[], edges: number[], label: (lo: number, hi: number) => string, width = 40): string[] {
  const counts = edges.slice(0, -1).map((lo, i) => values.filter((v) => v >= lo && (i === edges.length - 2 ? v <= edges[i + 1]! : v < edges[i + 1]!)).length);
  const max = Math.max(1, ...counts);
  return counts.map((c, i) => `  ${label(edges[i]!, edges[i + 1]!).padEnd(14)} ${'#'.repeat(Math.round((c / max) * width)).padEnd(width)} ${c}`);
}

async function main(): Promise<void> {
  await requireService('clickhouse');
  const bootstrap = await openClickHouse({ urls: [infra.clickhouseUrl], database: 'default', username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' });
  await bootstrap.client.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
  await bootstrap.close();
  const ch = await openClickHouse({ urls: [infra.clickhouseUrl], database: DATABASE, username: 'default', password: '', requestTimeoutMs: 60_000, asyncInsert: 'off' });
  const indicators = new ClickHouseIndicators({ handle: ch });
  try {
    log(`ClickHouse ${ch.version.text}; ${fmt(size.areas)} areas, ${fmt(size.meters)} meters, ${size.days} days`);
    await indicators.migrate();
    const sql = indicatorDatasetSql(size);
    await ch.client.command({ query: sql.areas });
    await ch.client.command({ query: sql.meters });
    const genStart = Date.now();
    for (let from = 0; from < sql.loadRows; from += CHUNK) {
      const rows = Math.min(CHUNK, sql.loadRows - from);
      await ch.client.command({ query: sql.load(from, rows) });
      const done = from + rows;
      log(`generated ${fmt(done)} of ${fmt(sql.loadRows)} meter-days (${Math.round((done / sql.loadRows) * 100)} %, ${fmt(done / ((Date.now() - genStart) / 1000))} rows/s)`);
    }
    await ch.client.command({ query: 'OPTIMIZE TABLE ind_load FINAL' }).catch(() => undefined);
    const genMs = Date.now() - genStart;

    const started = Date.now();
    const run = await indicators.compute();
    const ms = Date.now() - started;
    const rowsPerS = run.rowsRead / (ms / 1000);

    // Spot check: five areas recomputed in memory from their rows.
    const check = run.indicators.slice(0, 5).map((r) => r.areaId);
    const q = async <T>(query: string): Promise<T[]> => ((await (await ch.client.query({ query, format: 'JSON' })).json()) as unknown as { data: T[] }).data.map((r) => Object.fromEntries(Object.entries(r as object).map(([k, v]) => [k, Number(v)])) as T);
    const list = check.join(',');
    const meters = await q<{ meter_id: number; area_id: number; is_master: number; phase: number; contract_kw: number }>(`SELECT * FROM ind_meters WHERE area_id IN (${list})`);
    const reference = indicatorsInMemory(
      await q<{ area_id: number; capacity_kva: number }>(`SELECT * FROM ind_areas WHERE area_id IN (${list})`),
      meters,
      await q<{ meter_id: number; energy_kwh: number; max_kw: number; ia: number; ib: number; ic: number }>(`SELECT meter_id, energy_kwh, max_kw, ia, ib, ic FROM ind_load WHERE meter_id IN (SELECT meter_id FROM ind_meters WHERE area_id IN (${list}))`),
    );
    let mismatches = 0;
    for (const want of reference) {
      const got = run.indicators.find((r) => r.areaId === want.areaId)!;
      for (const k of INDICATORS) {
        const tol = k === 'p95LoadRate' || k === 'accessibleCapacityKva' ? 0.02 * Math.max(1, Math.abs(want[k])) : 1e-6 * Math.max(1, Math.abs(want[k]));
        if (Math.abs(got[k] - want[k]) > tol) {
          mismatches++;
          log(`MISMATCH area ${want.areaId} ${k}: ClickHouse ${got[k]}, in memory ${want[k]}`);
        }
      }
    }

    const all = run.indicators;
    const count = (f: (r: AreaIndicators) => boolean) => all.filter(f).length;
    console.log('');
    console.log(`business-expansion indicators: ${fmt(sql.loadRows)} meter-days, ${fmt(size.meters)} meters, ${fmt(size.areas)} areas`);
    console.log(`  generated in ClickHouse in ${(genMs / 1000).toFixed(1)} s (${fmt(sql.loadRows / (genMs / 1000))} rows/s)`);
    console.log(`  15 indicators for ${fmt(all.length)} areas in ${(ms / 1000).toFixed(1)} s: master meters ${(run.timings.master / 1000).toFixed(1)} s, users ${(run.timings.users / 1000).toFixed(1)} s, phases ${(run.timings.phases / 1000).toFixed(1)} s`);
    console.log(`  rows read ${fmt(run.rowsRead)} at ${fmt(rowsPerS)} rows/s`);
    console.log(`  areas with overload days ${count((r) => r.overloadDays > 0)}, heavy-load days ${count((r) => r.heavyLoadDays > 0)}, imbalance days ${count((r) => r.imbalanceDays > 0)}, users over contract in ${count((r) => r.overContractUsers > 0)}; no capacity left in ${count((r) => r.accessibleCapacityKva === 0)}`);
    console.log('  areas by peak load rate (peak kW / (rating x power factor)):');
    for (const line of histogram(all.map((r) => r.maxLoadRate), [0, 0.4, 0.6, 0.8, 1.0, 1.2, 10], (lo, hi) => (hi >= 10 ? `>= ${lo.toFixed(1)}` : `${lo.toFixed(1)}-${hi.toFixed(1)}`))) console.log(line);
    console.log(`  spot check: ${check.length} areas x 15 indicators recomputed in memory, ${mismatches} mismatches`);
    console.log('');
    const verdicts: Array<[string, boolean, string]> = [
      [`15 indicators over ${fmt(sql.loadRows)} meter-days under 3 minutes (paper: 3 min on 15 servers)`, ms < TARGET_MS, `${(ms / 1000).toFixed(1)} s${short ? ' (--short: a tenth of the paper case)' : ''}`],
      ['every indicator agrees with its in-memory definition (spot check)', mismatches === 0, `${mismatches} mismatches`],
    ];
    for (const [target, ok, figure] of verdicts) console.log(`  ${ok ? 'MET    ' : 'NOT MET'}  ${target}: ${figure}`);
    if (mismatches > 0) process.exitCode = 1;
  } finally {
    if (!process.argv.includes('--keep')) await ch.client.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` }).catch(() => undefined);
    await ch.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
