import { connect, type Socket } from 'node:net';
import { createDlt698Deframer, dlt698 } from '@gridstation/protocols';
import { MeterModel } from './load-model';
import { deviceTime, meterIdOf, QUARTER_MS, type SimTerminalStats } from './sim-terminal';
import type { GroundTruth } from './truth';

// One simulated DL/T 698.45 concentrator with its meters, over a real TCP connection: it logs in with
// LINK-Request, keeps the link with heartbeats, and reports each round's collection as a
// REPORT-Notification-RecordList of its task records (60120300): one row per meter with the meter's
// address (202A0200), the storage time (60420200) and the values as the meter holds them -- energy in
// high precision (00100400, 0.0001 kWh), voltage (0.1 V), current (0.001 A), powers (0.1 W / var) and
// power factor (0.001). The ground truth is what a station must make of those: the model's values at
// the resolution sent, powers in kW, power factor as a ratio.

export interface SimTerminal698Options {
  host: string;
  port: number;
  region: string;
  terminal: number;
  meters: number;
  startMs: number;
  tzOffsetMinutes: number;
  heartbeatMs: number;
  seed: number;
}

/** Its server address: the region, a 9, then the terminal number (12 digits; never a meter's address). */
export const dlt698AddressOf = (region: string, terminal: number): string => `${region}9${String(terminal).padStart(7, '0')}`;

/** Rows per REPORT frame (about 190 bytes each; a frame stays far below the 16 KB without splitting). */
const ROWS_PER_FRAME = 40;

const COLUMNS = ['202A0200', '60420200', '00100400', '20000200', '20010200', '20040200', '20050200', '200A0200'].map((c) => ({ type: 'oad' as const, oad: dlt698.parseOad(c) }));

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const arr = (items: dlt698.Data[]): dlt698.Data => ({ type: 'array', items });
const int = (type: 'longUnsigned' | 'doubleLong' | 'long', v: number): dlt698.Data => ({ type, value: Math.round(v) });

export class SimTerminal698 {
  readonly models: MeterModel[];
  readonly stats: SimTerminalStats = { framesSent: 0, reportsLost: 0, frozenReadsAnswered: 0, frozenReadsDenied: 0, confirmed: 0, denied: 0, readsAnswered: 0, loggedIn: false, refused: false };
  private socket?: Socket;
  private piid = 0;
  private round = 0;
  private heartbeat?: NodeJS.Timeout;
  private loginWaiter?: (ok: boolean) => void;
  private closed = false;
  readonly server: dlt698.ServerAddress;
  /** The latest round's task record of each meter, by column OAD (what a record read answers). */
  private readonly latest = new Map<string, Map<string, dlt698.Data>>();

  constructor(
    readonly o: SimTerminal698Options,
    private readonly truth: GroundTruth,
  ) {
    this.models = Array.from({ length: o.meters }, (_, k) => new MeterModel(o.seed * 1000 + k + 1, o.tzOffsetMinutes));
    this.server = { type: 'single', logic: 0, address: dlt698AddressOf(o.region, o.terminal) };
  }

  /** The archive's name for it: its server address. */
  get key(): string {
    return this.server.address;
  }

  meterId(pn: number): string {
    return meterIdOf(this.o.terminal, pn, this.o.region);
  }

  get online(): boolean {
    return !this.closed && this.stats.loggedIn;
  }

