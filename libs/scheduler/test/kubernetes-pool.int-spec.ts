import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { clientBinary, infra, repoRoot, requireService, testLogger } from '@gridstation/testing';
import { KubernetesPool } from '../src/containers/kubernetes-pool';

// The container module's Kubernetes adapter against the real kube-apiserver, on the worker Deployments
// of deploy/k8s/base (there is no controller manager here: replica counts and templates are what the
// API stores, no Pods follow). The pool runs with the token of the scheduler's ServiceAccount, bound to
// the Role deploy/ gives it: what it does must be allowed by that Role.

const kubectl = (args: string[], input?: string) => execFileSync(clientBinary('kubectl'), ['--kubeconfig', infra.kube.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 60_000 });

describe('KubernetesPool on a real kube-apiserver', () => {
  const ns = `gs-pool-${Date.now().toString(36)}`;
  let kubeconfig = '';
  const deployment = (name: string) => JSON.parse(kubectl(['-n', ns, 'get', 'deployment', name, '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: Array<{ name: string; resources: unknown; image: string }> } } } };

  beforeAll(async () => {
    await requireService('kube');
    kubectl(['create', 'namespace', ns]);
    const base = parseAllDocuments(kubectl(['kustomize', join(repoRoot(), 'deploy/k8s/base')])).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    const workers = base.filter((d) => d.kind === 'Deployment' && ['gs-worker', 'gs-worker-trial'].includes(d.metadata.name));
    expect(workers).toHaveLength(2);
    const rbac = base.filter((d) => (d.kind === 'ServiceAccount' && d.metadata.name === 'gs-scheduler') || (['Role', 'RoleBinding'].includes(d.kind) && d.metadata.name === 'gs-scheduler-workers'));
    expect(rbac).toHaveLength(3);
    const inNs = (d: object) => stringify({ ...d, metadata: { ...(d as { metadata: object }).metadata, namespace: ns }, ...((d as { subjects?: object[] }).subjects ? { subjects: (d as { subjects: object[] }).subjects.map((x) => ({ ...x, namespace: ns })) } : {}) });
    kubectl(['-n', ns, 'apply', '-f', '-'], [...workers, ...rbac].map(inNs).join('---\n'));
    const token = kubectl(['-n', ns, 'create', 'token', 'gs-scheduler', '--duration=1h']).trim();
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'gs-pool-kc-')), 'kubeconfig');
    writeFileSync(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: infra.kube.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'scheduler', user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'scheduler', namespace: ns } }],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('reads the replica counts the Deployments have, and scales each pool through the scale subresource', async () => {
    const pool = new KubernetesPool({ namespace: ns, deployment: 'gs-worker', trialDeployment: 'gs-worker-trial', kubeconfig }, testLogger());
    await pool.refresh();
    expect([pool.size(false), pool.size(true)]).toEqual([2, 0]);
    await pool.scaleTo(false, 5);
    await pool.scaleTo(true, 1);
    expect(deployment('gs-worker').spec.replicas).toBe(5);
    expect(deployment('gs-worker-trial').spec.replicas).toBe(1);
    expect([pool.size(false), pool.size(true)]).toEqual([5, 1]);
    // A second pool (a restarted scheduler) starts from what the cluster has.
    const again = new KubernetesPool({ namespace: ns, deployment: 'gs-worker', trialDeployment: 'gs-worker-trial', kubeconfig }, testLogger());
    await again.refresh();
    expect([again.size(false), again.size(true)]).toEqual([5, 1]);
  });

  it("patches the workers' container resources and leaves the rest of the template alone", async () => {
    const pool = new KubernetesPool({ namespace: ns, deployment: 'gs-worker', trialDeployment: 'gs-worker-trial', kubeconfig }, testLogger());
    const before = deployment('gs-worker').spec.template.spec.containers[0]!;
    await pool.patchResources(false, { cpu: '2', memory: '4Gi' });
    const after = deployment('gs-worker').spec.template.spec.containers;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ name: 'worker', image: before.image, resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } } });
  });

  it("fails with the API server's answer for a Deployment the Role does not cover", async () => {
    const pool = new KubernetesPool({ namespace: ns, deployment: 'gs-missing', trialDeployment: 'gs-worker-trial', kubeconfig }, testLogger());
    await expect(pool.scaleTo(false, 1)).rejects.toMatchObject({ code: 403 });
  });
});
