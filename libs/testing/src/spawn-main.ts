import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './environment';

export interface SpawnedMain {
  child: ChildProcess;
  /** Output so far (the last 200 kB of each stream). */
  out: { stdout: string; stderr: string };
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a service's TypeScript entry point as its own process, the way `npm start` and the pods do.
 * `nodeArgs`: flags for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not accept); `fileLimit`:
 * the process's open-file limit (ulimit -n), set with util-linux prlimit.
 */
export function spawnMain(main: string, env: Record<string, string>, nodeArgs: readonly string[] = [], o: { fileLimit?: number } = {}): SpawnedMain {
  const root = repoRoot();
  const nodeCommand = [process.execPath, ...nodeArgs, '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, main)];
  const [command, ...args] = o.fileLimit ? ['prlimit', `--nofile=${o.fileLimit}:${o.fileLimit}`, '--', ...nodeCommand] : nodeCommand;
  const child = spawn(command!, args, {
    cwd: root,
    env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.base.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  const keep = (k: 'stdout' | 'stderr') => (d: Buffer) => {
    out[k] += d.toString();
    if (out[k].length > 200_000) out[k] = out[k].slice(-100_000);
  };
  child.stdout!.on('data', keep('stdout'));
  child.stderr!.on('data', keep('stderr'));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, out, exit };
}
