import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { DownlinkServiceClient, ReadingQueryServiceClient, type GetCurveResponse } from '@gridstation/contracts';
import { qgdw1376 } from '@gridstation/protocols';
import { freePort, grpcHealthCheck, httpGet, insecure, localServiceEnv, spawnMain, unary, waitFor, type SpawnedMain } from '@gridstation/testing';

// The embedded station probed the way a hostile or careless user would, each probe one of the defects
// a probe of the running station found (and the behaviour that replaces it).

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const address = { region: '4108', terminal: 7, master: 0, group: false };

function archiveFile(dir: string): string {
  const f = join(dir, 'archive.json');
  writeFileSync(f, JSON.stringify([{ address: '4108-00007', meters: [{ pn: 1, meterId: '410800007001' }] }]));
  return f;
}

async function station(extra: Record<string, string> = {}, fileLimit?: number): Promise<{ main: SpawnedMain; env: Record<string, string>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-front-'));
  const env: Record<string, string> = { ...(await localServiceEnv()), GS_DATA_DIR: join(dir, 'data'), GS_ARCHIVE_FILE: archiveFile(dir), GS_TERMINAL_PORT: String(await freePort()), ...extra };
  const main = spawnMain('apps/station/src/main.ts', env, [], fileLimit ? { fileLimit } : {});
  await waitFor(
    async () => {
      if (main.child.exitCode !== null) throw new Error(`station exited: ${main.out.stderr.slice(-2000)}`);
      return (await httpGet(Number(env['GS_HTTP_PORT']), '/readyz').catch(() => ({ status: 0 }))).status === 200;
    },
    'the station to be ready',
    90_000,
    100,
  );
  return { main, env, dir };
}

