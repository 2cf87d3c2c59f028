import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadingQueryServiceClient, type GetCurveResponse } from '@gridstation/contracts';
import { createQgdwDeframer, qgdw1376 } from '@gridstation/protocols';
import { asActiveReport, deviceTime } from '@gridstation/simulator';
import { freePort, httpGet, insecure, localServiceEnv, pythonTaskClient, spawnMain, unary, waitFor, type SpawnedMain } from '@gridstation/testing';

// kill -9 of the embedded station right after terminals were confirmed: every confirmed frame must be
// stored once the station is back (the in-process bus writes ahead to disk before it acknowledges).
// The storage batch delay is long, so at the kill nothing is in the stores yet: what survives, survives
// through the bus log.

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const REGION = '4109';
const METER = '410900042001';
const START = Date.UTC(2026, 10, 30, 16, 0, 0);

async function reportAndWaitForConfirms(port: number, reports: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  const d = createQgdwDeframer();
  let confirmed = 0;
  socket.on('data', (c: Buffer) => {
    for (const ev of d.push(c)) if (ev.type === 'frame' && must(qgdw1376.decodeConfirm(must(qgdw1376.decodeQgdwFrame(Uint8Array.from(ev.bytes))))).kind === 'all-confirmed') confirmed++;
  });
  const address = { region: REGION, terminal: 42, master: 0, group: false };
  socket.write(must(qgdw1376.encodeLinkCheck('login', address, 0)));
  await waitFor(() => confirmed === 1, 'the login confirmed', 20_000, 5);
  for (let k = 0; k < reports; k++) {
    const at = START + k * 15 * 60_000;
    const frame = must(qgdw1376.encodeClass1Response(address, 0, [{ pn: 1, fn: 129, values: [deviceTime(at, 480), 1, 1000 + k, 600 + k] }]));
    socket.write(asActiveReport(frame, k + 1));
  }
  await waitFor(() => confirmed === reports + 1, `${reports} reports confirmed`, 20_000, 2);
  return socket;
}

async function stationOn(dataDir: string, archiveFile: string, extra: Record<string, string> = {}): Promise<{ main: SpawnedMain; env: Record<string, string> }> {
  const env: Record<string, string> = { ...(await localServiceEnv()), GS_DATA_DIR: dataDir, GS_ARCHIVE_FILE: archiveFile, GS_TERMINAL_PORT: String(await freePort()), GS_BATCH_DELAY_MS: '5000', ...extra };
  const main = spawnMain('apps/station/src/main.ts', env);
  await waitFor(async () => (await httpGet(Number(env['GS_HTTP_PORT']), '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the station to be ready', 90_000, 100);
  return { main, env };
}

async function storedEnergy(grpcPort: string): Promise<number> {
  const client = new ReadingQueryServiceClient(`127.0.0.1:${grpcPort}`, insecure());
  try {
    const r = await unary<object, GetCurveResponse>(client, 'getCurve', { meterId: METER, quantities: ['energy.active.import'], fromMs: START - 1, toMs: START + 86_400_000, pageSize: 1000, pageToken: '' });
    return r.readings.length;
  } finally {
    client.close();
  }
}

async function killAfterConfirmations(busLog: 'on' | 'off', reports: number): Promise<{ stored: number; expected: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-crash-'));
  const archiveFile = join(dir, 'archive.json');
  writeFileSync(archiveFile, JSON.stringify([{ address: `${REGION}-00042`, meters: [{ pn: 1, meterId: METER }] }]));
  const dataDir = join(dir, 'data');
  const first = await stationOn(dataDir, archiveFile, { GS_BUS_LOG: busLog });
  const socket = await reportAndWaitForConfirms(Number(first.env['GS_TERMINAL_PORT']), reports);
  first.main.child.kill('SIGKILL');
  expect((await first.main.exit).signal).toBe('SIGKILL');
  socket.destroy();
  const second = await stationOn(dataDir, archiveFile, { GS_BUS_LOG: busLog, GS_BATCH_DELAY_MS: '20' });
  try {
    const expected = reports * 2; // total and tariff 1 of each report
    if (busLog === 'on') {
      await waitFor(async () => (await storedEnergy(second.env['GS_GRPC_PORT']!)) === expected, 'every confirmed reading stored after the restart', 60_000, 200).catch(async (e: Error) => {
        throw new Error(`${e.message}; stored ${await storedEnergy(second.env['GS_GRPC_PORT']!).catch(() => -1)} of ${expected}; the restarted station said:\n${second.main.out.stdout.slice(-4000)}\n${second.main.out.stderr.slice(-4000)}`);
      });
    }
    else await new Promise((r) => setTimeout(r, 3000));
    return { stored: await storedEnergy(second.env['GS_GRPC_PORT']!), expected };
  } finally {
    second.main.child.kill('SIGTERM');
    await second.main.exit;
  }
}

describe('embedded station killed with SIGKILL right after confirming frames', () => {
  it('stores every confirmed frame after the restart (bus log on, the default)', async () => {
    const { stored, expected } = await killAfterConfirmations('on', 8);
    expect(stored).toBe(expected);
  });

  it('control: with the bus log off the same kill loses confirmed frames, so the test above can tell', async () => {
    const { stored, expected } = await killAfterConfirmations('off', 8);
    expect(stored).toBeLessThan(expected);
  });
});

describe('embedded station killed with SIGKILL while its scheduler runs a task set', () => {
  it('finishes the set after the restart: every task once, none successful twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-crash-tasks-'));
    const archiveFile = join(dir, 'archive.json');
    writeFileSync(archiveFile, '[]');
    const dataDir = join(dir, 'data');
    const grpc = (s: { env: Record<string, string> }) => `127.0.0.1:${s.env['GS_GRPC_PORT']}`;
    const first = await stationOn(dataDir, archiveFile, { GS_WORKERS: '2' });
    const submitted = (await pythonTaskClient(grpc(first), 'submit', {
      name: 'embedded-kill',
      generators: [{ prefix: 't-', count: 40, template: { program: 'sleep@1', input: { params_json: '{"ms":150}' } } }],
    })) as { id: string; total: number };
    expect(submitted.total).toBe(40);
    await waitFor(async () => {
      const s = (await pythonTaskClient(grpc(first), 'summary', submitted.id)) as { task_set: { counts?: Record<string, number> } };
      return (s.task_set.counts?.['SUCCESS'] ?? 0) >= 10;
    }, '10 successes', 60_000, 300);
    first.main.child.kill('SIGKILL');
    await first.main.exit;

    const second = await stationOn(dataDir, archiveFile, { GS_WORKERS: '2' });
    try {
      const updates = (await pythonTaskClient(grpc(second), 'watch', submitted.id)) as Array<{ done: number; task_set: { counts?: Record<string, number> } }>;
      expect(updates[updates.length - 1]).toMatchObject({ done: 1, task_set: { counts: { SUCCESS: 40 } } });
      const summary = (await pythonTaskClient(grpc(second), 'summary', submitted.id)) as { outputs: Array<{ task_id: string }> };
      expect(new Set(summary.outputs.map((o) => o.task_id)).size).toBe(40);
      expect(summary.outputs).toHaveLength(40);
    } finally {
      second.main.child.kill('SIGTERM');
      await second.main.exit;
    }
  });
});
