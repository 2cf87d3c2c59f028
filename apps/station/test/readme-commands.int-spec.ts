import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clientBinary, httpGet, localServiceEnv, repoRoot, spawnMain, waitFor } from '@gridstation/testing';

const run = promisify(execFile);

// The README's own gRPC examples, run the way a new user runs them: the real grpcurl (server reflection,
// no .proto files given) against the embedded station fed by its simulator. The field names a user types
// are the ones written in proto/ (snake_case); reflection must serve exactly those.

function readmeGrpcurlCommands(): string[][] {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const commands: string[][] = [];
  for (const line of readme.split('\n')) {
    const m = /^grpcurl\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    // The shell words of the line: single-quoted strings kept whole.
    commands.push([...m[1]!.matchAll(/'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2]!));
  }
  return commands;
}

describe('the README gRPC examples against npm start', () => {
  it('every grpcurl command of the README works as written against the running station', async () => {
    const commands = readmeGrpcurlCommands();
    expect(commands.length).toBeGreaterThan(0);
    const env: Record<string, string> = { ...(await localServiceEnv()), GS_SIM_TERMINALS: '3', GS_SIM_METERS: '2', GS_SIM_RATE: '2', GS_SUMMARY_INTERVAL_MS: '0' };
    const station = spawnMain('apps/station/src/main.ts', env);
    try {
      await waitFor(async () => (await httpGet(Number(env['GS_HTTP_PORT']), '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the station to be ready', 90_000, 250);
      for (const words of commands) {
        // The README addresses the default port of npm start; this station listens on a free one.
        const args = words.map((w) => w.replace(/^127\.0\.0\.1:50050$/, `127.0.0.1:${env['GS_GRPC_PORT']}`));
        const out = await waitFor(
          async () => {
            const r = await run(clientBinary('grpcurl'), args, { timeout: 30_000 });
            if (!args.includes('-d')) return r.stdout.trim() || undefined; // list, describe: text
            const parsed = JSON.parse(r.stdout || '{}') as Record<string, unknown[] | undefined>;
            // A query for readings waits until the simulator's first report is stored.
            return Object.values(parsed).some((v) => Array.isArray(v) && v.length > 0) || !/Readings|Curve/.test(args.join(' ')) ? parsed : undefined;
          },
          `grpcurl ${args.join(' ')} to answer with data`,
          60_000,
          500,
        );
        expect(out).toBeDefined();
      }
    } finally {
      station.child.kill('SIGTERM');
      await station.exit;
    }
  });

  it('reflection describes the messages with the field names written in proto/', async () => {
    const env: Record<string, string> = { ...(await localServiceEnv()), GS_SIM_TERMINALS: '0', GS_SUMMARY_INTERVAL_MS: '0' };
    const station = spawnMain('apps/station/src/main.ts', env);
    try {
      await waitFor(async () => (await httpGet(Number(env['GS_HTTP_PORT']), '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the station to be ready', 90_000, 250);
      const target = `127.0.0.1:${env['GS_GRPC_PORT']}`;
      const described = await run(clientBinary('grpcurl'), ['-plaintext', target, 'describe', 'gridstation.v1.GetCurveRequest']);
      expect(described.stdout).toContain('meter_id');
      expect(described.stdout).toContain('page_token');
      expect(described.stdout).not.toContain('meterId');
    } finally {
      station.child.kill('SIGTERM');
      await station.exit;
    }
  });
});
