import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnMain, waitFor, type SpawnedMain } from '@gridstation/testing';

// The console as its own process (its pod), pointed at another process's TaskService, ProgramService and
// /metrics: here an embedded station, which serves the same services as the scheduler.

describe('console service (its own pod)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-console-svc-'));
  let station: SpawnedMain | undefined;
  let consoleMain: SpawnedMain | undefined;

  afterAll(async () => {
    for (const m of [consoleMain, station]) {
      if (!m) continue;
      m.child.kill('SIGTERM');
      await m.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in, shows the other process\'s task sets and live numbers, and refuses a change without CSRF', async () => {
    const stationHttp = await freePort();
    const stationGrpc = await freePort();
    station = spawnMain('apps/station/src/main.ts', {
      GS_DATA_DIR: join(dir, 'data'), GS_HTTP_PORT: String(stationHttp), GS_GRPC_PORT: String(stationGrpc), GS_TERMINAL_PORT: String(await freePort()),
      GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_SIM_TERMINALS: '5', GS_LOG_LEVEL: 'warn', GS_SUMMARY_INTERVAL_MS: '60000', GS_CONSOLE: 'off',
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${stationHttp}/readyz`).catch(() => undefined))?.status === 200, 'the station ready', 90_000, 250);
    const http = await freePort();
    consoleMain = spawnMain('apps/console/src/main.ts', {
      GS_HTTP_PORT: String(http), GS_GRPC_PORT: String(await freePort()), GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_LOG_LEVEL: 'warn',
      GS_CONSOLE_GRPC: `127.0.0.1:${stationGrpc}`, GS_CONSOLE_METRICS: `http://127.0.0.1:${stationHttp}/metrics`, GS_CONSOLE_USERS: 'olga:operator:plain:pw',
    });
    const base = `http://127.0.0.1:${http}/console`;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => undefined))?.status === 200, 'the console ready', 60_000, 250);
    expect((await fetch(`${base}/`)).headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const signIn = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'olga', password: 'pw' }) });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const { csrf } = (await signIn.json()) as { csrf: string };
    const headers = { Cookie: cookie.split(';')[0]!, 'Content-Type': 'application/json' };
    const submitted = await fetch(`${base}/api/task-sets`, { method: 'POST', headers: { ...headers, 'X-CSRF-Token': csrf }, body: JSON.stringify({ name: 'from the console pod', count: 3, ms: 10 }) });
    expect(submitted.status).toBe(201);
    const listed = (await (await fetch(`${base}/api/task-sets`, { headers })).json()) as { taskSets: Array<{ name: string; user: string }> };
    expect(listed.taskSets).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'from the console pod', user: 'olga' })]));
    expect((await fetch(`${base}/api/task-sets`, { method: 'POST', headers, body: '{}' })).status).toBe(403);
    const sample = await waitFor(async () => {
      const r = (await (await fetch(`${base}/api/overview`, { headers })).json()) as { recent: Array<{ connections: number; readingsStored: number }> };
      const last = r.recent[r.recent.length - 1];
      return last && last.readingsStored > 0 ? last : undefined;
    }, 'the overview to show stored readings', 60_000, 500);
    expect(sample.connections).toBe(5);
  });
});
