import { gridTask, LABEL_RANK, LABEL_TASK, type GridTask, type GridTaskSpec } from './gridtask';
import { NETWORK_INFO_ENV, networkInfo, podEnv, templateErrors, type NetworkInfo } from './templates';
import { desiredPods, desiredServices, sameStatus, statusOf, taskPhase, type ObservedPod } from './work-cluster';

// Seed 001, Algorithm 2 and section IV: every Pod gets the whole network_info, the framework's template
// variables resolved for its rank, and the user's variables (values or templates).

const spec = (over: Partial<GridTaskSpec> = {}): GridTaskSpec => ({
  taskId: 'ts-1/load-forecast',
  application: 'area-load-forecast',
  algorithm: { name: 'xgb-load', version: '1.2.0', image: 'registry.local/grid/xgb-load:1.2.0' },
  command: ['python', '/app/train.py'],
  args: ['--area', 'A01'],
  worldSize: 3,
  port: 9091,
  framework: 'xgboost',
  ...over,
});

const stored = (s: GridTaskSpec, status?: GridTask['status']): GridTask => {
  const t = gridTask('forecast-a01', 'edge-1', s);
  return { ...t, metadata: { ...t.metadata, uid: 'uid-1', generation: 1 }, ...(status ? { status } : {}) };
};

const envOf = (t: GridTask, rank: number) => Object.fromEntries((desiredPods(t)[rank]!.spec['containers'] as Array<{ env: Array<{ name: string; value: string }> }>)[0]!.env.map((e) => [e.name, e.value]));

describe('network_info', () => {
  it('names rank 0 the master and gives every rank every address, from the headless Services', () => {
    const n = networkInfo('forecast-a01', 'edge-1', { worldSize: 3, port: 9091 }, 2);
    expect(n).toMatchObject({
      rank: 2,
      role: 'worker',
      world_size: 3,
      master_addr: 'forecast-a01-0.edge-1.svc',
      master_port: 9091,
      worker_addrs: ['forecast-a01-1.edge-1.svc', 'forecast-a01-2.edge-1.svc'],
    });
    expect(n.ranks.map((r) => r.addr)).toEqual(['forecast-a01-0.edge-1.svc', 'forecast-a01-1.edge-1.svc', 'forecast-a01-2.edge-1.svc']);
  });
});

describe('pod environment (Algorithm 2)', () => {
  it('puts the full network_info first, as JSON the algorithm can read', () => {
    const env = podEnv(spec(), networkInfo('t', 'ns', spec(), 1));
    expect(env[0]!.name).toBe(NETWORK_INFO_ENV);
    const info = JSON.parse(env[0]!.value) as NetworkInfo;
    expect(info.rank).toBe(1);
    expect(info.world_size).toBe(3);
  });

  it('resolves the XGBoost preset (rabit tracker variables) per rank', () => {
    const t = stored(spec());
    for (const rank of [0, 1, 2]) {
      const env = envOf(t, rank);
      expect(env).toMatchObject({
        DMLC_ROLE: 'worker',
        DMLC_TRACKER_URI: 'forecast-a01-0.edge-1.svc',
        DMLC_TRACKER_PORT: '9091',
        DMLC_NUM_WORKER: '3',
        DMLC_TASK_ID: String(rank),
        rank: String(rank),
        world_size: '3',
      });
    }
  });

  it("builds LightGBM's machine list and each rank's listen port", () => {
    const t = stored(spec({ framework: 'lightgbm', worldSize: 2, port: 12400 }));
    const env = envOf(t, 1);
    expect(env['LIGHTGBM_MACHINES']).toBe('forecast-a01-0.edge-1.svc:12400,forecast-a01-1.edge-1.svc:12400');
    expect(env['LIGHTGBM_NUM_MACHINES']).toBe('2');
    expect(env['MASTER_ADDR']).toBe('forecast-a01-0.edge-1.svc');
    expect(env['worker_addrs']).toBe('forecast-a01-1.edge-1.svc');
    expect(env['LIGHTGBM_LOCAL_LISTEN_PORT']).toBe('12400');
  });

  it('replaces placeholders inside user values and keeps plain values as they are', () => {
    const t = stored(spec({ framework: 'none', env: [{ name: 'PEERS', value: 'tcp://{{ MASTER_ADDR }}:{{MASTER_PORT}}/r{{RANK}}of{{WORLD_SIZE}}' }, { name: 'MODE', value: 'train' }] }));
    expect(envOf(t, 1)).toMatchObject({ PEERS: 'tcp://forecast-a01-0.edge-1.svc:9091/r1of3', MODE: 'train' });
  });

  it('lets a user variable replace a preset variable of the same name', () => {
    const t = stored(spec({ env: [{ name: 'DMLC_ROLE', value: 'server' }] }));
    expect(envOf(t, 0)['DMLC_ROLE']).toBe('server');
  });

  it('names the variable and the placeholder when a template cannot be resolved', () => {
    expect(templateErrors(spec({ env: [{ name: 'X', value: '{{MASTER_HOST}}' }] }))).toEqual([expect.stringMatching(/X: unknown placeholder \{\{MASTER_HOST\}\}/)]);
    expect(templateErrors(spec())).toEqual([]);
  });
});

