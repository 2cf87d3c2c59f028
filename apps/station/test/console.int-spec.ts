/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { DEFAULT_SIMULATOR, meterIdOf } from '@gridstation/simulator';
import { AlertKind, AlertServiceClient, CollectionServiceClient, PutPlanRequest, QueryAlertsRequest, type QueryAlertsResponse } from '@gridstation/contracts';
import { freePort, insecure, repoRoot, spawnMain, unary, waitFor, type SpawnedMain } from '@gridstation/testing';

// The operator console in a real browser (Debian's Chromium, driven by puppeteer-core) against the
// embedded station fed by its simulator: sign-in, live numbers that change, a task set submitted from
// the page whose progress bar moves to the end, a read-only user who cannot cancel, and an outage the
// simulator injects shown on the grid and cleared. Screenshots of each page go to tmp/console/.

const CHROMIUM = process.env['GS_CHROMIUM'] || '/usr/bin/chromium';

describe('console in a real browser', () => {
  let station: SpawnedMain | undefined;
  let browser: Browser | undefined;
  let base = '';
  let grpcPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'gs-console-'));
  const shots = join(repoRoot(), 'tmp', 'console');

  const text = (page: Page, sel: string) => page.$eval(sel, (e) => e.textContent ?? '');
  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, name), fullPage: true });

  /** A page of its own browser context (its own cookies: a user who has not signed in yet). */
  async function freshPage(): Promise<Page> {
    const context = await browser!.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    return page;
  }

  async function signIn(page: Page, user: string, password: string): Promise<void> {
    await page.goto(`${base}/console/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#sign-in input[name=user]', { visible: true });
    await page.type('#sign-in input[name=user]', user);
    await page.type('#sign-in input[name=password]', password);
    await page.click('#sign-in button[type=submit]');
  }

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const http = await freePort();
    base = `http://127.0.0.1:${http}`;
    grpcPort = await freePort();
    station = spawnMain('apps/station/src/main.ts', {
      GS_DATA_DIR: join(dir, 'data'), GS_HTTP_PORT: String(http), GS_GRPC_PORT: String(grpcPort), GS_SIM_OUTAGE_EVERY_MS: '15000', GS_SIM_OUTAGE_MS: '12000', GS_TERMINAL_PORT: String(await freePort()),
      GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_SIM_TERMINALS: '20', GS_LOG_LEVEL: 'warn', GS_SUMMARY_INTERVAL_MS: '60000',
      GS_CONSOLE_USERS: 'olga:operator:plain:olga-pass,rita:read-only:plain:rita-pass',
    });
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 'the station ready', 90_000, 250);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (station) {
      station.child.kill('SIGTERM');
      await station.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for sign-in, refuses a wrong password, then shows live numbers that change', async () => {
    const page = await freshPage();
    await signIn(page, 'olga', 'wrong');
    await page.waitForSelector('#sign-in-error', { visible: true });
    expect(await text(page, '#sign-in-error')).toBe('unknown user or wrong password');
    await shot(page, '01-sign-in.png');

    await page.$eval('#sign-in input[name=password]', (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#sign-in input[name=password]', 'olga-pass');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#page-overview', { visible: true });
    expect(await text(page, '#who-role')).toBe('operator');
    // The numbers arrive by server-sent events and change while the simulator sends.
    const seen = new Set<string>();
    await waitFor(async () => {
      seen.add(await text(page, '#v-stored'));
      return seen.size >= 3 ? true : undefined;
    }, 'readings stored to change on the page', 30_000, 300);
    expect(Number((await text(page, '#v-connections')).replace(/,/g, ''))).toBe(20);
    expect(await page.$$eval('#chart-rate canvas', (c) => c.length)).toBeGreaterThan(0);
    await shot(page, '02-overview.png');
    await page.browserContext().close();
  });

  it('runs a task set submitted from the page, its progress bar moving to the end', async () => {
    const page = await freshPage();
    await signIn(page, 'olga', 'olga-pass');
    await page.waitForSelector('#page-overview', { visible: true });
    await page.click('nav a[data-page=tasks]');
    await page.waitForSelector('#submit-set', { visible: true });
    await page.$eval('#submit-set input[name=name]', (e) => ((e as HTMLInputElement).value = 'browser test set'));
    await page.$eval('#submit-set input[name=count]', (e) => ((e as HTMLInputElement).value = '24'));
    await page.$eval('#submit-set input[name=ms]', (e) => ((e as HTMLInputElement).value = '400'));
    await page.click('#submit-set button[type=submit]');
    const id = await waitFor(
      () => page.$$eval('#task-sets tbody tr', (rs) => rs.find((r) => r.querySelector('.name')?.textContent === 'browser test set')?.getAttribute('data-id') ?? undefined),
      'the submitted set listed',
      20_000,
      100,
    );
    const shares: number[] = [];
    await waitFor(async () => {
      const v = await page.$eval(`#task-sets tr[data-id="${id}"]`, (r) => ({ done: Number((r as HTMLElement).dataset['done']), state: (r as HTMLElement).dataset['state'] }));
      if (shares[shares.length - 1] !== v.done) shares.push(v.done);
      if (v.done > 0 && v.done < 1 && shares.filter((x) => x > 0 && x < 1).length === 1) await shot(page, '03-tasks-running.png');
      return v.state === 'finished' ? true : undefined;
    }, 'the task set to finish on the page', 90_000, 100);
    expect(shares[shares.length - 1]).toBe(1);
    // It moved: at least two values between none and all, in increasing order.
    expect(shares.filter((x) => x > 0 && x < 1).length).toBeGreaterThanOrEqual(2);
    expect([...shares].sort((a, b) => a - b)).toEqual(shares);
    expect(await page.$eval(`#task-sets tr[data-id="${id}"] .states`, (e) => e.textContent)).toBe('SUCCESS 24');
    await shot(page, '03-tasks-done.png');
    await page.browserContext().close();
  });

  it('refuses a read-only user the cancel of a running set, with a clear message; an operator may', async () => {
    const op = await freshPage();
    await signIn(op, 'olga', 'olga-pass');
    await op.waitForSelector('#page-overview', { visible: true });
    await op.click('nav a[data-page=tasks]');
    await op.$eval('#submit-set input[name=name]', (e) => ((e as HTMLInputElement).value = 'long set'));
    await op.$eval('#submit-set input[name=count]', (e) => ((e as HTMLInputElement).value = '400'));
    await op.$eval('#submit-set input[name=ms]', (e) => ((e as HTMLInputElement).value = '500'));
    await op.click('#submit-set button[type=submit]');
    await waitFor(async () => (await op.$$eval('#task-sets tbody tr', (rs) => rs.filter((r) => r.querySelector('.name')?.textContent === 'long set').length)) === 1 || undefined, 'the long set listed', 20_000, 100);

    const ro = await freshPage(); // another user, other cookies
    await signIn(ro, 'rita', 'rita-pass');
    await ro.waitForSelector('#page-overview', { visible: true });
    await ro.click('nav a[data-page=tasks]');
    const row = await ro.waitForSelector('#task-sets tbody tr[data-state=running]', { visible: true });
    expect(await ro.$eval('#submit-set button[type=submit]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await row!.$eval('.cancel', (b) => (b as HTMLButtonElement).click());
    await ro.waitForSelector('#toast.bad', { visible: true });
    expect(await text(ro, '#toast')).toBe('Cancelling a task set needs the operator role; rita is read-only');
    await shot(ro, '04-read-only-refused.png');
    // The refusal is the server's: without the console's CSRF token even the operator's session is refused.
    const noCsrf = await op.evaluate(async (id) => {
      const r = await fetch(`/console/api/task-sets/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      return { status: r.status, body: await r.json() };
    }, (await row!.evaluate((r) => (r as HTMLElement).dataset['id']))!);
    expect(noCsrf).toEqual({ status: 403, body: { error: 'missing or wrong CSRF token (X-CSRF-Token): reload the console' } });

    await ro.click('nav a[data-page=programs]');
    await ro.waitForSelector('#programs tbody tr');
    expect(await ro.$$eval('#programs tbody button', (bs) => bs.every((b) => (b as HTMLButtonElement).disabled))).toBe(true);
    expect(await ro.$$eval('#slots .slot', (s) => s.map((x) => (x as HTMLElement).dataset['slot']))).toEqual(expect.arrayContaining(['compute.generic', 'edge.task', 'collection.read']));
    expect(await ro.$$eval('.slot[data-slot="edge.task"] input', (i) => i.map((x) => (x as HTMLInputElement).name))).toEqual(['edgeNode', 'application', 'params', 'worldSize', 'resultWaitMs']);
    await shot(ro, '05-programs.png');

    // The operator cancels it.
    const rows = await op.$$('#task-sets tbody tr');
    const names = await Promise.all(rows.map((r) => r.$eval('.name', (e) => e.textContent)));
    const longRow = rows[names.indexOf('long set')]!;
    expect(names).toContain('long set');
    await longRow.$eval('.cancel', (b) => (b as HTMLButtonElement).click());
    await waitFor(async () => ((await longRow.$eval('.states', (e) => e.textContent ?? '')).includes('(cancelled)') ? true : undefined), 'the set cancelled', 30_000, 200);
    await shot(op, '06-cancelled.png');
  });

  it("draws a meter's stored curve from ReadingQueryService", async () => {
    const page = await freshPage();
    await signIn(page, 'rita', 'rita-pass');
    await page.waitForSelector('#page-overview', { visible: true });
    await page.click('nav a[data-page=meter]');
    const meter = meterIdOf(1, 1, DEFAULT_SIMULATOR.region);
    await page.type('#meter-form input[name=meter]', meter);
    await page.click('#meter-form button[type=submit]');
    await page.waitForFunction(() => /quantities, \d+ values/.test(document.querySelector('#meter-title')?.textContent ?? ''), { timeout: 20_000 });
    const title = await text(page, '#meter-title');
    expect(title).toMatch(new RegExp(`^${meter}: [1-9]\\d* quantities, [1-9]\\d* values$`));
    expect(await page.$$eval('#chart-meter canvas', (c) => c.length)).toBeGreaterThan(0);
    await shot(page, '07-meter-curve.png');
    // The same meter's power in the VEE views (CollectionService.GetValues): the estimated view holds
    // at least what the validated one does (estimates only fill).
    const count = async (view: string) => {
      await page.select('#meter-form select[name=view]', view);
      await page.click('#meter-form button[type=submit]');
      await page.waitForFunction((v: string) => new RegExp(`, ${v} view: \\d`).test(document.querySelector('#meter-title')?.textContent ?? ''), { timeout: 20_000 }, view);
      const t = await text(page, '#meter-title');
      expect(t).toMatch(new RegExp(`^${meter} power\\.active\\.total, ${view} view: [1-9][\\d,]* values \\(`));
      return Number(/view: ([\d,]+) values/.exec(t)![1]!.replace(/,/g, ''));
    };
    const validated = await count('validated');
    expect(await count('estimated')).toBeGreaterThanOrEqual(validated);
    await shot(page, '07-meter-estimated.png');
    await page.browserContext().close();
  });

  it("lists the terminals with their state and a day's collection rate, and shows a terminal's traffic decoded", async () => {
    // A collection plan over every simulated terminal: the page shows each one's success rate of today.
    const collection = new CollectionServiceClient(`127.0.0.1:${grpcPort}`, insecure());
    const terminals = Array.from({ length: 20 }, (_, i) => `${DEFAULT_SIMULATOR.region}-${String(i + 1).padStart(5, '0')}`);
    await unary(collection, 'putPlan', PutPlanRequest.fromPartial({ plan: { name: 'console-curves', terminals, everyMs: 86_400_000 } }));
    collection.close();
    const page = await freshPage();
    await signIn(page, 'rita', 'rita-pass');
    await page.waitForSelector('#page-overview', { visible: true });
    await page.click('nav a[data-page=terminals]');
    await page.waitForFunction(() => document.querySelectorAll('#terminals tbody tr').length === 20, { timeout: 20_000 });
    // The simulator starts a week back (a day every 96 s): the day it started on has data by now.
    const started = new Date(Date.now() - 7 * 86_400_000);
    const day = `${started.getFullYear()}-${String(started.getMonth() + 1).padStart(2, '0')}-${String(started.getDate()).padStart(2, '0')}`;
    await page.$eval('#terminals-day', (e, v) => ((e as HTMLInputElement).value = v as string), day);
    await page.click('#terminals-refresh');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#terminals tbody td.c7')).some((td) => /^[1-9]/.test(td.textContent ?? '')), { timeout: 20_000 });
    const rows = await page.$$eval('#terminals tbody tr', (trs) => trs.map((tr) => ({ terminal: (tr as HTMLElement).dataset['terminal'], state: (tr as HTMLElement).dataset['state'], cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '') })));
    expect(new Set(rows.map((r) => r.terminal))).toEqual(new Set(terminals));
    // The simulator cuts one area at a time: at most one terminal is offline.
    expect(rows.filter((r) => r.state === 'online').length).toBeGreaterThanOrEqual(19);
    for (const r of rows.filter((x) => x.state === 'online')) {
      expect(r.cells[2]).toBe('QGDW_1376_1');
      expect(r.cells[5]).toMatch(/^\d+ s ago$/);
      expect(Number(r.cells[6]!.replace(/,/g, ''))).toBeGreaterThan(0);
      expect(r.cells[7]).toMatch(/^\d+(\.\d)? % \([\d,]+ \/ 768, plan console-curves\)$/); // 8 meters x 96 quarters
      expect(Number(r.cells[7]!.split(' ')[0])).toBeGreaterThan(0);
    }
    // The last terminal (the simulator's outages reach it last): its traffic, decoded.
    const last = terminals[19]!;
    await page.click(`#terminals tbody tr[data-terminal="${last}"]`);
    await page.waitForFunction(() => document.querySelector('#traffic li[data-direction="in"]') && document.querySelector('#traffic li[data-direction="out"]'), { timeout: 30_000 });
    const summaries = await page.$$eval('#traffic li', (l) => l.map((li) => `${(li as HTMLElement).dataset['direction']} ${li.querySelector('.summary')?.textContent ?? ''}`));
    expect(summaries.some((x) => /^in qgdw1376\.1-2013 AFN 0C /.test(x))).toBe(true); // class 1 data reported
    expect(summaries.some((x) => /^out qgdw1376\.1-2013 AFN 00 /.test(x))).toBe(true); // its confirmation
    expect(await text(page, '#traffic-title')).toBe(`Traffic of ${last}`);
    await shot(page, '08-terminals.png');
    await page.browserContext().close();
  });

  it('shows an outage the simulator injects on the topology and the map, and clears it when supply returns', async () => {
    const page = await freshPage();
    await signIn(page, 'rita', 'rita-pass');
    await page.waitForSelector('#page-overview', { visible: true });
    await page.click('nav a[data-page=grid]');
    await page.waitForFunction(() => /^topology version \d+: 1 substation, 4 feeders, 20 transformer areas$/.test(document.querySelector('#grid-summary')?.textContent ?? ''), { timeout: 20_000 });
    expect(await page.$$eval('#grid-tree li', (l) => l.length)).toBe(1 + 4 + 20);
    // The station's simulator cuts one transformer area's supply every 15 s for 12 s (its terminal sends
    // the ERC14 last gasp and drops off); the alert arrives by SubscribeAlerts.
    const area = await waitFor(async () => (await page.$$eval('#grid-tree li.out', (l) => l.map((e) => (e as HTMLElement).dataset['id'] ?? ''))).find((id) => /^TA\d{4}-\d+$/.test(id)), 'an area shown without supply', 90_000, 200);
    // What the page shows is what AlertService says.
    const alerts = new AlertServiceClient(`127.0.0.1:${grpcPort}`, insecure());
    const open = await unary<QueryAlertsRequest, QueryAlertsResponse>(alerts, 'queryAlerts', QueryAlertsRequest.fromPartial({ fromMs: Date.now() - 600_000, filter: { excludeCleared: true } }));
    const alert = open.alerts.find((a) => a.elementId === area && a.kind === AlertKind.ALERT_KIND_OUTAGE);
    expect(alert).toBeDefined();
    const item = `#alerts li[data-alert="${alert!.alertId}"]`;
    expect(await page.$eval(item, (e) => [(e as HTMLElement).dataset['state'], e.textContent])).toEqual(['open', expect.stringMatching(new RegExp(`^outage at area ${area}: 8 meters`))]);
    expect(await page.$$eval('#chart-grid canvas', (c) => c.length)).toBeGreaterThan(0);
    await shot(page, '09-grid-outage.png');
    // Supply returns: the alert clears, the area is drawn normal again, the item fades out.
    await page.waitForFunction((sel: string) => (document.querySelector(sel) as HTMLElement | null)?.dataset['state'] === 'cleared', { timeout: 60_000 }, item);
    expect(await page.$eval(`#grid-tree li[data-id="${area}"]`, (e) => e.classList.contains('out'))).toBe(false);
    await shot(page, '10-grid-cleared.png');
    alerts.close();
    await page.browserContext().close();
  });

  it('refuses the API to requests without a session and from another origin', async () => {
    expect((await fetch(`${base}/console/api/task-sets`)).status).toBe(401);
    const r = await fetch(`${base}/console/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: JSON.stringify({ user: 'olga', password: 'olga-pass' }) });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ error: 'requests from http://evil.example are not accepted' });
  });
});
