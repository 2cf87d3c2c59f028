import { Algorithm, Application, EdgeNode } from '@gridstation/contracts';
import { failedPrecondition, invalidArgument, notFound } from '@gridstation/errors';
import type { Framework } from './gridtask';
import { presetEnv, templateErrors } from './templates';

// The registries of seed 001 (III.C): edge nodes, algorithms, applications. Validation happens here (every
// problem at once, like program registration); storage is a port (Redis in the services) and the
// connection check of an edge node is another (a real API server round trip, see edge-cluster.ts).

export interface RegistryStore {
  put(kind: 'node' | 'algorithm' | 'application', key: string, value: Uint8Array): Promise<void>;
  get(kind: 'node' | 'algorithm' | 'application', key: string): Promise<Uint8Array | undefined>;
  all(kind: 'node' | 'algorithm' | 'application'): Promise<Uint8Array[]>;
}

export interface ConnectionCheck {
  /** Resolves with the server's version when the node's API server serves GridTasks in its namespace with its credentials. */
  check(node: EdgeNode): Promise<{ serverVersion: string }>;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const FRAMEWORKS: readonly Framework[] = ['none', 'xgboost', 'lightgbm'];
const PARAM_TYPES = ['string', 'integer', 'number', 'boolean'];

function refuse(problems: string[], code: string): void {
  if (problems.length > 0) throw invalidArgument(code, problems.join('; '));
}

export const algorithmKey = (name: string, version: string) => `${name}@${version}`;

export class EdgeRegistry {
  constructor(
    private readonly store: RegistryStore,
    private readonly connections: ConnectionCheck,
    private readonly now: () => number = Date.now,
  ) {}

