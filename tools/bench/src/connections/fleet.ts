import { connect, type Socket } from 'node:net';
import { qgdw1376 } from '@gridstation/protocols';
import { fleetAddress, type FleetCommand, type FleetReport } from './fleet-protocol';

// One load process of the connection benchmark: a share of the terminals as bare TCP clients (login,
// heartbeats, nothing else), from its own source addresses in 127.0.0.0/8. Deliberately lean, so that
// its own CPU and memory stay small next to the comm process it measures: no per-terminal simulator
// state, frames prebuilt once, answers counted by their length field instead of decoded.

interface Terminal {
  index: number;
  socket?: Socket;
  /** Bytes of an answer split over reads. */
  rest?: Buffer;
  loggedIn: boolean;
  /** Logged in when the connections were last dropped (a storm reconnects exactly those). */
  held?: boolean;
  login?: (ok: boolean) => void;
  heartbeat: Buffer;
  loginFrame: Buffer;
}

const terminals = new Map<number, Terminal>();
let confirms = 0;
let denies = 0;
let heartbeatTimer: NodeJS.Timeout | undefined;
let outstanding = 0;
let flooding: (() => void) | undefined;

const send = (r: FleetReport) => process.send?.(r);

function frameOf(kind: 'login' | 'heartbeat', index: number): Buffer {
  const r = qgdw1376.encodeLinkCheck(kind, fleetAddress(index), 1);
  if (!r.ok) throw new Error(r.error.message);
  return Buffer.from(r.value);
}

/** Counts the station's answers: every frame it sends these clients is an AFN 00 confirm or deny. */
function onData(t: Terminal, chunk: Buffer): void {
  let b = t.rest ? Buffer.concat([t.rest, chunk]) : chunk;
  t.rest = undefined;
  while (b.length >= 6) {
    if (b[0] !== 0x68) {
      b = b.subarray(1);
      continue;
    }
    const len = 8 + ((b[1]! | (b[2]! << 8)) >> 2);
    if (b.length < len) break;
    // AFN at 12; the data unit's Fn group DT1 at 16: 01 = F1 all confirmed, 02 = F2 all denied.
    const ok = b[12] === 0x00 && b[16] === 0x01;
    if (ok) confirms++;
    else denies++;
    if (t.login) {
      const l = t.login;
      t.login = undefined;
      l(ok);
    } else if (outstanding > 0) {
      outstanding--;
      flooding?.();
    }
    b = b.subarray(len);
  }
  if (b.length > 0) t.rest = Buffer.from(b);
}

function open(t: Terminal, host: string, port: number, localAddress: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      t.loggedIn = ok;
      if (!ok) t.socket?.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const s = connect({ host, port, localAddress, noDelay: true });
    t.socket = s;
    s.on('connect', () => {
      t.login = finish;
      s.write(t.loginFrame);
    });
    s.on('data', (d: Buffer) => onData(t, d));
    s.on('error', () => finish(false));
    s.on('close', () => {
      t.loggedIn = false;
      finish(false);
    });
  });
}

async function connectRange(c: Extract<FleetCommand, { cmd: 'connect' }>): Promise<void> {
  const started = performance.now();
  let ok = 0;
  let failed = 0;
  let lastOkAt = started;
  let next = c.from;
  const perAddress = c.perSourceAddress;
  const worker = async () => {
    while (next < c.to) {
      const i = next++;
      if (c.onlyHeld && !terminals.get(i)?.held) continue;
      let t = terminals.get(i);
      if (!t) terminals.set(i, (t = { index: i, loggedIn: false, heartbeat: frameOf('heartbeat', i), loginFrame: frameOf('login', i) }));
      const local = `127.0.${1 + Math.floor(i / perAddress / 250)}.${2 + (Math.floor(i / perAddress) % 250)}`;
      if (await open(t, c.host, c.port, local, c.timeoutMs)) {
        ok++;
        lastOkAt = performance.now();
      } else failed++;
      if ((ok + failed) % 5000 === 0) send({ ev: 'progress', ok, failed });
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, worker));
  send({ ev: 'connected', ok, failed, ms: performance.now() - started, okMs: lastOkAt - started });
}

function startHeartbeats(intervalMs: number): void {
  if (heartbeatTimer) clearInterval(heartbeatTimer);
  heartbeatTimer = undefined;
  if (intervalMs <= 0) return;
  // Spread over the interval: a tick every 100 ms sends to the terminals whose slot it is.
  const list = [...terminals.values()];
  const ticks = Math.max(1, Math.round(intervalMs / 100));
  let tick = 0;
  heartbeatTimer = setInterval(() => {
    for (let i = tick % ticks; i < list.length; i += ticks) {
      const t = list[i]!;
      if (t.loggedIn) t.socket!.write(t.heartbeat);
    }
    tick++;
  }, 100);
}

/** Heartbeats as fast as the station answers, `window` unanswered at most, round-robin over the terminals. */
async function flood(durationMs: number, window: number): Promise<void> {
  const list = [...terminals.values()].filter((t) => t.loggedIn);
  const before = confirms;
  let at = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const end = setTimeout(() => {
      flooding = undefined;
      resolve();
    }, durationMs);
    end.unref();
    flooding = () => {
      while (outstanding < window && list.length > 0) {
        const t = list[at++ % list.length]!;
        if (!t.loggedIn) continue;
        outstanding++;
        t.socket!.write(t.heartbeat);
      }
    };
    flooding();
  });
  const ms = performance.now() - started;
  send({ ev: 'flooded', confirms: confirms - before, ms });
  // Let the answers still on their way come in before the next phase.
  await new Promise((r) => setTimeout(r, 2000));
  outstanding = 0;
}

async function dropAll(): Promise<void> {
  for (const t of terminals.values()) {
    t.held = t.loggedIn;
    t.loggedIn = false;
    t.socket?.destroy();
    t.socket = undefined;
    t.rest = undefined;
  }
  send({ ev: 'dropped', count: terminals.size });
}

process.on('message', (m: FleetCommand) => {
  const run = async () => {
    switch (m.cmd) {
      case 'connect':
        return connectRange(m);
      case 'heartbeats':
        return startHeartbeats(m.intervalMs);
      case 'flood':
        return flood(m.durationMs, m.window);
      case 'drop':
        return dropAll();
      case 'stats':
        return send({ ev: 'stats', loggedIn: [...terminals.values()].filter((t) => t.loggedIn).length, confirms, denies, rssBytes: process.memoryUsage().rss });
      case 'exit':
        if (heartbeatTimer) clearInterval(heartbeatTimer);
        await dropAll();
        process.exit(0);
    }
  };
  run().catch((e: unknown) => send({ ev: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
});
send({ ev: 'ready' });
