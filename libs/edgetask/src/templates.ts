import type { EnvVar, Framework, GridTaskSpec } from './gridtask';
import presets from './presets.json';

// Environment of a rank's Pod (seed 001, Algorithm 2): the whole network_info structure as one variable,
// then the framework preset and the user's variables, whose values may be templates. A placeholder is
// {{NAME}} with NAME one of PLACEHOLDERS; it is replaced from network_info when the Pod is made.
// Addresses are the per-rank headless Services' DNS names, known before any Pod is scheduled (a Pod's
// IP is not), so every rank can be given the whole work cluster's addresses up front.

export interface NetworkInfo {
  task: string;
  namespace: string;
  world_size: number;
  rank: number;
  role: 'master' | 'worker';
  master_addr: string;
  master_port: number;
  worker_addrs: string[];
  worker_port: number;
  ranks: Array<{ rank: number; addr: string; port: number }>;
}

export const NETWORK_INFO_ENV = 'GS_NETWORK_INFO';

const PLACEHOLDERS: Record<string, (n: NetworkInfo) => string> = {
  MASTER_ADDR: (n) => n.master_addr,
  MASTER_PORT: (n) => String(n.master_port),
  WORKER_ADDRS: (n) => n.worker_addrs.join(','),
  WORKER_PORT: (n) => String(n.worker_port),
  RANK: (n) => String(n.rank),
  WORLD_SIZE: (n) => String(n.world_size),
  ROLE: (n) => n.role,
  TASK: (n) => n.task,
  LOCAL_PORT: (n) => String(n.rank === 0 ? n.master_port : n.worker_port),
  /** LightGBM's machine list: every rank's addr:port, comma-separated, in rank order. */
  MACHINES: (n) => n.ranks.map((r) => `${r.addr}:${r.port}`).join(','),
};
export const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS);

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

export class TemplateError extends Error {}

/** The DNS name of a rank's headless Service. */
export function rankHost(task: string, rank: number, namespace: string): string {
  return `${task}-${rank}.${namespace}.svc`;
}

export function networkInfo(task: string, namespace: string, spec: Pick<GridTaskSpec, 'worldSize' | 'port'>, rank: number): NetworkInfo {
  const ranks = Array.from({ length: spec.worldSize }, (_, r) => ({ rank: r, addr: rankHost(task, r, namespace), port: spec.port }));
  return {
    task,
    namespace,
    world_size: spec.worldSize,
    rank,
    role: rank === 0 ? 'master' : 'worker',
    master_addr: ranks[0]!.addr,
    master_port: spec.port,
    worker_addrs: ranks.slice(1).map((r) => r.addr),
    worker_port: spec.port,
    ranks,
  };
}

export function isTemplate(value: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(value);
}

/** Replaces every placeholder; an unknown one is an error naming it and the variable. */
export function replaceTemplate(name: string, value: string, info: NetworkInfo): string {
  return value.replace(PLACEHOLDER, (_, key: string) => {
    const f = PLACEHOLDERS[key.toUpperCase()];
    if (!f) throw new TemplateError(`environment variable ${name}: unknown placeholder {{${key}}} (known: ${PLACEHOLDER_NAMES.join(', ')})`);
    return f(info);
  });
}

export function presetEnv(framework: Framework): EnvVar[] {
  const p = (presets as unknown as Record<string, EnvVar[] | undefined>)[framework];
  if (!p) throw new TemplateError(`unknown framework preset "${framework}" (known: ${Object.keys(presets).filter((k) => !k.startsWith('$')).join(', ')})`);
  return p;
}

/** Errors in a spec's templates, found before anything is created (empty when it is valid). */
export function templateErrors(spec: GridTaskSpec): string[] {
  const info = networkInfo('check', 'check', spec, 0);
  const errors: string[] = [];
  try {
    presetEnv(spec.framework);
  } catch (e) {
    errors.push((e as Error).message);
  }
  for (const v of spec.env ?? []) {
    try {
      replaceTemplate(v.name, v.value, info);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}

/** Algorithm 2: network_info first, then the preset, then the user's variables (a user variable replaces a preset one of the same name). */
export function podEnv(spec: GridTaskSpec, info: NetworkInfo): EnvVar[] {
  const out = new Map<string, string>();
  out.set(NETWORK_INFO_ENV, JSON.stringify(info));
  for (const v of [...presetEnv(spec.framework), ...(spec.env ?? [])]) {
    out.set(v.name, isTemplate(v.value) ? replaceTemplate(v.name, v.value, info) : v.value);
  }
  return [...out].map(([name, value]) => ({ name, value }));
}