  async registerNode(input: EdgeNode): Promise<EdgeNode> {
    const n = EdgeNode.fromPartial(input);
    const problems: string[] = [];
    if (!NAME.test(n.name)) problems.push(`name "${n.name}" must be a DNS label (lower case letters, digits, "-" and ".")`);
    let url: URL | undefined;
    try {
      url = new URL(n.apiServer);
    } catch {
      problems.push(`apiServer "${n.apiServer}" is not a URL`);
    }
    if (url && url.protocol !== 'https:') problems.push(`apiServer must be https:// (got ${url.protocol})`);
    if (!n.token) problems.push('token is required (a ServiceAccount token allowed to manage GridTasks)');
    if (!n.caData && !n.insecureSkipTlsVerify) problems.push('caData is required unless insecureSkipTlsVerify is set');
    if (!NAME.test(n.namespace)) problems.push(`namespace "${n.namespace}" must be a DNS label`);
    refuse(problems, 'EDGE_NODE_INVALID');
    let checked: { serverVersion: string };
    try {
      checked = await this.connections.check(n);
    } catch (e) {
      throw failedPrecondition('EDGE_NODE_UNREACHABLE', `edge node ${n.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const stored = { ...n, checkedAtMs: this.now(), serverVersion: checked.serverVersion };
    await this.store.put('node', n.name, EdgeNode.encode(stored).finish());
    return redact(stored);
  }

  /** The node with its credentials (for delivery), or not-found. */
  async node(name: string): Promise<EdgeNode> {
    const b = await this.store.get('node', name);
    if (!b) throw notFound('EDGE_NODE_NOT_FOUND', `edge node ${name} is not registered`);
    return EdgeNode.decode(b);
  }

  async nodes(): Promise<EdgeNode[]> {
    return (await this.store.all('node')).map((b) => redact(EdgeNode.decode(b))).sort((a, b) => a.name.localeCompare(b.name));
  }

  async registerAlgorithm(input: Algorithm): Promise<Algorithm> {
    const a = Algorithm.fromPartial(input);
    const problems: string[] = [];
    if (!NAME.test(a.name)) problems.push(`name "${a.name}" must be a DNS label`);
    if (!a.version) problems.push('version is required');
    if (!a.image || /\s/.test(a.image)) problems.push('image must be an image reference without spaces');
    if (!FRAMEWORKS.includes(a.framework as Framework)) problems.push(`framework "${a.framework}" must be one of ${FRAMEWORKS.join(', ')}`);
    if (!(a.port >= 1 && a.port <= 65535)) problems.push(`port ${a.port} must be 1-65535`);
    for (const p of a.parameters) if (!PARAM_TYPES.includes(p.type)) problems.push(`parameter ${p.name}: type "${p.type}" must be one of ${PARAM_TYPES.join(', ')}`);
    problems.push(...envProblems(FRAMEWORKS.includes(a.framework as Framework) ? (a.framework as Framework) : 'none', a.env, a.port));
    refuse(problems, 'ALGORITHM_INVALID');
    await this.store.put('algorithm', algorithmKey(a.name, a.version), Algorithm.encode(a).finish());
    return a;
  }

  async algorithm(name: string, version: string): Promise<Algorithm> {
    const b = await this.store.get('algorithm', algorithmKey(name, version));
    if (!b) throw notFound('ALGORITHM_NOT_FOUND', `algorithm ${name}@${version} is not registered`);
    return Algorithm.decode(b);
  }

  async algorithms(): Promise<Algorithm[]> {
    return (await this.store.all('algorithm')).map((b) => Algorithm.decode(b)).sort((x, y) => algorithmKey(x.name, x.version).localeCompare(algorithmKey(y.name, y.version)));
  }

  async registerApplication(input: Application): Promise<Application> {
    const a = Application.fromPartial(input);
    const problems: string[] = [];
    if (!NAME.test(a.name)) problems.push(`name "${a.name}" must be a DNS label`);
    if (a.worldSize < 1 || a.worldSize > 256) problems.push(`worldSize ${a.worldSize} must be 1-256`);
    if (a.cpu && !/^[0-9]+(\.[0-9]+)?m?$/.test(a.cpu)) problems.push(`cpu "${a.cpu}" is not a CPU quantity`);
    if (a.memory && !/^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$/.test(a.memory)) problems.push(`memory "${a.memory}" is not a memory quantity`);
    let algorithm: Algorithm | undefined;
    try {
      algorithm = await this.algorithm(a.algorithm, a.algorithmVersion);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
    if (algorithm) {
      problems.push(...envProblems(algorithm.framework as Framework, a.env, algorithm.port));
      const declared = new Set(algorithm.parameters.map((p) => p.name));
      for (const arg of a.args) for (const m of arg.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) if (!declared.has(m[1]!)) problems.push(`argument "${arg}" names {${m[1]}}, which ${algorithm.name}@${algorithm.version} does not declare`);
    }
    refuse(problems, 'APPLICATION_INVALID');
    await this.store.put('application', a.name, Application.encode(a).finish());
    return a;
  }

  async application(name: string): Promise<{ application: Application; algorithm: Algorithm }> {
    const b = await this.store.get('application', name);
    if (!b) throw notFound('APPLICATION_NOT_FOUND', `application ${name} is not registered`);
    const application = Application.decode(b);
    return { application, algorithm: await this.algorithm(application.algorithm, application.algorithmVersion) };
  }

  async applications(): Promise<Application[]> {
    return (await this.store.all('application')).map((b) => Application.decode(b)).sort((x, y) => x.name.localeCompare(y.name));
  }
}

function envProblems(framework: Framework, env: Array<{ name: string; value: string }>, port: number): string[] {
  const problems: string[] = [];
  for (const v of env) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.name)) problems.push(`environment variable name "${v.name}" is not valid`);
  try {
    presetEnv(framework);
  } catch (e) {
    problems.push((e as Error).message);
  }
  problems.push(...templateErrors({ taskId: 'check', application: 'check', algorithm: { name: 'check', version: 'check', image: 'check' }, worldSize: 1, port: port || 1, framework: 'none', env }));
  return problems;
}

function redact(n: EdgeNode): EdgeNode {
  return { ...n, token: n.token ? '(set)' : '' };
}
