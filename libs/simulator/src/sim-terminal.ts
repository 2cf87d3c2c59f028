import { connect, type Socket } from 'node:net';
import { createQgdwDeframer, deviceTimeToEpochMs, dlt645, qgdw1376, type DeviceTime } from '@gridstation/protocols';
import { MeterModel, mulberry32, round, type Snapshot } from './load-model';
import type { GroundTruth } from './truth';

// One simulated concentrator (Q/GDW 1376.1 terminal) with its meters, over a real TCP connection.

export interface SimTerminalOptions {
  host: string;
  port: number;
  region: string;
  terminal: number;
  /** Meters behind it, pn 1..meters. */
  meters: number;
  /** First data time (ms, on a 15-minute boundary); each report round advances 15 minutes. */
  startMs: number;
  tzOffsetMinutes: number;
  heartbeatMs: number;
  seed: number;
  /** Every n-th round also sends one malformed frame (alternating bad checksum / bad content); 0 = never. */
  badFrameEvery: number;
  /** Every n-th round reports a power-off/on event; 0 = never. */
  eventEvery: number;
  /** Energy registers (F33) every n-th round (default every round). */
  energyEvery?: number;
  /** Share of active reports lost on the way (never reach the station; the terminal still holds the data). */
  lostReportRate?: number;
  /** The terminal answers reads after this long (a slow channel). */
  answerDelayMs?: number;
  /** How many days of curves the terminal keeps for reads (AFN 0DH). */
  curveMemoryDays?: number;
  /**
   * The terminal's area has a master meter at pn 1 whose energy register runs at the users' (pn 2..)
   * consumption times (1 + this rate): the area's line loss rate is then exactly 1 - 1 / (1 + rate).
   */
  areaLossRate?: number;
  /** Its clock is off by this much (ms, positive = ahead) until the station sets it (AFN 05H F31). */
  clockOffsetMs?: number;
}

export const QUARTER_MS = 15 * 60_000;

export const meterIdOf = (terminal: number, pn: number, region = '4101'): string => `${region}${String(terminal).padStart(5, '0')}${String(pn).padStart(3, '0')}`;

