import { connect, type Socket } from 'node:net';
import { ReadingQueryServiceClient, type GetCurveResponse, type Reading } from '@gridstation/contracts';
import { createQgdwDeframer, dlt645, qgdw1376 } from '@gridstation/protocols';
import { asActiveReport, deviceTime, mulberry32 } from '@gridstation/simulator';
import { httpGet, insecure, unary, waitFor } from '@gridstation/testing';

// A fuzz run against a running communication front door (the embedded station, or comm in front of the
// distributed pipeline). Honest terminals log in and report, and every report they are confirmed for
// must end up stored with its value. Meanwhile attack connections send random bytes, mutated valid
// frames, impostor frames (real terminals' and meters' addresses from sockets that never logged in, and
// DL/T 645 frames from sockets that never registered as a gateway), byte-at-a-time drips and floods of
// connections. Nothing an attacker sent may be stored, and the process must stay up with bounded memory.

export interface FuzzTarget {
  terminalPort: number;
  httpPort: number;
  /** Where ReadingQueryService answers (the station, or the storage service). */
  queryAddress: string;
  /** Resident memory of the processes under attack, MiB (sampled during the run). */
  rss(): Promise<number>;
}

export interface FuzzOptions {
  /** Frames (and garbage chunks) the attackers send in all. */
  frames: number;
  region: string;
  honestTerminals: number;
  reportsPerTerminal: number;
  attackConnections: number;
  seed: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  framesSent: number;
  byKind: Record<string, number>;
  connectionsOpened: number;
  honestReportsConfirmed: number;
  honestReadingsExpected: number;
  honestReadingsStored: number;
  missing: number;
  foreignValuesStored: number;
  victimReadingsStored: number;
  peakRssMb: number;
  firstRssMb: number;
  seconds: number;
  alive: boolean;
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** Honest terminals 1..n, victims (in the archive, never connected) after them; meters pn 1..2. */
export function fuzzArchive(o: Pick<FuzzOptions, 'region' | 'honestTerminals'>): Array<{ address: string; meters: Array<{ pn: number; meterId: string }> }> {
  const out = [];
  for (let t = 1; t <= o.honestTerminals + 5; t++) {
    out.push({ address: `${o.region}-${String(t).padStart(5, '0')}`, meters: [1, 2].map((pn) => ({ pn, meterId: meterOf(o.region, t, pn) })) });
  }
  // A gateway nobody registers as: its meter's DL/T 645 frames are what impostors send.
  out.push({ address: 'GWFUZZ', meters: [{ pn: 1, meterId: `${o.region}99999999`.slice(0, 12) }] });
  return out;
}

const meterOf = (region: string, t: number, pn: number) => `${region}${String(t).padStart(5, '0')}${String(pn).padStart(3, '0')}`;
const addr = (region: string, terminal: number) => ({ region, terminal, master: 0, group: false });

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket can take more (or is gone); attackers respect TCP backpressure so that the client process stays bounded too. */
function drained(s: Socket): Promise<void> {
  return s.writableNeedDrain ? new Promise((r) => (s.once('drain', r), s.once('close', r))) : Promise.resolve();
}

interface HonestFrame {
  readings: Array<{ meterId: string; dataTimeMs: number; quantity: string; tariff: number; value: number }>;
}

class HonestTerminal {
  private readonly sent: HonestFrame[] = [];
  readonly confirmed: HonestFrame[] = [];
  private socket?: Socket;

  constructor(
    private readonly region: string,
    private readonly terminal: number,
    private readonly start: number,
  ) {}

  async run(port: number, reports: number, pace: () => Promise<void>): Promise<void> {
    const s = await openSocket(port);
    this.socket = s;
    const d = createQgdwDeframer();
    s.on('data', (chunk: Buffer) => {
      for (const ev of d.push(chunk)) {
        if (ev.type !== 'frame') continue;
        const f = qgdw1376.decodeQgdwFrame(Uint8Array.from(ev.bytes));
        if (!f.ok || f.value.afn !== 0) continue;
        const frame = this.sent.shift();
        if (frame && must(qgdw1376.decodeConfirm(f.value)).kind === 'all-confirmed') this.confirmed.push(frame);
      }
    });
    const a = addr(this.region, this.terminal);
    this.sent.push({ readings: [] });
    s.write(must(qgdw1376.encodeLinkCheck('login', a, 0)));
    await waitFor(() => this.confirmed.length === 1, `terminal ${this.terminal} logged in`, 30_000, 5);
    for (let k = 0; k < reports; k++) {
      const at = this.start + k * 15 * 60_000;
      const units = [1, 2].map((pn) => ({ pn, fn: 129, values: [deviceTime(at, 480), 1, this.terminal * 1000 + k + pn / 10, k] as Array<number | ReturnType<typeof deviceTime>> }));
      const frame: HonestFrame = {
        readings: units.flatMap((u) => [
          { meterId: meterOf(this.region, this.terminal, u.pn), dataTimeMs: at, quantity: 'energy.active.import', tariff: 0, value: u.values[2] as number },
          { meterId: meterOf(this.region, this.terminal, u.pn), dataTimeMs: at, quantity: 'energy.active.import', tariff: 1, value: k },
        ]),
      };
      this.sent.push(frame);
      s.write(asActiveReport(must(qgdw1376.encodeClass1Response(a, 0, units)), k + 1));
      await pace();
    }
    await waitFor(() => this.sent.length === 0, `terminal ${this.terminal}'s reports answered`, 120_000, 20);
  }

