import { connect, type Socket } from 'node:net';
import { MemoryArchive } from '@gridstation/archive';
import { DeadLetter, Protocol, RawFrameBatch } from '@gridstation/contracts';
import { TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { createQgdwDeframer, qgdw1376 } from '@gridstation/protocols';
import { testLogger } from '@gridstation/testing';
import { MemoryRegistry } from './registry';
import { connectionLimit, DEFAULT_TERMINAL_SERVER, TerminalServer, type TerminalServerOptions } from './terminal-server';

// A real TCP socket against the server; the bus is a fake whose acknowledgements the test controls, to
// show that a terminal is confirmed only after its frame was acknowledged.

class GatedBus {
  readonly published: Array<{ topic: string; messages: readonly OutboundMessage[] }> = [];
  private gates: Array<() => void> = [];
  open = false;
  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (!this.open && topic === TOPICS.rawFrames) await new Promise<void>((r) => this.gates.push(r));
    this.published.push({ topic, messages });
  }
  release(): void {
    this.open = true;
    for (const g of this.gates.splice(0)) g();
  }
}

const address = (terminal: number) => ({ region: '4101', terminal, master: 0, group: false });
const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

function client(port: number): Promise<{ socket: Socket; frames: qgdw1376.QgdwFrame[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const frames: qgdw1376.QgdwFrame[] = [];
    const d = createQgdwDeframer();
    socket.on('data', (c: Buffer) => {
      for (const ev of d.push(c)) if (ev.type === 'frame') frames.push(must(qgdw1376.decodeQgdwFrame(Uint8Array.from(ev.bytes))));
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, frames, closed }));
    socket.once('error', reject);
  });
}

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function archiveWithTerminal7(): Promise<MemoryArchive> {
  const archive = new MemoryArchive();
  await archive.put([{ address: '4101-00007', meters: [{ pn: 1, meterId: '000000000001' }] }]);
  return archive;
}

