import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { httpGet, REPO_ROOT, waitFor } from '@gridstation/testing';

// The services as real processes (the way they run in a pod), so that one can be killed with SIGKILL.

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  env: Record<string, string>;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProcess(app: 'comm' | 'parser' | 'storage', name: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(REPO_ROOT, `apps/${app}/src/main.ts`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.base.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { name, child, env, output: () => out, exited };
}

export async function waitReady(p: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const port = Number(p.env['GS_HTTP_PORT']);
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.output().slice(-3000)}`);
      return (await httpGet(port, '/readyz').catch(() => ({ status: 0 }))).status === 200;
    },
    `${p.name} ready`,
    timeoutMs,
    250,
  );
}

export async function stopProcess(p: ServiceProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  await p.exited;
  clearTimeout(timer);
}