describe('work cluster', () => {
  it('has one Pod and one headless Service per rank, owned by the GridTask, selecting exactly that rank', () => {
    const t = stored(spec());
    const pods = desiredPods(t);
    const services = desiredServices(t);
    expect(pods.map((p) => p.metadata.name)).toEqual(['forecast-a01-0', 'forecast-a01-1', 'forecast-a01-2']);
    expect(services.map((s) => s.metadata.name)).toEqual(pods.map((p) => p.metadata.name));
    for (const [i, s] of services.entries()) {
      expect(s.spec['clusterIP']).toBe('None');
      expect(s.spec['selector']).toEqual({ [LABEL_TASK]: 'forecast-a01', [LABEL_RANK]: String(i) });
      expect(pods[i]!.metadata.labels).toMatchObject(s.spec['selector'] as Record<string, string>);
    }
    expect(pods[0]!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'GridTask', uid: 'uid-1', controller: true })]);
    const c = (pods[0]!.spec['containers'] as Array<Record<string, unknown>>)[0]!;
    expect(c).toMatchObject({ image: 'registry.local/grid/xgb-load:1.2.0', command: ['python', '/app/train.py'], args: ['--area', 'A01'] });
    expect(pods[0]!.spec['restartPolicy']).toBe('Never');
  });

  it('refuses to build the work cluster of a GridTask that is not stored yet (no uid to own it)', () => {
    expect(() => desiredPods(gridTask('x', 'ns', spec()))).toThrow(/no uid/);
  });
});

describe('status from the Pods', () => {
  const pod = (rank: number, phase: string, message?: string): ObservedPod => ({ name: `forecast-a01-${rank}`, rank, phase, ready: phase === 'Running', message });

  it('is Pending until every rank runs, Running then, Succeeded when all succeeded', () => {
    const t = stored(spec());
    expect(statusOf(t, [], new Date()).phase).toBe('Pending');
    expect(statusOf(t, [pod(0, 'Running'), pod(1, 'Running')], new Date()).phase).toBe('Pending');
    expect(statusOf(t, [pod(0, 'Running'), pod(1, 'Running'), pod(2, 'Succeeded')], new Date()).phase).toBe('Running');
    const done = statusOf(t, [pod(0, 'Succeeded'), pod(1, 'Succeeded'), pod(2, 'Succeeded')], new Date('2026-12-03T10:00:00Z'));
    expect(done.phase).toBe('Succeeded');
    expect(done.finishedAt).toBe('2026-12-03T10:00:00.000Z');
    expect(done.conditions.find((c) => c.type === 'Complete')).toMatchObject({ status: 'True', message: '3/3 ranks succeeded' });
  });

  it('fails the task when one rank fails, naming the rank and its message', () => {
    const s = statusOf(stored(spec()), [pod(0, 'Running'), pod(1, 'Failed', 'OOMKilled'), pod(2, 'Running')], new Date());
    expect(s.phase).toBe('Failed');
    expect(s.ranks[1]).toMatchObject({ phase: 'Failed', message: 'OOMKilled' });
    expect(s.conditions.find((c) => c.type === 'Complete')!.message).toBe('rank 1 failed: OOMKilled');
    expect(taskPhase([{ rank: 0, pod: 'p', phase: 'Missing', ready: false }])).toBe('Pending');
  });

  it('keeps a condition transition time while the condition holds, so equal statuses are not rewritten', () => {
    const t = stored(spec());
    const first = statusOf(t, [pod(0, 'Running')], new Date('2026-12-03T10:00:00Z'));
    const again = statusOf({ ...t, status: first }, [pod(0, 'Running')], new Date('2026-12-03T10:05:00Z'));
    expect(again.conditions.map((c) => c.lastTransitionTime)).toEqual(first.conditions.map((c) => c.lastTransitionTime));
    expect(sameStatus(first, again)).toBe(true);
    expect(sameStatus(first, statusOf({ ...t, status: first }, [pod(0, 'Failed')], new Date()))).toBe(false);
    // The API server gives the status back with its keys in another order: still the same status.
    const reversed = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    expect(sameStatus({ ...reversed(first), ranks: first.ranks.map(reversed), conditions: first.conditions.map((c) => ({ reason: c.reason, type: c.type, message: c.message, status: c.status, lastTransitionTime: c.lastTransitionTime })) }, again)).toBe(true);
  });

  it('fails an invalid task with the template error as its condition', () => {
    const s = statusOf(stored(spec()), [], new Date(), 'environment variable X: unknown placeholder {{Y}}');
    expect(s.phase).toBe('Failed');
    expect(s.conditions).toEqual([expect.objectContaining({ type: 'Valid', status: 'False', reason: 'InvalidTemplate' })]);
  });
});
