import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, repoRoot, spawnMain, waitFor } from '@gridstation/testing';

// The services as real processes (the way they run in a pod), so that one can be killed with SIGKILL.

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  env: Record<string, string>;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProcess(app: 'comm' | 'parser' | 'storage' | 'analytics' | 'scheduler' | 'rebalancer' | 'agent' | 'console', name: string, env: Record<string, string>): ServiceProcess {
  const p = spawnMain(`apps/${app}/src/main.ts`, env);
  // Every line the service wrote, kept for reading after a failure (tmp/e2e/logs/<name>.log).
  const dir = join(repoRoot(), 'tmp', 'e2e', 'logs');
  mkdirSync(dir, { recursive: true });
  const file = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  p.child.stdout?.pipe(file);
  p.child.stderr?.pipe(file);
  return { name, child: p.child, env, output: () => p.out.stdout + p.out.stderr, exited: p.exit };
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
