// @kubernetes/client-node 1.x is an ES module; this workspace compiles to CommonJS, so it is loaded with a
// real dynamic import (a plain `import()` would be rewritten to require()). Jest needs
// --experimental-vm-modules for it (the integration target passes it).
export type K8s = typeof import('@kubernetes/client-node');
export type KubeConfigOf = InstanceType<K8s['KubeConfig']>;

const load = new Function('s', 'return import(s)') as (s: string) => Promise<K8s>;
let loaded: Promise<K8s> | undefined;

export function loadKubernetes(): Promise<K8s> {
  loaded ??= load('@kubernetes/client-node');
  return loaded;
}

/** A client configuration from a kubeconfig file, or the default chain (in-cluster, $KUBECONFIG, ~/.kube). */
export async function kubeConfig(file?: string): Promise<KubeConfigOf> {
  const k = await loadKubernetes();
  const kc = new k.KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
