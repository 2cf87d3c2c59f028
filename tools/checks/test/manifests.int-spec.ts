import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { clientBinary, infra, repoRoot, requireService } from '@gridstation/testing';

// Every manifest in deploy/ as the real API server (tools/infra, v1.34) judges it: each kustomization is
// built and applied with --dry-run=server --validate=strict (unknown fields and wrong types are errors,
// admission runs, nothing is stored). Namespaces a build creates are applied for real first (a dry run
// does not create them, and its namespaced objects would be refused for a missing namespace); the
// build must create every namespace its objects name. Examples of custom resources are checked against
// their CRD, installed for real.

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const DEPLOY = () => join(repoRoot(), 'deploy', 'k8s');
const KUSTOMIZATIONS = ['base', 'overlays/province', 'edge', 'crds'];

function kubectl(args: string[], input?: string): { status: number; out: string } {
  const r = spawnSync(clientBinary('kubectl'), ['--kubeconfig', infra.kube.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function build(dir: string): string {
  const r = kubectl(['kustomize', join(DEPLOY(), dir)]);
  if (r.status !== 0) throw new Error(`kustomize build of deploy/k8s/${dir} failed:\n${r.out}`);
  return r.out;
}

const docsOf = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc).filter(Boolean);

/** The check itself: a server-side dry run with strict field validation. */
function serverValidate(yaml: string, namespace?: string): { ok: boolean; out: string } {
  const r = kubectl(['apply', '--dry-run=server', '--validate=strict', ...(namespace ? ['-n', namespace] : []), '-f', '-'], yaml);
  return { ok: r.status === 0, out: r.out };
}

describe('deploy/ manifests, validated by the real kube-apiserver', () => {
  const scratch = `gs-manifests-${Date.now().toString(36)}`;

  beforeAll(async () => {
    await requireService('kube');
    const r = kubectl(['create', 'namespace', scratch]);
    if (r.status !== 0) throw new Error(r.out);
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', scratch, '--wait=false']);
  });

  for (const dir of KUSTOMIZATIONS) {
    it(`accepts every object of deploy/k8s/${dir}`, () => {
      const yaml = build(dir);
      const docs = docsOf(yaml);
      expect(docs.length).toBeGreaterThan(0);
      const created = new Set(docs.filter((d) => d.kind === 'Namespace').map((d) => d.metadata.name));
      const named = new Set(docs.map((d) => d.metadata.namespace).filter((n): n is string => !!n));
      // A build that puts objects in a namespace creates that namespace.
      for (const ns of named) expect({ namespace: ns, createdByTheBuild: created.has(ns) }).toEqual({ namespace: ns, createdByTheBuild: true });
      if (created.size > 0) {
        const namespaces = docs.filter((d) => d.kind === 'Namespace').map((d) => stringify(d)).join('---\n');
        const r = kubectl(['apply', '-f', '-'], namespaces);
        expect(r).toMatchObject({ status: 0 });
      }
      // Objects without a namespace (the base) go to a scratch namespace of the test.
      const result = serverValidate(yaml, named.size === 0 ? scratch : undefined);
      expect(result).toEqual({ ok: true, out: expect.stringContaining('(server dry run)') });
      // Every object was judged (one line per object).
      expect(result.out.trim().split('\n').filter((l) => l.includes('(server dry run)'))).toHaveLength(docs.length);
    });
  }

  it('accepts the examples of custom resources against their installed CRDs', () => {
    const crds = kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(DEPLOY(), 'crds', 'gridtask.yaml')]);
    expect(crds).toMatchObject({ status: 0 });
    expect(kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/gridtasks.edge.gridstation.io'])).toMatchObject({ status: 0 });
    const examples = readdirSync(join(DEPLOY(), 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(examples.length).toBeGreaterThan(0);
    for (const f of examples) {
      const r = serverValidate(readFileSync(join(DEPLOY(), 'examples', f), 'utf8'), scratch);
      expect({ file: f, ...r }).toEqual({ file: f, ok: true, out: expect.stringContaining('(server dry run)') });
    }
  });

  it('refuses a broken manifest: the same check fails on an unknown field and on a wrong type', () => {
    const worker = docsOf(build('base')).find((d) => d.kind === 'Deployment' && d.metadata.name === 'gs-worker') as unknown as {
      spec: { replicas: unknown; template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    expect(worker).toBeDefined();
    const unknownField = structuredClone(worker);
    unknownField.spec.template.spec.containers[0]!['imagePullPolicyy'] = 'Always';
    const unknownResult = serverValidate(stringify(unknownField), scratch);
    expect(unknownResult.ok).toBe(false);
    expect(unknownResult.out).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/);

    const wrongType = structuredClone(worker);
    wrongType.spec.replicas = 'two';
    const wrongResult = serverValidate(stringify(wrongType), scratch);
    expect(wrongResult.ok).toBe(false);
    expect(wrongResult.out).toMatch(/replicas/);

    const badGridTask = readFileSync(join(DEPLOY(), 'examples', 'gridtask-xgboost.yaml'), 'utf8').replace('worldSize: 3', 'worldSize: 0');
    const crResult = serverValidate(badGridTask, scratch);
    expect(crResult.ok).toBe(false);
    expect(crResult.out).toMatch(/spec\.worldSize: Invalid value: 0: spec\.worldSize in body should be greater than or equal to 1/);
  });
});