async function stop(s: { main: SpawnedMain }): Promise<void> {
  s.main.child.kill('SIGTERM');
  await s.main.exit;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const metric = (body: string, name: string) => body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('the embedded station against hostile and careless input', () => {
  let s: Awaited<ReturnType<typeof station>>;
  beforeAll(async () => {
    s = await station();
  });
  afterAll(() => stop(s));

  it('keeps metric labels to bounded sets: 200 frames with different unknown identifiers make one series', async () => {
    const socket = await open(Number(s.env['GS_TERMINAL_PORT']));
    socket.write(must(qgdw1376.encodeLinkCheck('login', address, 0)));
    // AFN 0C with Fn this station does not decode, each a different identifier.
    const fns = Array.from({ length: 248 }, (_, i) => i + 1).filter((fn) => !qgdw1376.CLASS1[fn]).slice(0, 200);
    for (const [k, fn] of fns.entries()) {
      const [dt1, dt2] = qgdw1376.encodeFn(fn);
      socket.write(must(qgdw1376.encodeQgdwFrame({ control: 0xc4, address, afn: 0x0c, seq: 0x60 | (k & 0x0f), body: Uint8Array.of(0x01, 0x01, dt1, dt2, 1, 2, 3, 4) })));
    }
    const port = Number(s.env['GS_HTTP_PORT']);
    await waitFor(async () => metric((await httpGet(port, '/metrics')).body, 'gs_parser_unsupported_parts_total').some((l) => / 200$/.test(l)), '200 unsupported parts counted', 20_000, 200);
    const series = metric((await httpGet(port, '/metrics')).body, 'gs_parser_unsupported_parts_total');
    expect(series).toHaveLength(1);
    expect(series[0]).toContain('kind="qgdw-afn0c"');
    socket.destroy();
  });

  it('answers health per served service, and refuses a 100 kB service name at once without echoing it', async () => {
    const grpc = s.env['GS_GRPC_HOST'] + ':' + s.env['GS_GRPC_PORT'];
    await expect(grpcHealthCheck(grpc, 'gridstation.v1.ReadingQueryService')).resolves.toBe('SERVING');
    await expect(grpcHealthCheck(grpc, 'gridstation.v1.DownlinkService')).resolves.toBe('SERVING');
    await expect(grpcHealthCheck(grpc, 'gridstation.v1.NoSuchService')).rejects.toMatchObject({ code: status.NOT_FOUND });
    const started = Date.now();
    const e = await grpcHealthCheck(grpc, 'x'.repeat(100_000)).then(() => undefined, (err: { code: number; details: string }) => err);
    expect(e).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(e!.details.length).toBeLessThan(600);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses impossible downlink reads and oversized meter ids with INVALID_ARGUMENT instead of a timeout', async () => {
    const grpc = `127.0.0.1:${s.env['GS_GRPC_PORT']}`;
    const downlink = new DownlinkServiceClient(grpc, insecure());
    const queries = new ReadingQueryServiceClient(grpc, insecure());
    try {
      const started = Date.now();
      await expect(unary(downlink, 'readCurrentData', { terminalAddress: '4108-00007', measurementPoint: 99_999, fns: [129], timeoutMs: 10_000 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(unary(downlink, 'readCurrentData', { terminalAddress: '4108-00007', measurementPoint: 1, fns: [250], timeoutMs: 10_000 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(Date.now() - started).toBeLessThan(3000);
      await expect(unary(queries, 'getLatestReadings', { meterId: 'x'.repeat(10_000), quantities: [] })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    } finally {
      downlink.close();
      queries.close();
    }
  });

  it('binds a page token to its query: a token issued for one meter is refused for another', async () => {
    const grpc = `127.0.0.1:${s.env['GS_GRPC_PORT']}`;
    const queries = new ReadingQueryServiceClient(grpc, insecure());
    const socket = await open(Number(s.env['GS_TERMINAL_PORT']));
    try {
      socket.write(must(qgdw1376.encodeLinkCheck('login', address, 0)));
      const t0 = Date.UTC(2026, 10, 30, 0, 0, 0);
      for (let k = 0; k < 3; k++) {
        const at = new Date(t0 + k * 900_000 + 8 * 3_600_000);
        const time = { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), hour: at.getUTCHours(), minute: at.getUTCMinutes(), second: 0 };
        const f = must(qgdw1376.encodeClass1Response(address, 0, [{ pn: 1, fn: 129, values: [time, 1, 10 + k, 5 + k] }]));
        socket.write(must(qgdw1376.encodeQgdwFrame({ ...must(qgdw1376.decodeQgdwFrame(f)), control: 0xc4, seq: 0x70 | (k + 1), body: must(qgdw1376.decodeQgdwFrame(f)).body })));
      }
      const q = { meterId: '410800007001', quantities: [], fromMs: t0 - 1, toMs: t0 + 86_400_000, pageSize: 2, pageToken: '' };
      const first = await waitFor(async () => {
        const r = await unary<object, GetCurveResponse>(queries, 'getCurve', q);
        return r.nextPageToken ? r : undefined;
      }, 'a first page with a next token', 20_000, 200);
      await expect(unary(queries, 'getCurve', { ...q, pageToken: first.nextPageToken })).resolves.toMatchObject({ readings: expect.any(Array) });
      await expect(unary(queries, 'getCurve', { ...q, meterId: '410800007002', pageToken: first.nextPageToken })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    } finally {
      socket.destroy();
      queries.close();
    }
  });
});

describe('garbage cannot amplify into dead letters or fill the disk', () => {
  it('garbage dripped a byte at a time over 20 sockets is one dead letter per run, and the dead-letter files stay under their cap', async () => {
    const s = await station({ GS_DEAD_LETTER_FILE_BYTES: '4000', GS_DEAD_LETTER_FILES: '2', GS_LOGIN_DEADLINE_MS: '60000' });
    try {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => open(Number(s.env['GS_TERMINAL_PORT']))));
      for (let i = 0; i < 300; i++) {
        for (const sock of sockets) sock.write(Uint8Array.of(0x20 + (i % 64)));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      // A frame start ends each run.
      for (const sock of sockets) sock.write(must(qgdw1376.encodeLinkCheck('login', address, 0)));
      const port = Number(s.env['GS_HTTP_PORT']);
      const garbage = async () => Number(/gs_comm_bad_input_total\{[^}]*code="DEFRAME_GARBAGE"[^}]*\} (\d+)/.exec((await httpGet(port, '/metrics')).body)?.[1] ?? 0);
      await waitFor(async () => (await garbage()) === 20, 'one garbage report per socket', 20_000, 200);
      for (const sock of sockets) sock.destroy();
      // Rotation: push more than the cap through and check what is on disk.
      // A session may close after its first refusal, so garbage keeps coming on new sockets until the
      // rotation has dropped something.
      const flood: Socket[] = [];
      await waitFor(async () => {
        for (let c = 0; c < 5; c++) {
          const sock = await open(Number(s.env['GS_TERMINAL_PORT']));
          flood.push(sock);
          for (let k = 0; k < 5; k++) sock.write(Buffer.concat([Buffer.alloc(100, 0x33), Buffer.from(must(qgdw1376.encodeLinkCheck('heartbeat', address, 1)))]));
        }
        return /gs_station_dead_letters_dropped_total\S* [1-9]/.test((await httpGet(port, '/metrics')).body);
      }, 'rotation to drop the oldest file', 30_000, 300);
      const files = readdirSync(join(s.env['GS_DATA_DIR']!)).filter((f) => f.startsWith('dead-letters.jsonl'));
      expect(files.length).toBeLessThanOrEqual(2);
      const bytes = files.reduce((n, f) => n + statSync(join(s.env['GS_DATA_DIR']!, f)).size, 0);
      expect(bytes).toBeLessThanOrEqual(2 * 4000);
      for (const sock of flood) sock.destroy();
    } finally {
      await stop(s);
    }
  });
});

describe('file descriptors', () => {
  it('under ulimit -n 1024, a thousand silent sockets neither starve the stores nor outlive the login deadline', async () => {
    const s = await station({ GS_LOGIN_DEADLINE_MS: '2000' }, 1024);
    const port = Number(s.env['GS_HTTP_PORT']);
    const silent: Socket[] = [];
    try {
      for (let i = 0; i < 986; i++) {
        const sock = connect({ host: '127.0.0.1', port: Number(s.env['GS_TERMINAL_PORT']) });
        sock.on('error', () => undefined);
        silent.push(sock);
      }
      const metrics = async () => (await httpGet(port, '/metrics')).body;
      expect(metric(await metrics(), 'gs_comm_connection_limit')).toEqual(['gs_comm_connection_limit 512']);
      expect((await httpGet(port, '/readyz')).status).toBe(200);
      await waitFor(async () => /gs_comm_login_deadline_closed_total (\d+)/.exec(await metrics())?.[1] === '512', 'the 512 accepted silent sockets closed at the deadline', 20_000, 200);
      // The stores still have their descriptors: a terminal reports and its reading is stored.
      const t = await open(Number(s.env['GS_TERMINAL_PORT']));
      t.write(must(qgdw1376.encodeLinkCheck('login', address, 0)));
      const at = new Date(Date.UTC(2026, 10, 30, 8, 0, 0));
      const time = { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), hour: at.getUTCHours(), minute: 0, second: 0 };
      const f = must(qgdw1376.decodeQgdwFrame(must(qgdw1376.encodeClass1Response(address, 0, [{ pn: 1, fn: 129, values: [time, 1, 42, 21] }]))));
      t.write(must(qgdw1376.encodeQgdwFrame({ ...f, control: 0xc4, seq: 0x71, body: f.body })));
      await waitFor(async () => /gs_storage_readings_stored_total (\d+)/.exec(await metrics())?.[1] === '2', 'the reading stored', 20_000, 200);
      expect((await httpGet(port, '/readyz')).status).toBe(200);
      t.destroy();
    } finally {
      for (const sock of silent) sock.destroy();
      await stop(s);
    }
  });
});

describe('station start-up problems are explained', () => {
  it('a second station on the same data directory exits 1 naming the path and the station holding it', async () => {
    const first = await station();
    try {
      const second = spawnMain('apps/station/src/main.ts', { ...first.env, GS_HTTP_PORT: String(await freePort()), GS_GRPC_PORT: String(await freePort()), GS_TERMINAL_PORT: String(await freePort()) });
      expect(await second.exit).toEqual({ code: 1, signal: null });
      expect(second.out.stderr).toContain(first.env['GS_DATA_DIR']!);
      expect(second.out.stderr).toMatch(/another station \(or another process\) is using this data directory/);
      expect(second.out.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      await stop(first);
    }
  });

  it('a data directory that cannot be written exits 1 naming the path and the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-ro-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    execFileSync('chattr', ['+i', data]); // read-only even for root
    try {
      const env = { ...(await localServiceEnv()), GS_DATA_DIR: data };
      const p = spawnMain('apps/station/src/main.ts', env);
      expect(await p.exit).toEqual({ code: 1, signal: null });
      expect(p.out.stderr).toContain(data);
      expect(p.out.stderr).toMatch(/not writable by this process/);
    } finally {
      execFileSync('chattr', ['-i', data]);
    }
  });

  it('warns about a misspelled setting with the name it was probably meant to be', async () => {
    const s = await station({ GS_BATCH_DELAY: '10' });
    try {
      expect(s.main.out.stderr).toContain('warning: GS_BATCH_DELAY is not a setting of any Gridstation service; it is ignored (did you mean GS_BATCH_DELAY_MS?)');
    } finally {
      await stop(s);
    }
  });
});
