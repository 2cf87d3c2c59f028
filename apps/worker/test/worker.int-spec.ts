import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskServiceClient, type ListTasksResponse } from '@gridstation/contracts';
import { loadConfig, workerConfigSchema } from '@gridstation/config';
import { startTelemetry } from '@gridstation/telemetry';
import { expectServiceContract, freePort, httpGet, insecure, localServiceEnv, pythonTaskClient, spawnMain, unary, waitFor } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

// The worker service attached over gRPC to a running scheduler (the embedded station's, which serves
// WorkerService next to its own in-process worker): it meets the service contract, takes its share of
// a task set submitted by python, meets the service contract and shuts down cleanly.
describe('worker service', () => {
  const telemetry = startTelemetry({ service: 'worker', instanceId: 'it', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('attaches to the scheduler, takes its share of a set, and meets the service contract', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-worker-it-'));
    const stationEnv: Record<string, string> = { ...(await localServiceEnv()), GS_DATA_DIR: join(dir, 'data'), GS_TERMINAL_PORT: String(await freePort()), GS_WORKERS: '1', GS_SIM_TERMINALS: '0' };
    const station = spawnMain('apps/station/src/main.ts', stationEnv);
    try {
      await waitFor(async () => (await httpGet(Number(stationEnv['GS_HTTP_PORT']), '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the station to be ready', 90_000, 200);
      const scheduler = `127.0.0.1:${stationEnv['GS_GRPC_PORT']}`;
      const config = loadConfig('worker', workerConfigSchema, { ...(await localServiceEnv()), GS_SCHEDULER_GRPC: scheduler, GS_WORKER_ID: 'external-1', GS_WORKER_HEARTBEAT_MS: '500' });
      const worker = await bootstrap(config, telemetry, false);
      try {
        await waitFor(async () => (await httpGet(worker.httpPort, '/readyz')).status === 200, 'the worker attached', 20_000, 100);
        const set = (await pythonTaskClient(scheduler, 'submit', { name: 'two-workers', generators: [{ prefix: 't-', count: 40, template: { program: 'sleep@1', input: { params_json: '{"ms":40}' } } }] })) as { id: string };
        const updates = (await pythonTaskClient(scheduler, 'watch', set.id)) as Array<{ task_set: { counts?: Record<string, number> } }>;
        expect(updates[updates.length - 1]!.task_set.counts).toEqual({ SUCCESS: 40 });
        const client = new TaskServiceClient(scheduler, insecure());
        try {
          const tasks = await unary<object, ListTasksResponse>(client, 'listTasks', { taskSetId: set.id, states: [], service: '', program: '', createdFromMs: 0, createdToMs: 0, pageSize: 100, pageToken: '' });
          const byWorker = new Map<string, number>();
          for (const t of tasks.tasks) byWorker.set(t.worker, (byWorker.get(t.worker) ?? 0) + 1);
          // Both the station's own worker and the external one took tasks.
          expect(byWorker.get('external-1') ?? 0).toBeGreaterThan(5);
          expect([...byWorker.keys()].filter((w) => w !== 'external-1').length).toBe(1);
        } finally {
          client.close();
        }
        // Health, readiness (its scheduler stream), metrics, gRPC health and reflection; then a clean shutdown.
        await expectServiceContract(worker, 'worker', ['scheduler-stream']);
      } catch (e) {
        await worker.shutdown('test failed');
        throw e;
      }
    } finally {
      station.child.kill('SIGTERM');
      await station.exit;
    }
  });
});
