import { EdgeNode, EdgeTaskResult } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';
import { gridTaskName } from './delivery';
import { EdgeRegistry, type RegistryStore } from './registry';
import { validResult } from './results';

// Registration checks every problem at once (the caller fixes them in one go), and a result message
// that cannot be used is dead-lettered with its reason.

class MemoryStore implements RegistryStore {
  readonly m = new Map<string, Uint8Array>();
  async put(kind: string, key: string, v: Uint8Array) {
    this.m.set(`${kind}/${key}`, v);
  }
  async get(kind: string, key: string) {
    return this.m.get(`${kind}/${key}`);
  }
  async all(kind: string) {
    return [...this.m].filter(([k]) => k.startsWith(`${kind}/`)).map(([, v]) => v);
  }
}

const reachable = { check: async () => ({ serverVersion: 'v1.34.4' }) };
const refusing = { check: async () => Promise.reject(new Error('https://edge:6443 refused the credentials')) };
const node = EdgeNode.fromPartial({ name: 'substation-a', apiServer: 'https://10.1.2.3:6443', token: 'secret', insecureSkipTlsVerify: true, namespace: 'gridstation-edge' });

async function problems(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return `${(e as GsError).code}: ${(e as Error).message}`;
  }
  return 'accepted';
}

describe('edge registry', () => {
  it('keeps a node whose connection checked out, never showing its token', async () => {
    const store = new MemoryStore();
    const r = new EdgeRegistry(store, reachable, () => 1_000);
    expect(await r.registerNode(node)).toMatchObject({ name: 'substation-a', token: '(set)', serverVersion: 'v1.34.4', checkedAtMs: 1_000 });
    expect((await r.node('substation-a')).token).toBe('secret');
    expect((await r.nodes()).map((n) => n.token)).toEqual(['(set)']);
  });

  it('lists every problem of a node at once, and refuses one whose API server refuses it', async () => {
    const r = new EdgeRegistry(new MemoryStore(), reachable);
    const all = await problems(r.registerNode({ ...node, name: 'Bad_Name', apiServer: 'http://x:80', token: '', insecureSkipTlsVerify: false }));
    expect(all).toMatch(/^EDGE_NODE_INVALID: /);
    for (const p of ['must be a DNS label', 'must be https://', 'token is required', 'caData is required']) expect(all).toContain(p);
    expect(await problems(new EdgeRegistry(new MemoryStore(), refusing).registerNode(node))).toBe('EDGE_NODE_UNREACHABLE: edge node substation-a: https://edge:6443 refused the credentials');
  });

  it('checks an algorithm (framework, port, parameter types, templates) and an application against it', async () => {
    const r = new EdgeRegistry(new MemoryStore(), reachable);
    const bad = await problems(r.registerAlgorithm({ name: 'xgb', version: '1', image: 'img:1', framework: 'tensorflow', port: 0, parameters: [{ name: 'n', type: 'float', required: false, defaultValue: '', description: '' }], env: [{ name: 'T', value: '{{TRACKER}}' }], description: '' }));
    for (const p of ['framework "tensorflow"', 'port 0', 'type "float"', 'unknown placeholder {{TRACKER}}']) expect(bad).toContain(p);
    await r.registerAlgorithm({ name: 'xgb', version: '1', image: 'img:1', framework: 'xgboost', port: 9091, parameters: [{ name: 'area', type: 'string', required: true, defaultValue: '', description: '' }], env: [], description: '' });
    expect(await problems(r.registerApplication({ name: 'forecast', algorithm: 'xgb', algorithmVersion: '2', command: [], args: [], worldSize: 2, cpu: '', memory: '', env: [], description: '' }))).toMatch(/algorithm xgb@2 is not registered/);
    expect(await problems(r.registerApplication({ name: 'forecast', algorithm: 'xgb', algorithmVersion: '1', command: [], args: ['--days', '{days}'], worldSize: 0, cpu: 'lots', memory: '', env: [], description: '' }))).toMatch(/worldSize 0.*cpu "lots".*names \{days\}/);
    await r.registerApplication({ name: 'forecast', algorithm: 'xgb', algorithmVersion: '1', command: ['python'], args: ['--area', '{area}'], worldSize: 3, cpu: '1', memory: '1Gi', env: [], description: '' });
    expect((await r.application('forecast')).algorithm.image).toBe('img:1');
  });
});

describe('edge task results', () => {
  const result = (over: Partial<EdgeTaskResult>) => EdgeTaskResult.fromPartial({ taskId: 't', gridTask: 'gt-1', rank: 0, payloadJson: '{"peakKw":1}', ...over });

  it('accepts a result that names its task and carries a JSON object', () => {
    expect(validResult(result({})).kind).toBe('ok');
  });

  it('dead-letters a result without a task, or whose payload is not a JSON object', () => {
    expect(validResult(result({ taskId: '' }))).toMatchObject({ kind: 'dead-letter', code: 'EDGE_RESULT_NO_TASK' });
    expect(validResult(result({ payloadJson: 'not json' }))).toMatchObject({ kind: 'dead-letter', code: 'EDGE_RESULT_PAYLOAD' });
    expect(validResult(result({ payloadJson: '[1,2]' }))).toMatchObject({ kind: 'dead-letter', reason: expect.stringMatching(/must be a JSON object/) });
  });
});

describe('GridTask names', () => {
  it('are DNS labels short enough for rank Services, stable per attempt, different between attempts', () => {
    const a = gridTaskName('ts-123/very-long-task-name-'.repeat(10), 1);
    expect(a).toMatch(/^gt-[0-9a-f]{16}-a1$/);
    expect(`${a}-255`.length).toBeLessThanOrEqual(63);
    expect(gridTaskName('x', 1)).toBe(gridTaskName('x', 1));
    expect(gridTaskName('x', 2)).not.toBe(gridTaskName('x', 1));
  });
});
