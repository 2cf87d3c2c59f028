import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  agentConfigSchema,
  analyticsConfigSchema,
  commConfigSchema,
  loadConfig,
  parserConfigSchema,
  rebalancerConfigSchema,
  schedulerConfigSchema,
  storageConfigSchema,
  workerConfigSchema,
} from '@gridstation/config';

// The manifests must match what the services actually do: ports from the config schemas, probes on the
// endpoints the service kit serves, and a common ConfigMap every schema accepts.

const BASE = join(__dirname, '..', '..', '..', 'deploy', 'k8s', 'base');
interface Doc {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  data?: Record<string, string>;
}
const docs: Doc[] = readdirSync(BASE)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(BASE, f), 'utf8')).map((d) => d.toJS() as Doc));

const schemas = {
  comm: commConfigSchema,
  parser: parserConfigSchema,
  storage: storageConfigSchema,
  analytics: analyticsConfigSchema,
  scheduler: schedulerConfigSchema,
  rebalancer: rebalancerConfigSchema,
} as const;

interface Container {
  env: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { grpc: { port: number } };
}

describe('deploy/k8s/base', () => {
  const common = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'gs-common')!;

  it('lists every manifest file in the kustomization', () => {
    const k = parseAllDocuments(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    expect(k.resources.sort()).toEqual(readdirSync(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  for (const [service, schema] of Object.entries(schemas)) {
    it(`runs ${service} with a configuration its schema accepts, on the ports it listens on`, () => {
      const deploy = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === `gs-${service}`);
      expect(deploy).toBeDefined();
      const container = ((deploy!.spec['template'] as { spec: { containers: Container[] } }).spec.containers)[0]!;
      const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
      const config = loadConfig(service, schema, { ...common.data, ...env, GS_INSTANCE_ID: 'pod-0' });
      const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
      expect(ports['http']).toBe(config.http.port);
      expect(ports['grpc']).toBe(config.grpc.port);
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.grpc.port).toBe(config.grpc.port);
      if ('terminal' in config) expect(ports['terminals']).toBe(config.terminal.port);
      const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === `gs-${service}`);
      expect(svc).toBeDefined();
      expect(docs.some((d) => d.kind === 'PodDisruptionBudget' && d.metadata.name === `gs-${service}`)).toBe(true);
    });
  }
});

describe('deploy/k8s/base: the scheduler and its workers', () => {
  const common = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'gs-common')!;
  const container = (name: string) => ((docs.find((d) => d.kind === 'Deployment' && d.metadata.name === name)!.spec['template'] as { spec: { containers: Container[] } }).spec.containers)[0]!;
  const envOf = (c: Container) => Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));

  it('scales and resizes Deployments that exist, with a role that allows exactly that, and a task store that fsyncs every write', () => {
    const scheduler = loadConfig('scheduler', schedulerConfigSchema, { ...common.data, ...envOf(container('gs-scheduler')), GS_INSTANCE_ID: 'pod-0', GS_K8S_NAMESPACE: 'gridstation' });
    expect(scheduler.workerPool).toBe('kubernetes');
    for (const name of [scheduler.kubernetes.deployment, scheduler.kubernetes.trialDeployment]) expect(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === name)).toBe(true);
    const role = docs.find((d) => d.kind === 'Role' && d.metadata.name === 'gs-scheduler-workers') as unknown as { rules: Array<{ resources: string[]; resourceNames: string[]; verbs: string[] }> };
    const workers = [scheduler.kubernetes.deployment, scheduler.kubernetes.trialDeployment];
    expect(role.rules).toEqual([
      expect.objectContaining({ resources: ['deployments/scale'], resourceNames: workers }),
      expect.objectContaining({ resources: ['deployments'], resourceNames: workers, verbs: ['get', 'patch'] }),
    ]);
    const redis = docs.find((d) => d.kind === 'StatefulSet' && d.metadata.name === 'gs-task-redis')!;
    const args = ((redis.spec['template'] as { spec: { containers: Array<{ args: string[] }> } }).spec.containers)[0]!.args.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--appendfsync always');
    expect(scheduler.taskRedis.url).toBe('redis://gs-task-redis:6379');
  });

  it('runs workers with a configuration the worker schema accepts, attached to the scheduler Service', () => {
    const scheduler = loadConfig('scheduler', schedulerConfigSchema, { ...common.data, ...envOf(container('gs-scheduler')), GS_INSTANCE_ID: 'pod-0' });
    for (const [name, trial] of [['gs-worker', false], ['gs-worker-trial', true]] as const) {
      const c = container(name);
      const config = loadConfig('worker', workerConfigSchema, { ...common.data, ...envOf(c), GS_INSTANCE_ID: 'pod-0' });
      expect(config.trial).toBe(trial);
      expect(config.scheduler).toBe(`gs-scheduler:${scheduler.grpc.port}`);
      const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
      expect(ports['grpc']).toBe(config.grpc.port);
      expect(c.readinessProbe.grpc.port).toBe(config.grpc.port);
    }
  });
});

