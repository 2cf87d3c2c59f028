import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { infra, repoRoot, requireService, testLogger, uniqueName, waitFor } from '@gridstation/testing';
import { KafkaBus, OK } from '../src';

// At-least-once across a real process death: a consumer process is killed with SIGKILL while it holds
// uncommitted records; another member of the group must receive every one of them.
describe('Kafka adapter: consumer process killed before commit', () => {
  let bus: KafkaBus;

  beforeAll(async () => {
    await requireService('kafka');
    bus = new KafkaBus({ service: 'crash', clientId: uniqueName('crash'), brokers: infra.kafkaBrokers, log: testLogger() });
  });
  afterAll(() => bus.close());

  it('redelivers everything the killed process had taken', async () => {
    const topic = uniqueName('crash');
    const groupId = uniqueName('crash-group');
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(__dirname, 'fixtures', 'take-and-hang.ts'), infra.kafkaBrokers.join(','), groupId, topic],
      { cwd: repoRoot(), env: { ...process.env, TS_NODE_PROJECT: join(repoRoot(), 'tsconfig.base.json') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(signal ? null : code)));
    try {
      await waitFor(() => out.includes('READY'), `child consumer to start (stderr: ${err})`, 60_000);
      await bus.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: `m${i % 5}`, value: Buffer.from(String(i)) })));
      await waitFor(() => out.includes('TOOK'), 'child to take records', 30_000);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBeNull();
    const got = new Set<string>();
    const sub = await bus.subscribe({
      groupId,
      topics: [topic],
      handler: async (b) => {
        b.messages.forEach((m) => got.add(m.value.toString()));
        return OK;
      },
    });
    try {
      // The broker notices the dead member after its session timeout (10 s), then reassigns.
      await waitFor(() => got.size === 30, 'all 30 records at the surviving member', 60_000);
    } finally {
      await sub.close();
    }
  });
});
