import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  analyticsConfigSchema,
  commConfigSchema,
  loadConfig,
  parserConfigSchema,
  rebalancerConfigSchema,
  schedulerConfigSchema,
  storageConfigSchema,
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
