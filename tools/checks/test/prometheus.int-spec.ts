import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort, repoRoot, spawnMain, waitFor, type SpawnedMain } from '@gridstation/testing';

// Observability for the people who run the station, checked with the real tools: promtool checks the
// alert rules and runs their unit tests; a real Prometheus (Debian's) scrapes a running station (the
// embedded mode with its simulator), evaluates the rules, and answers every dashboard query.

const PROM = () => join(repoRoot(), 'deploy', 'prometheus');
const GRAFANA = () => join(repoRoot(), 'deploy', 'grafana');

function promtool(...args: string[]): { status: number; out: string } {
  const r = spawnSync('promtool', args, { cwd: PROM(), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

interface RuleGroup { name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }

describe('alert rules and dashboards', () => {
  it('pass promtool check rules and their unit tests', () => {
    const check = promtool('check', 'rules', 'rules.yaml');
    expect(check).toEqual({ status: 0, out: expect.stringMatching(/SUCCESS: \d+ rules found/) });
    const tests = promtool('test', 'rules', 'rules.test.yaml');
    expect(tests).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('promtool rejects a rule file with a broken expression (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-rules-'));
    writeFileSync(join(dir, 'bad.yaml'), 'groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum by (group (gs_bus_consumer_lag)\n');
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'bad.yaml')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/parse error/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the committed Grafana dashboards equal to their generator', () => {
    const r = spawnSync(process.execPath, [join(repoRoot(), 'tools', 'grafana', 'dashboards.mjs'), '--check'], { encoding: 'utf8' });
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: `${readdirSync(GRAFANA()).filter((f) => f.endsWith('.json')).length} dashboards up to date` });
  });
});

describe('a real Prometheus scraping a running station', () => {
  let station: SpawnedMain | undefined;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'gs-prom-'));

  const query = async (expr: string): Promise<{ status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string }> =>
    (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as never;

  beforeAll(async () => {
    const http = await freePort();
    station = spawnMain('apps/station/src/main.ts', {
      GS_DATA_DIR: join(dir, 'data'), GS_HTTP_PORT: String(http), GS_GRPC_PORT: String(await freePort()), GS_TERMINAL_PORT: String(await freePort()),
      GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_SIM_TERMINALS: '20', GS_LOG_LEVEL: 'warn', GS_SUMMARY_INTERVAL_MS: '60000',
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => undefined))?.status === 200, 'the station ready', 90_000, 250);
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(PROM(), 'rules.yaml')}']`,
      'scrape_configs:',
      '  - job_name: gridstation',
      `    static_configs: [{ targets: ['127.0.0.1:${http}'] }]`,
    ].join('\n'));
    expect(promtool('check', 'config', join(dir, 'prometheus.yml'))).toMatchObject({ status: 0 });
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200, 'prometheus ready', 60_000, 250);
  }, 180_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (station) {
      station.child.kill('SIGTERM');
      await station.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the station: its target is up and the pipeline counters rise', async () => {
    await waitFor(async () => (await query('up{job="gridstation"}')).data.result[0]?.value[1] === '1', 'the station target up', 60_000, 500);
    const stored = await waitFor(async () => {
      const r = await query('sum(rate(gs_storage_readings_stored_total[10s]))');
      const v = Number(r.data.result[0]?.value[1] ?? 0);
      return v > 0 ? v : undefined;
    }, 'readings stored/s above zero', 90_000, 1_000);
    expect(stored).toBeGreaterThan(0);
  });

  it('evaluates every rule without error, and the recording rule has data', async () => {
    const groups = (parse(readFileSync(join(PROM(), 'rules.yaml'), 'utf8')) as { groups: RuleGroup[] }).groups;
    const names = groups.flatMap((g) => g.rules.map((r) => r.alert ?? r.record!));
    const rules = await waitFor(async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; lastEvaluation: string }> }> } };
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length === names.length && all.every((x) => !x.lastEvaluation.startsWith('0001')) ? all : undefined;
    }, 'every rule evaluated', 30_000, 500);
    for (const r of rules) expect({ rule: r.name, health: r.health, error: r.lastError ?? '' }).toEqual({ rule: r.name, health: 'ok', error: '' });
    const lag = await waitFor(async () => {
      const r = await query('gridstation:consumer_lag:sum');
      return r.data.result.length > 0 ? r.data.result : undefined;
    }, 'the consumer lag recording rule to have data', 30_000, 500);
    expect(lag[0]!.metric).toHaveProperty('group');
    // Each alert's expression runs; the series it watches exist where the embedded station has them.
    for (const g of groups) for (const r of g.rules) expect({ rule: r.alert ?? r.record, status: (await query(r.expr)).status }).toEqual({ rule: r.alert ?? r.record, status: 'success' });
    for (const series of ['gs_bus_consumer_lag', 'up{job="gridstation"}']) expect((await query(series)).data.result.length).toBeGreaterThan(0);
  });

  it("answers every dashboard query; the pipeline dashboard's panels have data", async () => {
    for (const f of readdirSync(GRAFANA()).filter((x) => x.endsWith('.json'))) {
      const d = JSON.parse(readFileSync(join(GRAFANA(), f), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      for (const p of d.panels) for (const t of p.targets) expect({ dashboard: f, panel: p.title, status: (await query(t.expr)).status }).toEqual({ dashboard: f, panel: p.title, status: 'success' });
    }
    const pipeline = JSON.parse(readFileSync(join(GRAFANA(), 'gridstation-pipeline.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    // The embedded station has no ClickHouse replicas, no refused logins counter until one is refused, and
    // no bus dead letters (it keeps its own file): those panels may be empty here.
    const mayBeEmpty = new Set(['ClickHouse fail-overs', 'Dead letters /s by code', 'Logins refused /s']);
    const withData = await waitFor(async () => {
      const empty: string[] = [];
      for (const p of pipeline.panels) if (!mayBeEmpty.has(p.title) && (await query(p.targets[0]!.expr)).data.result.length === 0) empty.push(p.title);
      return empty.length === 0 ? true : undefined;
    }, 'every pipeline panel to have data', 60_000, 1_000);
    expect(withData).toBe(true);
  });
});