  async connect(): Promise<boolean> {
    const socket = connect({ host: this.o.host, port: this.o.port, noDelay: true });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.closed = true;
      this.loginWaiter?.(false);
    });
    const deframer = createDlt698Deframer();
    socket.on('data', (chunk: Buffer) => {
      for (const ev of deframer.push(chunk)) if (ev.type === 'frame') this.onFrame(Uint8Array.from(ev.bytes));
    });
    const result = new Promise<boolean>((resolve) => (this.loginWaiter = resolve));
    this.sendLink('login');
    const ok = await result;
    this.loginWaiter = undefined;
    this.stats.loggedIn = ok;
    this.stats.refused = !ok;
    if (ok && this.o.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.sendLink('heartbeat'), this.o.heartbeatMs);
      this.heartbeat.unref();
    }
    return ok;
  }

  /** One round: the task records of every meter at the round's data time. */
  reportRound(): boolean {
    if (this.closed || !this.stats.loggedIn) return false;
    const at = this.o.startMs + this.round++ * QUARTER_MS;
    const stored: dlt698.Data = { type: 'dateTimeS', value: { ...deviceTime(at, this.o.tzOffsetMinutes) } };
    const rows = this.models.map((m, k) => this.row(k + 1, m, at, stored));
    rows.forEach((row, k) => this.latest.set(this.meterId(k + 1), new Map(COLUMNS.map((c, i) => [dlt698.oadText(c.oad), row[i]!]))));
    for (let i = 0; i < rows.length; i += ROWS_PER_FRAME) {
      const apdu: dlt698.Apdu = { kind: 'reportNotification', piid: this.nextPiid(), report: { type: 'recordList', results: [{ oad: dlt698.parseOad('60120300'), columns: COLUMNS, rows: rows.slice(i, i + ROWS_PER_FRAME) }] } };
      this.send(this.frame(apdu, 3));
    }
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

  /** One meter's row, and its ground truth. */
  private row(pn: number, m: MeterModel, at: number, stored: dlt698.Data): dlt698.Data[] {
    const s = m.snapshot(at);
    const energy = m.registers(at).activeImport;
    const meter = this.meterId(pn);
    const add = (quantity: string, value: number, tariff = 0) => this.truth.add({ meterId: meter, quantity, tariff, dataTimeMs: at, value });
    energy.forEach((v, t) => add('energy.active.import', v, t));
    (['a', 'b', 'c'] as const).forEach((ph, k) => {
      add(`voltage.${ph}`, s.u[k]!);
      add(`current.${ph}`, s.i[k]!);
    });
    const total = ['total', 'a', 'b', 'c'] as const;
    const p = [s.pTotal, ...s.p];
    const q = [s.qTotal, ...s.q];
    const pf = [s.pfTotal, ...s.pf];
    total.forEach((ph, k) => {
      add(`power.active.${ph}`, p[k]!);
      add(`power.reactive.${ph}`, q[k]!);
      add(`power_factor.${ph}`, pf[k]! / 100);
    });
    return [
      { type: 'tsa', address: meter, af: 5 },
      stored,
      arr(energy.map((v): dlt698.Data => ({ type: 'long64Unsigned', value: BigInt(Math.round(v * 10_000)) }))),
      arr(s.u.map((v) => int('longUnsigned', v * 10))),
      arr(s.i.map((v) => int('doubleLong', v * 1000))),
      arr(p.map((v) => int('doubleLong', v * 10_000))),
      arr(q.map((v) => int('doubleLong', v * 10_000))),
      arr(pf.map((v) => int('long', v * 10))),
    ];
  }

  private sendLink(request: 'login' | 'heartbeat'): void {
    const time = dlt698.epochMsToDateTime(Date.now(), this.o.tzOffsetMinutes);
    this.send(this.frame({ kind: 'linkRequest', piid: this.nextPiid(), request, heartbeatSeconds: Math.max(1, Math.round(this.o.heartbeatMs / 1000)), time }, 1));
  }

  private frame(apdu: dlt698.Apdu, fn: 1 | 3): Uint8Array {
    return must(dlt698.encodeDlt698Frame({ control: { fromServer: true, initiator: false, split: false, scrambled: false, function: fn }, server: this.server, client: 0, apdu: dlt698.encodeApdu(apdu) }));
  }

  private nextPiid(): number {
    this.piid = (this.piid + 1) & 0x3f;
    return this.piid;
  }

  private send(bytes: Uint8Array): void {
    if (this.closed || !this.socket) return;
    this.stats.framesSent++;
    this.socket.write(bytes);
  }

  private onFrame(bytes: Uint8Array): void {
    const f = dlt698.decodeDlt698Frame(bytes);
    if (!f.ok || f.value.control.fromServer) return;
    const a = dlt698.decodeApdu(f.value.apdu);
    if (!a.ok) return;
    if (a.value.kind === 'linkResponse') {
      const accepted = a.value.result === dlt698.LINK_RESULT.success;
      if (accepted) this.stats.confirmed++;
      else this.stats.denied++;
      this.loginWaiter?.(accepted);
      if (!accepted) this.socket?.end();
    } else if (a.value.kind === 'reportResponse') this.stats.confirmed++;
    else if (a.value.kind === 'getRequest' && f.value.control.initiator) this.answerGet(a.value);
  }

  /**
   * GET-Request: a record read of the task table (60120300, selector 10 with meter addresses) answers
   * each meter's latest record in the columns asked for; the device's own clock (40000200) and address
   * (40010200) are answered; anything else gets DAR 6 (object undefined).
   */
  private answerGet(req: Extract<dlt698.Apdu, { kind: 'getRequest' }>): void {
    const q = req.request;
    const own = (oad: dlt698.Oad): dlt698.ResultNormal => {
      const key = dlt698.oadText(oad);
      if (key === '40000200') return { oad, value: { type: 'dateTime', value: dlt698.epochMsToDateTime(Date.now(), this.o.tzOffsetMinutes) } };
      if (key === '40010200') return { oad, value: { type: 'octetString', bytes: Uint8Array.from(this.server.address.match(/../g)!.map((x) => parseInt(x, 16))) } };
      return { oad, dar: 6 };
    };
    let response: dlt698.GetResponse | undefined;
    if (q.type === 'normal') response = { type: 'normal', result: own(q.oad) };
    else if (q.type === 'normalList') response = { type: 'normalList', results: q.oads.map(own) };
    else if (q.type === 'record') {
      const ms = q.rsd.selector === 10 ? q.rsd.ms : undefined;
      const meters = ms?.type === 'addresses' ? ms.values : [...this.latest.keys()];
      const keys = q.rcsd.map((c) => (c.type === 'oad' ? dlt698.oadText(c.oad) : ''));
      const rows = meters.flatMap((m) => {
        const r = this.latest.get(m);
        return r ? [keys.map((k): dlt698.Data => r.get(k) ?? { type: 'null' })] : [];
      });
      response = { type: 'record', result: { oad: q.oad, columns: q.rcsd, ...(rows.length > 0 ? { rows } : { dar: 6 }) } };
    }
    if (!response) return;
    this.stats.readsAnswered++;
    this.send(must(dlt698.encodeDlt698Frame({ control: { fromServer: true, initiator: true, split: false, scrambled: false, function: 3 }, server: this.server, client: 0, apdu: dlt698.encodeApdu({ kind: 'getResponse', piid: req.piid, response }) })));
  }
}