  close(): void {
    this.socket?.destroy();
  }
}

type AttackKind = 'random' | 'mutated' | 'impostor-1376' | 'impostor-645' | 'unknown-login' | 'drip' | 'flood';
const KINDS: readonly AttackKind[] = ['random', 'mutated', 'impostor-1376', 'impostor-645', 'unknown-login', 'drip', 'flood'];

/** The value every impostor claims: it must never be stored. */
const IMPOSTOR_VALUE = 999999.99;

export async function runFrontDoorFuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const random = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const start = Math.floor((Date.now() - 2 * 86_400_000) / 900_000) * 900_000;
  const victims = Array.from({ length: 5 }, (_, i) => o.honestTerminals + 1 + i);
  const valid: Buffer[] = [];
  // Reports only: a mutation of a login-shaped frame could become a valid login of a real terminal,
  // which is that terminal as far as Q/GDW 1376.1 can tell (it has no cryptographic login).
  for (const t of [...victims, 1]) {
    const report = must(qgdw1376.encodeClass1Response(addr(o.region, t), 0, [{ pn: 1, fn: 129, values: [deviceTime(start, 480), 1, IMPOSTOR_VALUE, IMPOSTOR_VALUE] }]));
    valid.push(Buffer.from(asActiveReport(report, 1)));
  }
  const victimMeter645 = `${o.region}99999999`.slice(0, 12);
  valid.push(Buffer.from(must(dlt645.encodeReadReply(victimMeter645, '00010000', [IMPOSTOR_VALUE]))), Buffer.from(must(dlt645.encodeReadReply(meterOf(o.region, 1, 1), '00010000', [IMPOSTOR_VALUE]))));

