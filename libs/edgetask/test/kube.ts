import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { infra, repoRoot } from '@gridstation/testing';
import { kubeConfig, loadKubernetes, type K8s } from '../src/kube';

// The real kube-apiserver of tools/infra (no kubelet: Pods are stored and never run, so their status
// is written by the tests where a kubelet would write it).

export function kubectl(...args: string[]): string {
  return execFileSync(infra.kube.kubectl, ['--kubeconfig', infra.kube.kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Installs (or updates) the GridTask CRD from deploy/ and waits until the API serves it. */
export function installCrd(): void {
  const file = join(repoRoot(), 'deploy', 'k8s', 'crds', 'gridtask.yaml');
  kubectl('apply', '--server-side', '--force-conflicts', '-f', file);
  kubectl('wait', '--for=condition=Established', '--timeout=30s', 'crd/gridtasks.edge.gridstation.io');
}

export interface Clients {
  k8s: K8s;
  core: InstanceType<K8s['CoreV1Api']>;
  apps: InstanceType<K8s['AppsV1Api']>;
  custom: InstanceType<K8s['CustomObjectsApi']>;
}

export async function clients(): Promise<Clients> {
  const k8s = await loadKubernetes();
  const kc = await kubeConfig(infra.kube.kubeconfig);
  return { k8s, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

export async function createNamespace(c: Clients, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  await c.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** What a kubelet would write: a Pod's phase and readiness. */
export async function setPodPhase(c: Clients, namespace: string, name: string, phase: 'Running' | 'Succeeded' | 'Failed', message?: string): Promise<void> {
  const now = new Date().toISOString();
  await c.core.patchNamespacedPodStatus(
    {
      name,
      namespace,
      body: {
        status: {
          phase,
          ...(message ? { message, reason: message } : {}),
          conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: now }],
        },
      },
    },
    c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.MergePatch),
  );
}
