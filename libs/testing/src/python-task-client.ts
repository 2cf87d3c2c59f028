import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './environment';
import { clientBinary } from './infra';

const run = promisify(execFile);

/** Runs the python grpcio client (tools/e2e/python/task_client.py); JSON in, JSON out. */
export async function pythonTaskClient(grpc: string, command: string, ...args: Array<string | object>): Promise<unknown> {
  const files: string[] = [];
  const argv = args.map((a) => {
    if (typeof a === 'string') return a;
    const f = join(mkdtempSync(join(tmpdir(), 'gs-py-req-')), 'request.json');
    writeFileSync(f, JSON.stringify(a));
    files.push(f);
    return f;
  });
  const r = await run(clientBinary('python-grpc'), [join(repoRoot(), 'tools/e2e/python/task_client.py'), grpc, command, ...argv], { maxBuffer: 64 << 20, timeout: 600_000 }).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`python ${command} failed: ${e.stdout ?? ''} ${e.stderr ?? ''}`);
  });
  const lines = r.stdout.trim().split('\n');
  return command === 'watch' ? lines.map((l) => JSON.parse(l)) : JSON.parse(lines[lines.length - 1]!);
}

