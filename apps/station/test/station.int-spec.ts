import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, stationConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, freePort, httpGet, REPO_ROOT, waitFor } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

const MAIN = join(REPO_ROOT, 'apps/station/src/main.ts');

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.base.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, out, exit };
}

describe('station (embedded mode)', () => {
  const telemetry = startTelemetry({ service: 'station', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('starts with the in-process bus and nothing external, and meets the service contract', async () => {
    const config = loadConfig('station', stationConfigSchema, {
      GS_HTTP_HOST: '127.0.0.1',
      GS_GRPC_HOST: '127.0.0.1',
      GS_HTTP_PORT: String(await freePort()),
      GS_GRPC_PORT: String(await freePort()),
      GS_LOG_LEVEL: 'warn',
    });
    expect(config.bus.kind).toBe('memory');
    const svc = await bootstrap(config, telemetry, false);
    await expectServiceContract(svc, 'station', ['bus']);
  });

  it('as a process: becomes ready, then exits 0 after a graceful shutdown on SIGTERM', async () => {
    const httpPort = await freePort();
    const p = runMain({ GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', GS_HTTP_PORT: String(httpPort), GS_GRPC_PORT: String(await freePort()) });
    try {
      await waitFor(async () => (await httpGet(httpPort, '/readyz')).status === 200, `station to be ready (stderr: ${p.out.stderr})`, 60_000, 200);
      p.child.kill('SIGTERM');
      expect(await p.exit).toEqual({ code: 0, signal: null });
    } finally {
      p.child.kill('SIGKILL');
    }
    const lines = p.out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; service: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['service started', 'shutting down', 'shutdown complete']));
    expect(lines.every((l) => l.service === 'station')).toBe(true);
  });

  it('as a process: refuses invalid configuration with exit code 2 and names the variable', async () => {
    const p = runMain({ GS_HTTP_PORT: 'eighty', GS_BUS: 'carrier-pigeon' });
    const result = await p.exit;
    expect(result.code).toBe(2);
    expect(p.out.stderr).toContain('GS_HTTP_PORT');
    expect(p.out.stderr).toContain('GS_BUS');
  });
});