describe('deploy/k8s: edge agents, rebalancing and autoscaling', () => {
  const common = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'gs-common')!;
  const EDGE = join(__dirname, '..', '..', '..', 'deploy', 'k8s', 'edge');
  const edgeDocs = parseAllDocuments(readFileSync(join(EDGE, 'agent.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
  const containerOf = (d: Doc) => ((d.spec['template'] as { spec: { containers: Container[] } }).spec.containers)[0]!;
  const envOf = (c: Container) => Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));

  it('runs the edge agent with a configuration its schema accepts, its spool on the node', () => {
    const ds = edgeDocs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'gs-agent')!;
    const c = containerOf(ds);
    const config = loadConfig('agent', agentConfigSchema, { ...envOf(c), GS_INSTANCE_ID: 'node-1', GS_AGENT_ID: 'node-1' });
    expect(Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]))['grpc']).toBe(config.grpc.port);
    expect(config.agent.spoolDir).toBe('/var/lib/gridstation/spool');
    expect(config.agent.rateBytes).toBeGreaterThan(0);
    const volumes = (ds.spec['template'] as { spec: { volumes: Array<{ name: string; hostPath?: { path: string } }> } }).spec.volumes;
    expect(volumes.find((v) => v.name === 'spool')?.hostPath?.path).toBe(config.agent.spoolDir);
  });

  it('points the rebalancer at every comm pod through a headless Service', () => {
    const c = containerOf(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'gs-rebalancer')!);
    const config = loadConfig('rebalancer', rebalancerConfigSchema, { ...common.data, ...envOf(c), GS_INSTANCE_ID: 'pod-0' });
    const [, name, port] = /^dns:([^:]+):(\d+)$/.exec(config.pods[0]!)!;
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === name)!;
    expect(svc.spec['clusterIP']).toBe('None');
    expect((svc.spec['selector'] as Record<string, string>)['app.kubernetes.io/name']).toBe('gs-comm');
    const comm = loadConfig('comm', commConfigSchema, { ...common.data, ...envOf(containerOf(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'gs-comm')!)), GS_INSTANCE_ID: 'pod-0' });
    expect(Number(port)).toBe(comm.grpc.port);
  });

  it('scales comm on custom metrics the Prometheus Adapter rules define, from series comm exports', () => {
    const hpa = docs.find((d) => d.kind === 'HorizontalPodAutoscaler' && d.metadata.name === 'gs-comm')!;
    const podMetrics = (hpa.spec['metrics'] as Array<{ type: string; pods?: { metric: { name: string } } }>).filter((m) => m.type === 'Pods').map((m) => m.pods!.metric.name);
    expect(podMetrics.length).toBeGreaterThanOrEqual(2);
    const rules = (parseAllDocuments(docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'gs-prometheus-adapter-rules')!.data!['config.yaml']!)[0]!.toJS() as { rules: Array<{ seriesQuery: string; name: { as: string } }> }).rules;
    for (const m of podMetrics) expect(rules.map((r) => r.name.as)).toContain(m);
    // The series are the comm feature's instruments (the e2e edge test reads them from a running pod's /metrics).
    const source = readFileSync(join(__dirname, '..', '..', '..', 'libs', 'ingest', 'src', 'metrics.ts'), 'utf8');
    for (const r of rules) expect(source).toContain(`'${/^(\w+)\{/.exec(r.seriesQuery)![1]}'`);
  });
});