  const byKind: Record<string, number> = {};
  let sent = 0;
  let opened = 0;
  let firstRss = 0;
  let peakRss = 0;
  const sample = async () => {
    const r = await target.rss().catch(() => 0);
    if (!firstRss) firstRss = r;
    peakRss = Math.max(peakRss, r);
  };
  await sample();
  const sampler = setInterval(() => void sample(), 2000);
  const count = (kind: string, n = 1) => {
    sent += n;
    byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  const done = () => sent >= o.frames;

  const attacker = async () => {
    while (!done()) {
      const kind = pick(KINDS);
      let s: Socket;
      try {
        s = await openSocket(target.terminalPort);
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the connection limit: wait for a slot
        continue;
      }
      opened++;
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      const closed = new Promise<void>((r) => s.once('close', () => r()));
      try {
        switch (kind) {
          case 'random':
            for (let i = 0; i < 200 && !s.destroyed && !done(); i++) {
              s.write(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256))));
              count(kind);
              await drained(s);
            }
            break;
          case 'mutated':
          case 'impostor-1376':
          case 'impostor-645': {
            const pool = kind === 'impostor-645' ? valid.slice(-2) : kind === 'impostor-1376' ? valid.slice(0, -2) : valid;
            for (let i = 0; i < 500 && !s.destroyed && !done(); i++) {
              const f = pick(pool);
              s.write(kind === 'mutated' ? mutateFrame(f, random) : f);
              count(kind);
              await drained(s);
            }
            break;
          }
          case 'unknown-login': {
            // A terminal the archive does not know, then its reports: refused, and closed.
            const a = addr(o.region, 60_000 + Math.floor(random() * 5000));
            s.write(must(qgdw1376.encodeLinkCheck('login', a, 0)));
            count(kind);
            for (let i = 0; i < 50 && !s.destroyed && !done(); i++) {
              s.write(asActiveReport(must(qgdw1376.encodeClass1Response(a, 0, [{ pn: 1, fn: 129, values: [deviceTime(start, 480), 1, IMPOSTOR_VALUE, 1] }])), i));
              count(kind);
              await drained(s);
            }
            break;
          }
          case 'drip':
            for (let i = 0; i < 100 && !s.destroyed && !done(); i++) {
              s.write(Uint8Array.of(Math.floor(random() * 256) | 1));
              count(kind);
              await new Promise((r) => setTimeout(r, 2));
            }
            break;
          case 'flood':
            // Connections opened and dropped at once, and a burst of frames from one of them.
            for (let i = 0; i < 20 && !done(); i++) {
              const extra = await openSocket(target.terminalPort).catch(() => undefined);
              if (extra) {
                opened++;
                extra.on('error', () => undefined);
                extra.destroy();
              }
              count(kind);
            }
            for (let i = 0; i < 1000 && !s.destroyed && !done(); i++) {
              s.write(valid[i % (valid.length - 2)]!);
              count(kind);
              if (i % 100 === 0) await drained(s);
            }
            break;
        }
      } finally {
        s.destroy();
        await closed;
      }
    }
  };

  const honest = Array.from({ length: o.honestTerminals }, (_, i) => new HonestTerminal(o.region, i + 1, start));
  const pace = () => new Promise<void>((r) => setTimeout(r, 15)); // well within the per-terminal frame rate
  const reporter = setInterval(() => log(`fuzz: ${sent} frames sent, ${opened} connections, peak RSS ${peakRss} MiB`), 5000);
  try {
    await Promise.all([...honest.map((h) => h.run(target.terminalPort, o.reportsPerTerminal, pace)), ...Array.from({ length: o.attackConnections }, attacker)]);
  } finally {
    clearInterval(reporter);
  }

  const expected = honest.flatMap((h) => h.confirmed.flatMap((f) => f.readings));
  const honestMeters = [...new Set(honest.flatMap((_, i) => [1, 2].map((pn) => meterOf(o.region, i + 1, pn))))];
  const victimMeters = [...victims.flatMap((t) => [1, 2].map((pn) => meterOf(o.region, t, pn))), victimMeter645];
  const key = (r: { meterId: string; dataTimeMs: number; quantity: string; tariff: number }) => `${r.meterId}|${r.dataTimeMs}|${r.quantity}|${r.tariff}`;
  const want = new Map(expected.map((r) => [key(r), r.value]));
  const client = new ReadingQueryServiceClient(target.queryAddress, insecure());
  const stored = async (meters: readonly string[]) => {
    const all: Reading[] = [];
    for (const meterId of meters) {
      let pageToken = '';
      do {
        const r = await unary<object, GetCurveResponse>(client, 'getCurve', { meterId, quantities: [], fromMs: start - 86_400_000, toMs: Date.now() + 86_400_000, pageSize: 5000, pageToken }, 30_000);
        all.push(...r.readings);
        pageToken = r.nextPageToken;
      } while (pageToken);
    }
    return all;
  };
  let honestStored: Reading[] = [];
  try {
    await waitFor(
      async () => {
        honestStored = await stored(honestMeters);
        const have = new Set(honestStored.map(key));
        return [...want.keys()].every((k) => have.has(k));
      },
      'every confirmed honest reading to be stored',
      120_000,
      1000,
    ).catch(() => undefined);
    const victimStored = await stored(victimMeters);
    clearInterval(sampler);
    await sample();
    const have = new Map(honestStored.map((r) => [key(r), r.value]));
    const alive = (await httpGet(target.httpPort, '/healthz').catch(() => ({ status: 0 }))).status === 200;
    return {
      framesSent: sent,
      byKind,
      connectionsOpened: opened,
      honestReportsConfirmed: honest.reduce((n, h) => n + h.confirmed.length - 1, 0),
      honestReadingsExpected: want.size,
      honestReadingsStored: [...want.keys()].filter((k) => have.get(k) === want.get(k)).length,
      missing: [...want.keys()].filter((k) => !have.has(k)).length,
      foreignValuesStored: honestStored.filter((r) => want.get(key(r)) !== r.value).length,
      victimReadingsStored: victimStored.length,
      peakRssMb: peakRss,
      firstRssMb: firstRss,
      seconds: Math.round((Date.now() - started) / 1000),
      alive,
    };
  } finally {
    clearInterval(sampler);
    client.close();
    for (const h of honest) h.close();
  }
}

/** A valid frame with a few bytes changed, inserted or dropped. */
function mutateFrame(f: Buffer, random: () => number): Buffer {
  const b = [...f];
  for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
    const at = Math.floor(random() * b.length);
    const op = Math.floor(random() * 3);
    if (op === 0) b[at] = Math.floor(random() * 256);
    else if (op === 1) b.splice(at, 0, Math.floor(random() * 256));
    else b.splice(at, 1);
  }
  return Buffer.from(b);
}