export function deviceTime(ms: number, tzOffsetMinutes: number): DeviceTime {
  const d = new Date(ms + tzOffsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: 0 };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Turns a response-shaped uplink frame into an active report: C = C4H (PRM = 1, user data), CON set. */
export function asActiveReport(bytes: Uint8Array, pseq: number): Uint8Array {
  const f = must(qgdw1376.decodeQgdwFrame(bytes));
  return must(qgdw1376.encodeQgdwFrame({ control: 0xc4, address: f.address, afn: f.afn, seq: 0x70 | (pseq & 0x0f), body: f.body }));
}

export interface SimTerminalStats {
  framesSent: number;
  /** Active reports dropped on the way (lostReportRate). */
  reportsLost: number;
  /** AFN 0DH reads answered, and answered with a denial (no such data). */
  frozenReadsAnswered: number;
  frozenReadsDenied: number;
  confirmed: number;
  denied: number;
  readsAnswered: number;
  loggedIn: boolean;
  refused: boolean;
}

/** An all-zero time: the end of a power-down record that is still open. */
const OPEN_END: DeviceTime = { year: 2000, month: 0, day: 0, hour: 0, minute: 0, second: 0 };

const ZERO_SNAPSHOT: Snapshot = { p: [0, 0, 0], pTotal: 0, q: [0, 0, 0], qTotal: 0, pf: [0, 0, 0], pfTotal: 0, u: [0, 0, 0], i: [0, 0, 0], iN: 0, s: [0, 0, 0], sTotal: 0 };

export class SimTerminal {
  readonly address: qgdw1376.QgdwAddress;
  readonly models: MeterModel[];
  private socket?: Socket;
  private pseq = 0;
  private round = 0;
  private heartbeat?: NodeJS.Timeout;
  private readonly history = new Map<number, Snapshot[]>();
  readonly stats: SimTerminalStats = { framesSent: 0, reportsLost: 0, frozenReadsAnswered: 0, frozenReadsDenied: 0, confirmed: 0, denied: 0, readsAnswered: 0, loggedIn: false, refused: false };
  private loginWaiter?: (ok: boolean) => void;
  /** Values already answered for (pn, Fn, minute): a repeated read within a minute gets the same answer. */
  private readonly answered = new Map<string, number[]>();
  private closed = false;
  /** Measurement points whose meter has no supply: they report zero voltage, current and power. */
  private readonly down = new Set<number>();
  private readonly downSince = new Map<number, number>();
  /** Device time (ms) of the last report round sent. */
  private lastRoundAt = 0;
  private poweredOffAt = 0;
  /** The channel is down (the terminal runs and keeps measuring; nothing reaches the station). */
  private commsDown = false;
  /** Curve points the terminal holds for reads: data time -> per pn index, total active power and phase A voltage. */
  private readonly curveMemory = new Map<number, { p: number[]; u: number[]; e: number[] }>();
  /** Its clock minus the real time. */
  clockOffsetMs: number;
  /** The users' active energy registers at the first read (the master meter counts from there). */
  private userBase: number[][] | undefined;
  private readonly lossRand: () => number;
  /** The terminal's meter configuration (F10), by device number: at first exactly its meters. */
  private readonly config = new Map<number, qgdw1376.MeterConfig>();

  constructor(
    readonly o: SimTerminalOptions,
    private readonly truth: GroundTruth,
  ) {
    this.address = { region: o.region, terminal: o.terminal, master: 0, group: false };
    this.models = Array.from({ length: o.meters }, (_, k) => new MeterModel(o.seed * 1000 + k + 1, o.tzOffsetMinutes));
    this.lossRand = mulberry32(o.seed * 7919 + o.terminal);
    for (let pn = 1; pn <= o.meters; pn++) this.config.set(pn, this.configOf(pn));
    this.clockOffsetMs = o.clockOffsetMs ?? 0;
  }

  /** The configuration entry of the meter at `pn` as installed (DL/T 645-2007 at 9600 baud on port 2). */
  configOf(pn: number): qgdw1376.MeterConfig {
    return { device: pn, pn, rateCode: 6, port: 2, protocol: 30, address: this.meterId(pn), password: '000000000000', tariffs: 4, integerDigits: 6, decimalDigits: 2, collector: '000000000000', userMajor: 5, userMinor: 1 };
  }

  /** Its configuration now, by device number. */
  configTable(): qgdw1376.MeterConfig[] {
    return [...this.config.values()].sort((a, b) => a.device - b.device);
  }

  /** Configuration that drifted from the archive: devices lost, addresses wrong, devices that should not be there. */
  misconfigure(o: { remove?: number[]; wrongAddress?: number[]; extra?: qgdw1376.MeterConfig[] }): void {
    for (const d of o.remove ?? []) this.config.delete(d);
    for (const d of o.wrongAddress ?? []) {
      const c = this.config.get(d);
      if (c) this.config.set(d, { ...c, address: '999999999999' });
    }
    for (const e of o.extra ?? []) this.config.set(e.device, e);
  }

  get key(): string {
    return qgdw1376.terminalKey(this.address);
  }

  meterId(pn: number): string {
    return meterIdOf(this.o.terminal, pn, this.o.region);
  }

  /** Connects and logs in; resolves false when the station refuses the login. */
  async connect(): Promise<boolean> {
    const socket = connect({ host: this.o.host, port: this.o.port, noDelay: true });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return; // an earlier connection, replaced since
      this.closed = true;
      this.loginWaiter?.(false);
    });
    const deframer = createQgdwDeframer();
    socket.on('data', (chunk: Buffer) => {
      for (const ev of deframer.push(chunk)) if (ev.type === 'frame') this.onFrame(Uint8Array.from(ev.bytes));
    });
    const result = new Promise<boolean>((resolve) => (this.loginWaiter = resolve));
    this.send(must(qgdw1376.encodeLinkCheck('login', this.address, this.nextSeq())));
    const ok = await result;
    this.loginWaiter = undefined;
    this.stats.loggedIn = ok;
    this.stats.refused = !ok;
    if (ok && this.o.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.send(must(qgdw1376.encodeLinkCheck('heartbeat', this.address, this.nextSeq()))), this.o.heartbeatMs);
      this.heartbeat.unref();
    }
    return ok;
  }

  /** One report round: current values (F25), energy (F33), every 4th round the hour's curves, and extras. */
  reportRound(): boolean {
    if (this.poweredOffAt > 0 && this.closed) {
      // Without supply: nothing is sent, but the device clock (and the rounds it misses) runs on.
      this.lastRoundAt = this.o.startMs + this.round++ * QUARTER_MS;
      return false;
    }
    if (this.commsDown) {
      // Measuring on, nothing sent: the curves stay in the terminal's memory for a later read.
      const k = this.round++;
      const at = this.o.startMs + k * QUARTER_MS;
      this.lastRoundAt = at;
      this.remember(at, this.models.map((m, i) => (this.down.has(i + 1) ? ZERO_SNAPSHOT : m.snapshot(at))));
      // The registers it holds meanwhile (a read of its energy curve answers them).
      for (let pn = 1; pn <= this.o.meters; pn++) this.truth.add({ meterId: this.meterId(pn), quantity: 'energy.active.import', tariff: 0, dataTimeMs: at, value: this.curveMemory.get(at)!.e[pn - 1]! });
      if (k % 4 === 3) this.sendCurves(at - 3 * QUARTER_MS, false);
      return false;
    }
    if (this.closed || !this.stats.loggedIn) return false;
    const k = this.round++;
    const at = this.o.startMs + k * QUARTER_MS;
    const tz = this.o.tzOffsetMinutes;
    const t = deviceTime(at, tz);
    this.lastRoundAt = at;
    const snaps = this.models.map((m, k) => (this.down.has(k + 1) ? ZERO_SNAPSHOT : m.snapshot(at)));
    this.remember(at, snaps);
    this.report(asActiveReport(this.class1Frame(1, snaps, t, at, 25), this.nextSeq()));
    if (k % (this.o.energyEvery ?? 1) === 0) this.report(asActiveReport(this.class1Frame(1, snaps, t, at, 33), this.nextSeq()));
    if (k % 4 === 3) this.sendCurves(at - 3 * QUARTER_MS);
    if (this.o.badFrameEvery > 0 && k % this.o.badFrameEvery === this.o.badFrameEvery - 1) this.sendMalformed(k, snaps, t);
    if (this.o.eventEvery > 0 && k % this.o.eventEvery === this.o.eventEvery - 1) this.sendPowerEvent(at);
    return true;
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const s = this.socket;
    if (!s || this.closed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 2000).unref();
    });
  }

  /** The device clock "now": a few minutes into the quarter after the last round. */
  deviceNow(minutes = 5): number {
    return (this.lastRoundAt || this.o.startMs - QUARTER_MS) + minutes * 60_000;
  }

  get online(): boolean {
    return !this.closed && this.stats.loggedIn;
  }

  /**
   * Meters at `pns` lose supply: from the next round they read zero, and (when `report`) the terminal
   * forwards each meter's open power-down record (DL/T 645 03110001, end time still empty) in one AFN 10
   * frame. Returns the wall time the records went out (0 = not sent).
   */
  meterPowerDown(pns: readonly number[], report: readonly number[] = pns): number {
    const at = this.deviceNow();
    for (const pn of pns) {
      this.down.add(pn);
      this.downSince.set(pn, at);
    }
    return this.forwardRecords(report.map((pn) => [pn, deviceTime(at, this.o.tzOffsetMinutes), OPEN_END]));
  }

  /** Supply back at `pns`: normal readings from the next round, and the closed power-down records. */
  meterPowerUp(pns: readonly number[], report: readonly number[] = pns): number {
    const at = this.deviceNow(8);
    const records: Array<[number, DeviceTime, DeviceTime]> = [];
    for (const pn of pns) {
      this.down.delete(pn);
      const since = this.downSince.get(pn) ?? at - 60_000;
      if (report.includes(pn)) records.push([pn, deviceTime(since, this.o.tzOffsetMinutes), deviceTime(at, this.o.tzOffsetMinutes)]);
    }
    return this.forwardRecords(records);
  }

  /** Sends the open power-down records of meters already without supply (late reports). */
  reportPowerDown(pns: readonly number[]): number {
    return this.forwardRecords(pns.map((pn) => [pn, deviceTime(this.downSince.get(pn) ?? this.deviceNow(), this.o.tzOffsetMinutes), OPEN_END]));
  }

  /** Sends a spurious power-down record for a meter that in fact has supply (noise). */
  spuriousPowerDown(pn: number): number {
    return this.forwardRecords([[pn, deviceTime(this.deviceNow(), this.o.tzOffsetMinutes), OPEN_END]]);
  }

  private forwardRecords(records: ReadonlyArray<[number, DeviceTime, DeviceTime]>): number {
    if (records.length === 0 || !this.online) return 0;
    const content = Buffer.concat(records.map(([pn, start, end]) => Buffer.from(must(dlt645.encodeReadReply(this.meterId(pn), '03110001', [start, end])))));
    this.send(asActiveReport(must(qgdw1376.encodeForwardResponse(this.address, 0, 31, content)), this.nextSeq()));
    return Date.now();
  }

  /**
   * The transformer area loses supply: the terminal sends its ERC14 power-off record (last gasp, when
   * `report`), optionally its meters' power-down records first, then goes silent (connection dropped).
   */
  powerOff(report = true, meterRecords: readonly number[] = []): number {
    this.poweredOffAt = this.deviceNow();
    let sent = 0;
    if (meterRecords.length > 0) sent = this.meterPowerDown(meterRecords);
    for (let pn = 1; pn <= this.o.meters; pn++) this.down.add(pn);
    if (report && this.online) {
      this.truth.eventRecords++;
      this.send(must(qgdw1376.encodePowerEventsReport(this.address, this.nextSeq(), this.truth.eventRecords & 0xff, 0, [{ powerOffAt: deviceTime(this.poweredOffAt, this.o.tzOffsetMinutes), powerOnAt: null }])));
      sent = Date.now();
    }
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.socket?.end(); // what was written (the last gasp) still goes out
    this.closed = true;
    return sent;
  }

  /** Supply back: reconnect, log in, send the closed ERC14 record; meters read normal again. */
  async powerOn(): Promise<number> {
    this.down.clear();
    this.closed = false;
    this.stats.loggedIn = false;
    if (!(await this.connect())) return 0;
    const on = this.deviceNow(9);
    this.truth.eventRecords++;
    this.send(must(qgdw1376.encodePowerEventsReport(this.address, this.nextSeq(), this.truth.eventRecords & 0xff, 0, [{ powerOffAt: deviceTime(this.poweredOffAt || on - 60_000, this.o.tzOffsetMinutes), powerOnAt: deviceTime(on, this.o.tzOffsetMinutes) }])));
    this.poweredOffAt = 0;
    return Date.now();
  }

  private nextSeq(): number {
    this.pseq = (this.pseq + 1) & 0x0f;
    return this.pseq;
  }

  private send(bytes: Uint8Array): void {
    if (this.closed || !this.socket) return;
    this.stats.framesSent++;
    this.socket.write(bytes);
  }

  /** Builds an AFN 0C response frame (F25 or F33) for every meter and records its values. */
  private class1Frame(rseq: number, snaps: Snapshot[], t: DeviceTime, at: number, fn: 25 | 33, record = true): Uint8Array {
    const units: qgdw1376.UnitToEncode[] = snaps.map((s, k) => {
      const pn = k + 1;
      const values = fn === 25 ? this.f25Values(s) : this.f33Values(pn, at);
      if (record) this.recordUnit(pn, fn, values, at);
      return { pn, fn, values: [t, ...values] };
    });
    return must(qgdw1376.encodeClass1Response(this.address, rseq, units));
  }

  private f25Values(s: Snapshot): number[] {
    return [s.pTotal, ...s.p, s.qTotal, ...s.q, s.pfTotal, ...s.pf, ...s.u, ...s.i, s.iN, s.sTotal, ...s.s];
  }

  private f33Values(pn: number, at: number): number[] {
    const r = this.models[pn - 1]!.registers(at);
    return [4, ...this.activeImport(pn, at), ...r.reactive1, ...r.reactiveQ1, ...r.reactiveQ4];
  }

  /** Forward active energy, total then tariffs 1..4; the area's master meter when areaLossRate is set. */
  private activeImport(pn: number, at: number): number[] {
    if (this.o.areaLossRate === undefined || pn !== 1) return this.models[pn - 1]!.registers(at).activeImport;
    const users = this.models.slice(1).map((m) => m.registers(at).activeImport);
    this.userBase ??= users.map((u) => [...u]);
    const k = 1 + this.o.areaLossRate;
    const base = [0, 1000, 3000, 3500, 2500];
    const tariffs = [1, 2, 3, 4].map((t) => round(base[t]! + k * users.reduce((s, u, i) => s + u[t]! - this.userBase![i]![t]!, 0), 4));
    return [round(tariffs.reduce((a, b) => a + b, 0), 4), ...tariffs];
  }

  /** Ground truth for one unit, named by the standard's element table (quantity and tariff per value). */
  private recordUnit(pn: number, fn: number, values: number[], at: number): void {
    const def = qgdw1376.CLASS1[fn]!;
    let k = 0;
    let count = 0;
    for (const el of def.elements) {
      if (!('series' in el) && el.name === 'meter reading time') continue;
      if (!('series' in el) && el.format === 'BIN1') {
        count = values[k++]!;
        continue;
      }
      const n = 'series' in el ? count + 1 : 1;
      for (let tariff = 0; tariff < n; tariff++) {
        const v = values[k++]!;
        if (!el.quantity) continue;
        const pf = el.quantity.startsWith('power_factor');
        this.truth.add({ meterId: this.meterId(pn), quantity: el.quantity, tariff: 'series' in el ? tariff : 0, dataTimeMs: at, value: pf ? v / 100 : v });
      }
    }
  }

  /** The channel goes down for a while (the terminal keeps running and measuring). */
  goOffline(): void {
    this.commsDown = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.socket?.destroy();
    this.closed = true;
  }

  /** The channel is back: reconnect and log in. */
  async comeBack(): Promise<boolean> {
    this.commsDown = false;
    this.closed = false;
    this.stats.loggedIn = false;
    return this.connect();
  }

  private remember(at: number, snaps: Snapshot[]): void {
    this.history.set(at, snaps);
    this.history.delete(at - 8 * QUARTER_MS);
    this.curveMemory.set(at, { p: snaps.map((s) => s.pTotal), u: snaps.map((s) => s.u[0]), e: snaps.map((_, i) => this.activeImport(i + 1, at)[0]!) });
    this.curveMemory.delete(at - (this.o.curveMemoryDays ?? 7) * 96 * QUARTER_MS);
  }

  /** An active report, unless the channel loses it. */
  private report(bytes: Uint8Array): void {
    if ((this.o.lostReportRate ?? 0) > 0 && this.lossRand() < this.o.lostReportRate!) {
      this.stats.reportsLost++;
      return;
    }
    this.send(bytes);
  }

  /** AFN 0D F81 (total active power) and F89 (phase A voltage) curves of the hour ending at the last round. */
  private sendCurves(from: number, send = true): void {
    const points = [0, 1, 2, 3].map((i) => from + i * QUARTER_MS);
    const series = points.map((p) => this.history.get(p));
    if (series.some((s) => !s)) return;
    const start = deviceTime(from, this.o.tzOffsetMinutes);
    const units: qgdw1376.FrozenToEncode[] = [];
    this.models.forEach((_, k) => {
      const pn = k + 1;
      const power = series.map((s) => s![k]!.pTotal);
      const volts = series.map((s) => s![k]!.u[0]);
      units.push({ pn, fn: 81, start, density: 1, values: power }, { pn, fn: 89, start, density: 1, values: volts });
      points.forEach((p, i) => {
        this.truth.add({ meterId: this.meterId(pn), quantity: 'power.active.total', tariff: 0, dataTimeMs: p, value: power[i]! });
        this.truth.add({ meterId: this.meterId(pn), quantity: 'voltage.a', tariff: 0, dataTimeMs: p, value: volts[i]! });
      });
    });
    if (send) this.report(asActiveReport(must(qgdw1376.encodeClass2Response(this.address, 0, units)), this.nextSeq()));
  }

  /** Answers an AFN 0D read (curves F81/F89/F101, daily freeze F161) from what it holds (the rest is "no data"); denies when it holds none. */
  private answerFrozen(f: qgdw1376.QgdwFrame): void {
    const req = qgdw1376.decodeClass2Request(f);
    const tz = this.o.tzOffsetMinutes;
    const units: qgdw1376.FrozenToEncode[] = [];
    let held = 0;
    if (req.ok) {
      for (const u of req.value) {
        if (u.fn === 161 && this.models[u.pn - 1]) {
          // The daily freeze of a day: the energy register at its start (total only, no tariffs).
          const m = this.curveMemory.get(deviceTimeToEpochMs(u.start, tz));
          if (m) held++;
          units.push({ pn: u.pn, fn: 161, start: u.start, values: [m ? m.e[u.pn - 1]! : null] });
          continue;
        }
        if ((u.fn !== 81 && u.fn !== 89 && u.fn !== 101) || (u.density ?? 1) !== 1 || !this.models[u.pn - 1]) continue;
        const first = deviceTimeToEpochMs(u.start, tz);
        const values = Array.from({ length: u.points ?? 1 }, (_, i) => {
          const m = this.curveMemory.get(first + i * QUARTER_MS);
          if (!m) return null;
          held++;
          return u.fn === 81 ? m.p[u.pn - 1]! : u.fn === 89 ? m.u[u.pn - 1]! : m.e[u.pn - 1]!;
        });
        units.push({ pn: u.pn, fn: u.fn, start: u.start, density: 1, values });
      }
    }
    // Nothing held: all denied.
    const bytes = held > 0 ? must(qgdw1376.encodeClass2Response(this.address, f.seq.seq, units)) : this.answerConfirm(f.seq.seq, false);
    if (held > 0) this.stats.frozenReadsAnswered++;
    else this.stats.frozenReadsDenied++;
    const delay = this.o.answerDelayMs ?? 0;
    if (delay > 0) setTimeout(() => this.send(bytes), delay).unref();
    else this.send(bytes);
  }

  /** AFN 0AH F10: the configured devices of those asked for. */
  private answerParameterQuery(f: qgdw1376.QgdwFrame): void {
    const q = qgdw1376.decodeQueryParameters(f);
    const items: qgdw1376.ParameterItem[] = [];
    if (q.ok) for (const x of q.value) if (x.fn === 10) items.push({ fn: 10, value: x.devices.flatMap((d) => (this.config.has(d) ? [this.config.get(d)!] : [])) });
    this.send(items.length ? must(qgdw1376.encodeQueryParametersResponse(this.address, f.seq.seq, items)) : this.answerConfirm(f.seq.seq, false));
  }

  /** AFN 04H F10: entries replace the devices' configuration (measurement point 0 removes one); confirmed. */
  private applyParameters(f: qgdw1376.QgdwFrame): void {
    const set = qgdw1376.decodeSetParameters(f);
    if (set.ok) {
      for (const it of set.value.items) {
        if (it.fn !== 10) continue;
        for (const e of it.value) {
          if (e.pn === 0) this.config.delete(e.device);
          else this.config.set(e.device, e);
        }
      }
    }
    this.send(this.answerConfirm(f.seq.seq, set.ok));
  }

  /** AFN 05H F31: its clock is set to the time sent; confirmed. Other control commands are denied. */
  private applyTimeSet(f: qgdw1376.QgdwFrame): void {
    const t = qgdw1376.decodeTimeSet(f);
    if (t.ok) this.clockOffsetMs = deviceTimeToEpochMs(t.value.time, this.o.tzOffsetMinutes) - Date.now();
    this.send(this.answerConfirm(f.seq.seq, t.ok));
  }

  /** AFN 00H F1 (all confirmed) or F2 (all denied), as a response (C = 88H). */
  private answerConfirm(rseq: number, confirmed: boolean): Uint8Array {
    return must(qgdw1376.encodeQgdwFrame({ control: 0x88, address: this.address, afn: qgdw1376.AFN.confirm, seq: 0x60 | rseq, body: Uint8Array.of(0x00, 0x00, confirmed ? 0x01 : 0x02, 0x00) }));
  }

  private sendMalformed(k: number, snaps: Snapshot[], t: DeviceTime): void {
    const good = asActiveReport(this.class1Frame(1, snaps.slice(0, 1), t, 0, 25, false), this.nextSeq());
    const bad = Uint8Array.from(good);
    if (Math.floor((k + 1) / this.o.badFrameEvery) % 2 === 1) {
      bad[bad.length - 2] = (bad[bad.length - 2]! + 1) & 0xff; // checksum off by one
      this.truth.badChecksumFrames++;
    } else {
      // The reading time's month byte (A.15) becomes 0x13: valid BCD, impossible month; checksum fixed.
      const f = must(qgdw1376.decodeQgdwFrame(bad));
      const body = Uint8Array.from(f.body);
      body[4 + 3] = 0x13;
      const again = must(qgdw1376.encodeQgdwFrame({ control: 0xc4, address: f.address, afn: f.afn, seq: f.seq.raw, body }));
      bad.set(again);
      this.truth.badContentFrames++;
    }
    this.send(bad);
  }

  private sendPowerEvent(at: number): void {
    const off = deviceTime(at - 10 * 60_000, this.o.tzOffsetMinutes);
    const on = deviceTime(at - 5 * 60_000, this.o.tzOffsetMinutes);
    this.truth.eventRecords++;
    this.send(must(qgdw1376.encodePowerEventsReport(this.address, this.nextSeq(), this.truth.eventRecords & 0xff, 0, [{ powerOffAt: off, powerOnAt: on }])));
  }

  private onFrame(bytes: Uint8Array): void {
    const d = qgdw1376.decodeQgdwFrame(bytes);
    if (!d.ok || d.value.control.up) return;
    const f = d.value;
    if (f.afn === qgdw1376.AFN.confirm) {
      const c = qgdw1376.decodeConfirm(f);
      const ok = c.ok && c.value.kind === 'all-confirmed';
      if (ok) this.stats.confirmed++;
      else this.stats.denied++;
      this.loginWaiter?.(ok);
      return;
    }
    if (f.afn === qgdw1376.AFN.class1 && f.control.prm) this.answerRead(f);
    if (f.afn === qgdw1376.AFN.class2 && f.control.prm) this.answerFrozen(f);
    if (f.afn === qgdw1376.AFN.queryParameters && f.control.prm) this.answerParameterQuery(f);
    if (f.afn === qgdw1376.AFN.setParameters && f.control.prm) this.applyParameters(f);
    if (f.afn === qgdw1376.AFN.control && f.control.prm) this.applyTimeSet(f);
  }

  /** Answers an AFN 0C read with the values of the current minute (recorded as ground truth too). */
  private answerRead(f: qgdw1376.QgdwFrame): void {
    const wanted: Array<{ pn: number; fn: number }> = [];
    for (let at = 0; at + 4 <= f.body.length; at += 4) {
      const pns = qgdw1376.decodePn(f.body[at]!, f.body[at + 1]!);
      const fns = qgdw1376.decodeFn(f.body[at + 2]!, f.body[at + 3]!);
      if (pns === 'all') continue;
      for (const pn of pns) for (const fn of fns) wanted.push({ pn, fn });
    }
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const t = deviceTime(now, this.o.tzOffsetMinutes);
    const units: qgdw1376.UnitToEncode[] = [];
    for (const w of wanted) {
      if (w.pn === 0 && w.fn === 2) {
        const c = new Date(Date.now() + this.clockOffsetMs + this.o.tzOffsetMinutes * 60_000);
        units.push({ pn: 0, fn: 2, values: [{ year: c.getUTCFullYear(), month: c.getUTCMonth() + 1, day: c.getUTCDate(), hour: c.getUTCHours(), minute: c.getUTCMinutes(), second: c.getUTCSeconds() }] });
        continue;
      }
      const model = this.models[w.pn - 1];
      if (!model || (w.fn !== 25 && w.fn !== 33)) continue;
      const key = `${w.pn}|${w.fn}|${now}`;
      let values = this.answered.get(key);
      if (!values) {
        values = w.fn === 25 ? this.f25Values(model.snapshot(now)) : this.f33Values(w.pn, now);
        this.answered.set(key, values);
        this.recordUnit(w.pn, w.fn, values, now);
      }
      units.push({ pn: w.pn, fn: w.fn, values: [t, ...values] });
    }
    if (units.length === 0) return;
    this.stats.readsAnswered++;
    this.send(must(qgdw1376.encodeClass1Response(this.address, f.seq.seq, units)));
  }
}