describe('TerminalServer', () => {
  let server: TerminalServer;
  let bus: GatedBus;
  const registry = new MemoryRegistry();
  const serve = async (instanceId: string, archive: MemoryArchive, extra: Partial<TerminalServerOptions> = {}) => {
    const s = new TerminalServer({ ...DEFAULT_TERMINAL_SERVER, host: '127.0.0.1', port: 0, instanceId, grpcAddress: '127.0.0.1:1', publishLingerMs: 5, ...extra }, bus as unknown as MessageBus, archive, registry, testLogger());
    await s.start();
    return s;
  };

  beforeEach(async () => {
    bus = new GatedBus();
    server = await serve('i1', await archiveWithTerminal7());
  });
  afterEach(async () => {
    bus.release();
    await server.stop();
  });

  it('confirms a login only after the bus acknowledged the frame, and registers the connection', async () => {
    const c = await client(server.port);
    c.socket.write(must(qgdw1376.encodeLinkCheck('login', address(7), 3)));
    await until(() => server.stats().framesReceived === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames).toHaveLength(0); // not yet acknowledged -> not confirmed
    bus.release();
    await until(() => c.frames.length === 1);
    expect(c.frames[0]).toMatchObject({ afn: 0x00, seq: expect.objectContaining({ seq: 3 }) });
    expect(must(qgdw1376.decodeConfirm(c.frames[0]!))).toEqual({ kind: 'all-confirmed' });
    const published = RawFrameBatch.decode(bus.published.find((p) => p.topic === TOPICS.rawFrames)!.messages[0]!.value);
    expect(published.frames[0]).toMatchObject({ terminalAddress: '4101-00007', protocol: 1 });
    expect(await registry.owner('4101-00007')).toMatchObject({ instanceId: 'i1' });
    c.socket.destroy();
  });

  it('lists a terminal online with what it sent, keeps its traffic both ways for a watcher, and remembers it offline after it left', async () => {
    bus.release();
    const c = await client(server.port);
    const login = must(qgdw1376.encodeLinkCheck('login', address(7), 3));
    c.socket.write(login);
    await until(() => c.frames.length === 1);
    const conn = server.connectionOf('4101-00007')!;
    const seen: Array<[boolean, number]> = [];
    let ended = false;
    conn.watch((t) => seen.push([t.up, t.bytes.length]), () => (ended = true));
    const heartbeat = must(qgdw1376.encodeLinkCheck('heartbeat', address(7), 4));
    c.socket.write(heartbeat);
    await until(() => c.frames.length === 2);
    const [t] = server.terminals();
    expect(t).toMatchObject({ address: '4101-00007', online: true, protocol: Protocol.PROTOCOL_QGDW_1376_1, framesReceived: 2, disconnectedAtMs: 0 });
    expect(t!.lastSeenMs).toBeGreaterThanOrEqual(t!.connectedAtMs);
    // Held: the login read, its confirmation written, the heartbeat read, its confirmation written.
    expect(conn.recentTraffic().map((x) => [x.up, Buffer.from(x.bytes).toString('hex')])).toEqual([
      [true, Buffer.from(login).toString('hex')],
      [false, expect.stringMatching(/^68/)],
      [true, Buffer.from(heartbeat).toString('hex')],
      [false, expect.stringMatching(/^68/)],
    ]);
    expect(seen).toEqual([[true, heartbeat.length], [false, conn.recentTraffic()[3]!.bytes.length]]);
    c.socket.destroy();
    await until(() => server.terminals()[0]?.online === false);
    expect(ended).toBe(true);
    expect(server.terminals()[0]).toMatchObject({ address: '4101-00007', online: false, disconnectReason: 'closed by the terminal' });
    expect(server.terminals()[0]!.disconnectedAtMs).toBeGreaterThan(0);
  });

  it('refuses an unknown terminal with AFN 00 F2, closes it and counts it', async () => {
    bus.release();
    const c = await client(server.port);
    c.socket.write(must(qgdw1376.encodeLinkCheck('login', address(8), 1)));
    await c.closed;
    expect(c.frames.map((f) => must(qgdw1376.decodeConfirm(f)).kind)).toEqual(['all-denied']);
    expect(server.stats()).toMatchObject({ refusedLogins: 1, refusedFrames: 0, framesReceived: 0 });
  });

  it('denies data from a connection that has not logged in, and dead-letters a corrupted frame', async () => {
    bus.release();
    const c = await client(server.port);
    c.socket.write(must(qgdw1376.encodeLinkCheck('heartbeat', address(7), 2)));
    await until(() => c.frames.length === 1);
    expect(must(qgdw1376.decodeConfirm(c.frames[0]!)).kind).toBe('all-denied');
    const bad = must(qgdw1376.encodeLinkCheck('login', address(7), 4));
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
    c.socket.write(bad);
    await until(() => bus.published.some((p) => p.topic === TOPICS.deadLetter));
    expect(server.stats().badByCode['DEFRAME_CHECKSUM']).toBe(1);
    c.socket.destroy();
  });

  it('publishes frames that follow the login in the same TCP chunk, also when the archive answers slowly', async () => {
    bus.release();
    const slow = await archiveWithTerminal7();
    const lookup = slow.terminal.bind(slow);
    slow.terminal = async (t: string) => {
      await new Promise((r) => setTimeout(r, 50));
      return lookup(t);
    };
    const other = await serve('i2', slow);
    try {
      const c = await client(other.port);
      const report = must(qgdw1376.encodeClass1Response(address(7), 3, [{ pn: 1, fn: 129, values: [{ year: 2026, month: 11, day: 1, hour: 10, minute: 15, second: 0 }, 1, 1.5, 2.5] }]));
      c.socket.write(Buffer.concat([Buffer.from(must(qgdw1376.encodeLinkCheck('login', address(7), 1))), Buffer.from(report), Buffer.from(must(qgdw1376.encodeLinkCheck('heartbeat', address(7), 2)))]));
      await until(() => other.stats().framesPublished === 3);
      expect(other.stats()).toMatchObject({ refusedLogins: 0, refusedFrames: 0, framesReceived: 3, loggedIn: 1 });
      await until(() => c.frames.length === 2);
      expect(c.frames.map((f) => must(qgdw1376.decodeConfirm(f)).kind)).toEqual(['all-confirmed', 'all-confirmed']);
      c.socket.destroy();
    } finally {
      await other.stop();
    }
  });

  it('closes a socket that never logs in when the login deadline passes, and reports the garbage it dripped as one dead letter', async () => {
    bus.release();
    const quick = await serve('i3', await archiveWithTerminal7(), { loginDeadlineMs: 300 });
    try {
      const c = await client(quick.port);
      for (const b of [1, 2, 3, 4, 5]) c.socket.write(Uint8Array.of(b)); // a slow drip of garbage
      await c.closed;
      await until(() => quick.stats().connections === 0);
      expect(quick.stats()).toMatchObject({ loginDeadlineClosed: 1 });
      const dead = bus.published.filter((p) => p.topic === TOPICS.deadLetter).flatMap((p) => p.messages.map((m) => DeadLetter.decode(m.value)));
      expect(dead.map((d) => [d.code, Buffer.from(d.payload).toString('hex')])).toEqual([['DEFRAME_GARBAGE', '0102030405']]);
    } finally {
      await quick.stop();
    }
  });

  it('keeps one identity per socket: a second login as another terminal is refused and the first registration stays', async () => {
    bus.release();
    const archive = await archiveWithTerminal7();
    await archive.put([{ address: '4101-00009', meters: [] }]);
    const s2 = await serve('i4', archive);
    try {
      const a = await client(s2.port);
      a.socket.write(must(qgdw1376.encodeLinkCheck('login', address(7), 1)));
      await until(() => a.frames.length === 1);
      a.socket.write(must(qgdw1376.encodeLinkCheck('login', address(9), 2)));
      await until(() => a.frames.length === 2);
      expect(must(qgdw1376.decodeConfirm(a.frames[1]!)).kind).toBe('all-denied');
      expect(s2.stats()).toMatchObject({ loggedIn: 1, connections: 1, refusedLogins: 1 });
      expect(s2.connectionOf('4101-00007')).toBeDefined();
      expect(s2.connectionOf('4101-00009')).toBeUndefined();
      expect(await registry.owner('4101-00007')).toMatchObject({ instanceId: 'i4' });
      // Newest wins: the same terminal logging in on a new socket takes over, the old socket is closed.
      const b = await client(s2.port);
      b.socket.write(must(qgdw1376.encodeLinkCheck('login', address(7), 3)));
      await a.closed;
      await until(() => s2.stats().connections === 1);
      expect(s2.stats()).toMatchObject({ loggedIn: 1 });
      expect((await registry.owner('4101-00007'))?.connectionId).toBe(s2.connectionOf('4101-00007')!.id);
      b.socket.destroy();
    } finally {
      await s2.stop();
    }
  });

  it('takes DL/T 645 from a gateway only after it registered, and only for its meters; a stranger is refused, dead-lettered and closed', async () => {
    bus.release();
    const archive = await archiveWithTerminal7();
    await archive.put([{ address: 'GW0001', meters: [{ pn: 1, meterId: '665544332211' }] }]);
    const s3 = await serve('i5', archive, { maxRefusals: 3 });
    const reply = (addr: string) => {
      const f = Buffer.from(`68${addr}68910833333433${'33'.repeat(4)}0016`, 'hex');
      let cs = 0;
      for (let i = 0; i < f.length - 2; i++) cs = (cs + f[i]!) & 0xff;
      f[f.length - 2] = cs;
      return f;
    };
    try {
      const stranger = await client(s3.port);
      for (let i = 0; i < 5; i++) stranger.socket.write(reply('112233445566'));
      await stranger.closed;
      expect(s3.stats()).toMatchObject({ refusedFrames: 3, framesReceived: 0 });
      const gw = await client(s3.port);
      gw.socket.write(Buffer.concat([Buffer.from('REG:GW0001\r\n'), reply('112233445566'), reply('999999999999')]));
      await until(() => s3.stats().framesPublished === 1);
      expect(s3.stats()).toMatchObject({ refusedFrames: 4, loggedIn: 1 });
      const published = bus.published.filter((p) => p.topic === TOPICS.rawFrames).flatMap((p) => p.messages.flatMap((m) => RawFrameBatch.decode(m.value).frames));
      expect(published.map((f) => [f.protocol, f.terminalAddress])).toEqual([[Protocol.PROTOCOL_DLT645_2007, 'GW0001']]);
      const dead = bus.published.filter((p) => p.topic === TOPICS.deadLetter).flatMap((p) => p.messages.map((m) => DeadLetter.decode(m.value)));
      expect(new Set(dead.map((d) => d.code))).toEqual(new Set(['REFUSED_GATEWAY_NOT_IDENTIFIED', 'REFUSED_METER_NOT_BOUND']));
      gw.socket.destroy();
    } finally {
      await s3.stop();
    }
  });

  it('identifies a gateway by its source address when the allow-list names it', async () => {
    bus.release();
    const archive = await archiveWithTerminal7();
    await archive.put([{ address: 'GW0002', meters: [{ pn: 1, meterId: '665544332211' }] }]);
    const s4 = await serve('i6', archive, { gatewayAddresses: { '127.0.0.1': 'GW0002' } });
    try {
      const gw = await client(s4.port);
      await until(() => s4.stats().loggedIn === 1);
      expect(s4.connectionOf('GW0002')).toMatchObject({ identity: 'GW0002', terminal: undefined }); // a gateway, not a 1376.1 terminal
      gw.socket.destroy();
    } finally {
      await s4.stop();
    }
  });
});

describe('connectionLimit', () => {
  it('leaves file descriptors for the stores: never the whole open-file limit', () => {
    expect(connectionLimit(20_000, 20_000, 512)).toBe(18_000);
    expect(connectionLimit(20_000, 1024, 512)).toBe(512);
    expect(connectionLimit(500, 100_000, 512)).toBe(500);
    expect(connectionLimit(20_000, undefined, 512)).toBe(20_000);
  });
});
