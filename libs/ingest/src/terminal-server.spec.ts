import { connect, type Socket } from 'node:net';
import { MemoryArchive } from '@gridstation/archive';
import { RawFrameBatch } from '@gridstation/contracts';
import { TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { createQgdwDeframer, qgdw1376 } from '@gridstation/protocols';
import { testLogger } from '@gridstation/testing';
import { MemoryRegistry } from './registry';
import { DEFAULT_TERMINAL_SERVER, TerminalServer } from './terminal-server';

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
  const serve = async (instanceId: string, archive: MemoryArchive) => {
    const s = new TerminalServer({ ...DEFAULT_TERMINAL_SERVER, host: '127.0.0.1', port: 0, instanceId, grpcAddress: '127.0.0.1:1', publishLingerMs: 5 }, bus as unknown as MessageBus, archive, registry, testLogger());
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

  it('refuses an unknown terminal with AFN 00 F2, closes it and counts it', async () => {
    bus.release();
    const c = await client(server.port);
    c.socket.write(must(qgdw1376.encodeLinkCheck('login', address(8), 1)));
    await c.closed;
    expect(c.frames.map((f) => must(qgdw1376.decodeConfirm(f)).kind)).toEqual(['all-denied']);
    expect(server.stats()).toMatchObject({ refused: 1, framesReceived: 0 });
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
      expect(other.stats()).toMatchObject({ refused: 0, framesReceived: 3, loggedIn: 1 });
      await until(() => c.frames.length === 2);
      expect(c.frames.map((f) => must(qgdw1376.decodeConfirm(f)).kind)).toEqual(['all-confirmed', 'all-confirmed']);
      c.socket.destroy();
    } finally {
      await other.stop();
    }
  });
});
