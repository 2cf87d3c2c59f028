import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, requireService } from '@gridstation/testing';

// The short form of the edge benchmark (tools/bench/src/edge.bench.ts) in the test command: the
// experiment (round-robin against rebalancing) and the fault table both print, and no acknowledged
// record is lost. Its numbers are not asserted (a shared machine); the loss target is.

function runBench(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const root = repoRoot();
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, 'tools/bench/src/edge.bench.ts'), ...args], { cwd: root, env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.base.json') }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      // The benchmark's own service processes go with it, also when it failed before stopping them
      // (a storage process left in its consumer group would take later tests' partitions).
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      resolve({ code, out, err });
    });
  });
}

describe('edge benchmark, short form', () => {
  beforeAll(async () => {
    for (const s of ['kafka', 'clickhouse', 'hbase', 'clickhouse-ha', 'redis'] as const) await requireService(s);
  });

  it('prints compression, the experiment and the fault table, with no acknowledged record lost', async () => {
    const r = await runBench(['--short', '--agents=200', '--seconds=10']);
    if (r.code !== 0) throw new Error(`the edge benchmark exited with ${r.code}:\n${r.out.slice(-3000)}\n${r.err}`);
    expect(r.out).toContain('Compression on held-out data');
    expect(r.out).toMatch(/^\s+200 {2}round-robin\s+[\d,]+/m);
    expect(r.out).toMatch(/^\s+200 {2}rebalancing\s+[\d,]+/m);
    expect(r.out).toMatch(/^\s+200 {2}throughput [\d.]+x/m);
    for (const fault of ['stop 10 % of agents', 'stop 20 % of agents', 'kill -9 1 pod of 4', 'kill -9 2 pods of 4', 'kill -9 the ClickHouse replica taking writes']) expect(r.out).toContain(fault);
    expect(r.out).toContain('target: 0 acknowledged records lost: MET');
    console.log(r.out.split('\n').filter((l) => !l.startsWith('[') && l.trim() && !/^\s*(at |Caused|errno|code:|syscall|address:|port:|\}|Arguments|connection_id|query_id)/.test(l)).join('\n'));
  });
});
