import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { distributedServiceEnv, freePort, spawnMain, uniqueName, waitFor, type SpawnedMain } from '@gridstation/testing';

const run = promisify(execFile);

/** A Redis of the test's own, persisting every write (appendfsync always), that the test may restart. */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'gs-redis-'));
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', this.dir], { stdio: 'ignore' });
    await waitFor(() => this.ping(), `redis on ${this.port}`, 20_000);
  }

  /** Stops the server (as a restart of the store does) and starts it again from its append-only file. */
  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  async down(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }

  async cleanup(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ping(): Promise<boolean> {
    try {
      return (await run('redis-cli', ['-p', String(this.port), 'ping'])).stdout.trim() === 'PONG';
    } catch {
      return false;
    }
  }
}

export interface SchedulerProcess {
  main: SpawnedMain;
  grpc: string;
  http: number;
  instance: string;
}

/** The scheduler service as its own process, with a local worker pool and the test's task store. */
export async function startScheduler(o: { redisUrl: string; prefix: string; instance: string; database: string; env?: Record<string, string> }): Promise<SchedulerProcess> {
  const grpcPort = await freePort();
  const http = await freePort();
  const env = {
    ...(await distributedServiceEnv(o.instance, { database: o.database })),
    GS_HTTP_PORT: String(http),
    GS_GRPC_PORT: String(grpcPort),
    GS_HTTP_HOST: '127.0.0.1',
    GS_GRPC_HOST: '127.0.0.1',
    GS_INSTANCE_ID: o.instance,
    GS_SCHEDULER_REDIS_URL: o.redisUrl,
    GS_SCHEDULER_KEY_PREFIX: o.prefix,
    GS_WORKER_POOL: 'local',
    GS_SCHEDULER_LEASE_TTL_MS: '3000',
    GS_SCHEDULER_HEARTBEAT_TIMEOUT_MS: '4000',
    GS_SCHEDULER_RECONNECT_GRACE_MS: '3000',
    GS_TASK_BACKOFF_MS: '200',
    GS_LOG_LEVEL: 'info',
    ...o.env,
  };
  const main = spawnMain('apps/scheduler/src/main.ts', env);
  const grpc = `127.0.0.1:${grpcPort}`;
  await waitFor(
    async () => {
      if (main.child.exitCode !== null) throw new Error(`scheduler exited: ${main.out.stderr.slice(-2000)}${main.out.stdout.slice(-2000)}`);
      const r = await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => undefined);
      return r?.status === 200;
    },
    'the scheduler to be ready',
    60_000,
    200,
  );
  return { main, grpc, http, instance: o.instance };
}

/** Worker processes started by a scheduler's local pool (they name the pool on their command line). */
export function workerPids(instance: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', '--', `--gs-pool=${instance}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function killWorkers(instance: string, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of workerPids(instance)) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone already */
    }
  }
}

export const testPrefix = (what: string): string => `${uniqueName(`gs:sched-${what}`)}:`;
