import { GsError, type ErrorKind } from '@gridstation/errors';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  DownlinkServiceClient,
  type MeterConfigEntry,
  type ReadCurrentDataRequest,
  type ReadCurrentDataResponse,
  type ReadFrozenDataRequest,
  type ReadFrozenDataResponse,
  type ReadClockRequest,
  type ReadClockResponse,
  type ObjectResult,
  type ReadObjectsRequest,
  type ReadObjectsResponse,
  type ReadMeterConfigRequest,
  type ReadMeterConfigResponse,
  type SetClockRequest,
  type SetClockResponse,
  type WriteMeterConfigRequest,
  type WriteMeterConfigResponse,
} from '@gridstation/contracts';
import type { DeviceArchive } from '@gridstation/archive';
import { deviceTimeToEpochMs, dlt698, epochMsToDeviceTime, normalizeFrame, qgdw1376, type DeviceTime } from '@gridstation/protocols';
import type { ConnectionRegistry } from './registry';
import type { TerminalServer } from './terminal-server';

// Downlink reads: served locally when this instance holds the terminal's connection, otherwise
// forwarded once (marked, so it is never forwarded again) to the instance the registry names.

type DownlinkErrorCode = 'NOT_FOUND' | 'DEADLINE_EXCEEDED' | 'UNAVAILABLE' | 'INVALID_ARGUMENT';
const KIND: Record<DownlinkErrorCode, ErrorKind> = { NOT_FOUND: 'not-found', DEADLINE_EXCEEDED: 'deadline-exceeded', UNAVAILABLE: 'unavailable', INVALID_ARGUMENT: 'invalid-argument' };

export class DownlinkError extends GsError {
  constructor(code: DownlinkErrorCode, message: string) {
    super(KIND[code], code, message);
    this.name = 'DownlinkError';
  }
}

export const FORWARDED_HEADER = 'gs-forwarded-by';

type Invoke<T> = (c: DownlinkServiceClient, md: Metadata, o: { deadline: Date }, cb: (err: ServiceError | null, res?: T) => void) => void;

/** A request's turn at a terminal this instance holds: its address, its SEQ, and the send-and-wait. */
interface LocalTurn {
  address: qgdw1376.QgdwAddress;
  pseq: number;
  ask(request: { ok: true; value: Uint8Array } | { ok: false; error: { message: string } }, match: (f: qgdw1376.QgdwFrame) => boolean, timeoutMs: number): Promise<{ frame: qgdw1376.QgdwFrame; bytes: Uint8Array; atMs: number; roundTripMs: number }>;
}

const confirmed = (f: qgdw1376.QgdwFrame): boolean => {
  const c = qgdw1376.decodeConfirm(f);
  return c.ok && c.value.kind === 'all-confirmed';
};
const DEFAULT_TIMEOUT_MS = 10_000;
const QUARTER_MS = 15 * 60_000;
const ADDRESS = /^\d{4}-\d{5}$/;
/** A DL/T 698.45 server address as the station keys it: BCD digits, 2 to 32 of them. */
const SERVER_ADDRESS = /^(?:\d{2}){1,16}$/;
const OAD_TEXT = /^[0-9a-fA-F]{8}$/;
const METER_ADDRESS = /^\d{12}$/;

export class Downlink {
  private readonly clients = new Map<string, DownlinkServiceClient>();
  /** Per terminal, the end of the last request queued for it: a terminal takes one request at a time. */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly server: TerminalServer,
    private readonly registry: ConnectionRegistry,
    private readonly archive: DeviceArchive,
    private readonly instanceId: string,
    private readonly tzOffsetMinutes = 480,
  ) {}

  async readCurrentData(req: ReadCurrentDataRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadCurrentDataResponse> {
    if (req.fns.length === 0) throw new DownlinkError('INVALID_ARGUMENT', 'fns must name at least one AFN 0CH Fn');
    // Checked here rather than by a terminal timing out on a request it cannot parse: Q/GDW 1376.1 has
    // measurement points 0..2040, and a read asks for class 1 items this station can decode.
    if (!Number.isInteger(req.measurementPoint) || req.measurementPoint < 0 || req.measurementPoint > 2040) {
      throw new DownlinkError('INVALID_ARGUMENT', `measurement_point must be 0..2040 (got ${req.measurementPoint})`);
    }
    const unknown = req.fns.filter((fn) => !qgdw1376.CLASS1[fn]);
    if (unknown.length > 0) throw new DownlinkError('INVALID_ARGUMENT', `AFN 0CH F${unknown.slice(0, 5).join(', F')} ${unknown.length === 1 ? 'is' : 'are'} not a class 1 item this station reads (known: F${Object.keys(qgdw1376.CLASS1).join(', F')})`);
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.readCurrentData(req, md, o, cb), async (t) => {
      const request = qgdw1376.encodeClass1Request(t.address, t.pseq, req.fns.map((fn) => ({ pn: req.measurementPoint, fn })));
      const reply = await t.ask(request, (f) => f.afn === qgdw1376.AFN.class1, req.timeoutMs);
      return { readings: await this.decode(req.terminalAddress, reply), replyFrame: Buffer.from(reply.bytes), servedBy: this.instanceId, roundTripMs: reply.roundTripMs };
    });
  }

  async readFrozenData(req: ReadFrozenDataRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadFrozenDataResponse> {
    if (req.units.length === 0 || req.units.length > 16) throw new DownlinkError('INVALID_ARGUMENT', `units: 1 to 16 per request (got ${req.units.length})`);
    const problems: string[] = [];
    for (const [i, u] of req.units.entries()) {
      const def = qgdw1376.CLASS2[u.fn];
      if (!def) problems.push(`units[${i}]: F${u.fn} is not an AFN 0DH item this station reads (known: F${Object.keys(qgdw1376.CLASS2).join(', F')})`);
      if (!Number.isInteger(u.measurementPoint) || u.measurementPoint < 1 || u.measurementPoint > 2040) problems.push(`units[${i}]: measurement_point must be 1..2040 (got ${u.measurementPoint})`);
      if (def?.kind === 'curve') {
        if (!(u.points >= 1 && u.points <= 255)) problems.push(`units[${i}]: points must be 1..255 (got ${u.points})`);
        if (Number(u.startMs) % QUARTER_MS !== 0) problems.push(`units[${i}]: start_ms must be on a 15-minute boundary`);
      }
    }
    if (problems.length) throw new DownlinkError('INVALID_ARGUMENT', problems.join('; '));
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.readFrozenData(req, md, o, cb), async (t) => {
      const units = req.units.map((u) => ({ pn: u.measurementPoint, fn: u.fn, start: epochMsToDeviceTime(Number(u.startMs), this.tzOffsetMinutes), density: 1, points: u.points || 1 }));
      const reply = await t.ask(qgdw1376.encodeClass2Request(t.address, t.pseq, units), (f) => f.afn === qgdw1376.AFN.class2 || f.afn === qgdw1376.AFN.confirm, req.timeoutMs);
      const common = { replyFrame: Buffer.from(reply.bytes), servedBy: this.instanceId, roundTripMs: reply.roundTripMs };
      if (reply.frame.afn === qgdw1376.AFN.confirm) return { readings: [], ...common, denied: !confirmed(reply.frame) };
      return { readings: await this.decode(req.terminalAddress, reply), ...common, denied: false };
    });
  }

  /** AFN 0AH F10: the terminal's meter configuration for the devices asked for. */
  async readMeterConfig(req: ReadMeterConfigRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadMeterConfigResponse> {
    if (req.devices.length === 0 || req.devices.length > 64 || req.devices.some((d) => !(d >= 1 && d <= 2040))) throw new DownlinkError('INVALID_ARGUMENT', 'devices: 1 to 64 device numbers, each 1..2040');
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.readMeterConfig(req, md, o, cb), async (t) => {
      const reply = await t.ask(qgdw1376.encodeQueryParameters(t.address, t.pseq, [{ fn: 10, devices: req.devices }]), (f) => f.afn === qgdw1376.AFN.queryParameters || f.afn === qgdw1376.AFN.confirm, req.timeoutMs);
      if (reply.frame.afn === qgdw1376.AFN.confirm) return { entries: [], servedBy: this.instanceId };
      const items = qgdw1376.decodeQueryParametersResponse(reply.frame);
      if (!items.ok) throw new DownlinkError('UNAVAILABLE', `terminal ${req.terminalAddress} answered with an F10 the station cannot read: ${items.error.message}`);
      return { entries: items.value.flatMap((i) => (i.fn === 10 ? i.value.map(toEntry) : [])), servedBy: this.instanceId };
    });
  }

  /** AFN 04H F10: writes meter configuration entries; resolves with whether the terminal confirmed. */
  async writeMeterConfig(req: WriteMeterConfigRequest, deadlineMs: number, forwardedBy?: string): Promise<WriteMeterConfigResponse> {
    if (req.entries.length === 0 || req.entries.length > 16) throw new DownlinkError('INVALID_ARGUMENT', 'entries: 1 to 16 per call');
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.writeMeterConfig(req, md, o, cb), async (t) => {
      const reply = await t.ask(qgdw1376.encodeSetParameters(t.address, t.pseq, [{ fn: 10, value: req.entries.map(fromEntry) }]), (f) => f.afn === qgdw1376.AFN.confirm, req.timeoutMs);
      return { confirmed: confirmed(reply.frame), servedBy: this.instanceId };
    });
  }

  /** AFN 0CH F2: the terminal's clock against the station's (taken halfway through the round trip). */
  async readClock(req: ReadClockRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadClockResponse> {
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.readClock(req, md, o, cb), async (t) => {
      const reply = await t.ask(qgdw1376.encodeClass1Request(t.address, t.pseq, [{ pn: 0, fn: 2 }]), (f) => f.afn === qgdw1376.AFN.class1, req.timeoutMs);
      const p = qgdw1376.decodeClass1(reply.frame);
      const clock = p.ok ? p.value.units.find((u) => u.fn === 2)?.values[0]?.value : undefined;
      if (!clock || typeof clock !== 'object') throw new DownlinkError('UNAVAILABLE', `terminal ${req.terminalAddress} answered AFN 0CH F2 without a clock${p.ok ? '' : `: ${p.error.message}`}`);
      const terminalMs = deviceTimeToEpochMs(clock as DeviceTime, this.tzOffsetMinutes);
      const stationMs = Math.round(reply.atMs - reply.roundTripMs / 2);
      return { terminalMs, stationMs, driftMs: terminalMs - stationMs, roundTripMs: reply.roundTripMs, servedBy: this.instanceId };
    });
  }

  /** AFN 05H F31: sets the terminal's clock to the station's; resolves with whether it confirmed. */
  async setClock(req: SetClockRequest, deadlineMs: number, forwardedBy?: string): Promise<SetClockResponse> {
    return this.route(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.setClock(req, md, o, cb), async (t) => {
      const now = Date.now();
      const reply = await t.ask(qgdw1376.encodeTimeSet(t.address, t.pseq, epochMsToDeviceTime(now, this.tzOffsetMinutes)), (f) => f.afn === qgdw1376.AFN.confirm, req.timeoutMs);
      return { confirmed: confirmed(reply.frame), setToMs: Math.floor(now / 1000) * 1000, servedBy: this.instanceId };
    });
  }

  /** DL/T 698.45 GET: the device's own objects, or the latest collected records of meters behind it. */
  async readObjects(req: ReadObjectsRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadObjectsResponse> {
    const problems: string[] = [];
    if (!SERVER_ADDRESS.test(req.terminalAddress)) problems.push('terminal_address must be the server address (an even number of digits, e.g. "410190000201")');
    if (req.oads.length === 0 || req.oads.length > 32) problems.push(`oads: 1 to 32 (got ${req.oads.length})`);
    const badOads = req.oads.filter((o) => !OAD_TEXT.test(o));
    if (badOads.length) problems.push(`oads must be 8 hex digits each (not ${badOads.slice(0, 3).map((o) => JSON.stringify(o)).join(', ')})`);
    if (req.meters.length > 32 || req.meters.some((m) => !METER_ADDRESS.test(m))) problems.push('meters: at most 32 addresses of 12 digits');
    if (problems.length) throw new DownlinkError('INVALID_ARGUMENT', problems.join('; '));
    const conn = this.server.connectionOf(req.terminalAddress);
    const link = conn?.link698;
    if (!conn || !link) {
      if (conn) throw new DownlinkError('INVALID_ARGUMENT', `terminal ${req.terminalAddress} does not speak DL/T 698.45`);
      return this.elsewhere(req.terminalAddress, deadlineMs, forwardedBy, (c, md, o, cb) => c.readObjects(req, md, o, cb));
    }
    return this.inTurn(req.terminalAddress, deadlineMs, async () => {
      const piid = conn.nextPiid();
      const oads = req.oads.map((o) => dlt698.parseOad(o));
      const request: dlt698.GetRequest =
        req.meters.length === 0
          ? oads.length === 1
            ? { type: 'normal', oad: oads[0]! }
            : { type: 'normalList', oads }
          : {
              type: 'record',
              oad: dlt698.parseOad('60120300'),
              rsd: { selector: 10, last: 1, ms: { type: 'addresses', values: req.meters } },
              rcsd: ['202A0200', '60420200', ...req.oads].map((o) => ({ type: 'oad' as const, oad: dlt698.parseOad(o) })),
            };
      const frame = dlt698.encodeDlt698Frame({
        control: { fromServer: false, initiator: true, split: false, scrambled: false, function: 3 },
        server: link.server,
        client: link.client,
        apdu: dlt698.encodeApdu({ kind: 'getRequest', piid, request }),
      });
      if (!frame.ok) throw new DownlinkError('INVALID_ARGUMENT', frame.error.message);
      const timeoutMs = Math.max(1, Math.min(req.timeoutMs || DEFAULT_TIMEOUT_MS, deadlineMs - Date.now()));
      const sent = Date.now();
      let reply: { apdu: dlt698.Apdu; bytes: Uint8Array; atMs: number };
      try {
        reply = await conn.request698(frame.value, (a) => (a.kind === 'getResponse' || a.kind === 'errorResponse') && (a.piid & 0x3f) === piid, timeoutMs);
      } catch (e) {
        throw new DownlinkError('DEADLINE_EXCEEDED', e instanceof Error ? e.message : String(e));
      }
      const common = { replyFrame: Buffer.from(reply.bytes), servedBy: this.instanceId, roundTripMs: reply.atMs - sent };
      if (reply.apdu.kind === 'errorResponse') throw new DownlinkError('UNAVAILABLE', `terminal ${req.terminalAddress} answered ERROR-Response ${reply.apdu.error}`);
      return { ...common, readings: await this.decode698(req.terminalAddress, reply), results: reply.apdu.kind === 'getResponse' ? resultsOf(reply.apdu.response) : [] };
    });
  }

  /**
   * Where every request goes: to the terminal when this instance holds its connection (in the
   * terminal's turn: one request at a time, the reply matched by its SEQ), otherwise forwarded once to
   * the instance the registry names.
   */
  private route<T>(terminal: string, deadlineMs: number, forwardedBy: string | undefined, invoke: Invoke<T>, here: (t: LocalTurn) => Promise<T>): Promise<T> {
    if (!ADDRESS.test(terminal)) return Promise.reject(new DownlinkError('INVALID_ARGUMENT', 'terminal_address must look like "4101-00018"'));
    const session = this.server.connectionOf(terminal);
    if (!session?.address) return this.elsewhere(terminal, deadlineMs, forwardedBy, invoke);
    const address = { ...session.address, group: false };
    return this.inTurn(terminal, deadlineMs, () => {
      const pseq = session.nextSeq();
      return here({
        address,
        pseq,
        ask: async (request, match, timeout) => {
          if (!request.ok) throw new DownlinkError('INVALID_ARGUMENT', request.error.message);
          const timeoutMs = Math.max(1, Math.min(timeout || DEFAULT_TIMEOUT_MS, deadlineMs - Date.now()));
          const sent = Date.now();
          try {
            const reply = await session.request(request.value, (f) => match(f) && f.seq.seq === pseq, timeoutMs);
            return { ...reply, roundTripMs: reply.atMs - sent };
          } catch (e) {
            throw new DownlinkError('DEADLINE_EXCEEDED', e instanceof Error ? e.message : String(e));
          }
        },
      });
    });
  }

  /** Not connected here: forwarded once to the instance that holds the terminal. */
  private async elsewhere<T>(terminal: string, deadlineMs: number, forwardedBy: string | undefined, invoke: Invoke<T>): Promise<T> {
    if (forwardedBy) throw new DownlinkError('NOT_FOUND', `terminal ${terminal} is not connected to ${this.instanceId} (forwarded by ${forwardedBy})`);
    const owner = await this.registry.owner(terminal);
    if (!owner || owner.instanceId === this.instanceId) throw new DownlinkError('NOT_FOUND', `terminal ${terminal} is not connected`);
    return this.call(owner.grpcAddress, deadlineMs, invoke);
  }

  /** Runs `f` when the terminal's earlier requests are done; gives up if its turn comes after the deadline. */
  private inTurn<T>(terminal: string, deadlineMs: number, f: () => Promise<T>): Promise<T> {
    const before = this.turns.get(terminal) ?? Promise.resolve();
    const mine = before.then(() => (Date.now() >= deadlineMs ? Promise.reject(new DownlinkError('DEADLINE_EXCEEDED', `terminal ${terminal} was busy with earlier requests until the deadline`)) : f()));
    const settled = mine.catch(() => undefined);
    this.turns.set(terminal, settled);
    void settled.then(() => {
      if (this.turns.get(terminal) === settled) this.turns.delete(terminal);
    });
    return mine;
  }

  private async decode(terminal: string, reply: { bytes: Uint8Array; atMs: number }) {
    const t = await this.archive.terminal(terminal);
    const byPn = new Map((t?.meters ?? []).map((m) => [m.pn, m.meterId]));
    const n = normalizeFrame('qgdw1376', reply.bytes, {
      receivedAtMs: reply.atMs,
      tzOffsetMinutes: this.tzOffsetMinutes,
      source: { frameId: '', topic: '', partition: -1, offset: -1, indexInBatch: 0 },
      meterOf: (_t, pn) => byPn.get(pn),
    });
    return n.ok ? n.value.readings : [];
  }

  private async decode698(terminal: string, reply: { bytes: Uint8Array; atMs: number }) {
    const t = await this.archive.terminal(terminal);
    const own = t?.meters.find((m) => m.pn === 0)?.meterId;
    const n = normalizeFrame('dlt698', reply.bytes, {
      receivedAtMs: reply.atMs,
      tzOffsetMinutes: this.tzOffsetMinutes,
      source: { frameId: '', topic: '', partition: -1, offset: -1, indexInBatch: 0 },
      meterOf: (_t, pn) => (pn === 0 ? own : undefined),
    });
    return n.ok ? n.value.readings : [];
  }

  private call<T>(address: string, deadlineMs: number, invoke: Invoke<T>): Promise<T> {
    let client = this.clients.get(address);
    if (!client) this.clients.set(address, (client = new DownlinkServiceClient(address, credentials.createInsecure())));
    const md = new Metadata();
    md.set(FORWARDED_HEADER, this.instanceId);
    return new Promise((resolve, reject) => {
      invoke(client, md, { deadline: new Date(deadlineMs) }, (err, res) => {
        if (err) {
          const code = err.code === status.NOT_FOUND ? 'NOT_FOUND' : err.code === status.DEADLINE_EXCEEDED ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE';
          reject(new DownlinkError(code, `${address}: ${err.details || err.message}`));
        } else resolve(res!);
      });
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** What the device said per OAD (normal reads) or per record table (record reads). */
function resultsOf(r: dlt698.GetResponse): ObjectResult[] {
  const normal = (x: dlt698.ResultNormal): ObjectResult => ({ oad: dlt698.oadText(x.oad).toUpperCase(), dar: x.value ? 0 : (x.dar ?? 255) });
  const record = (x: dlt698.ResultRecord): ObjectResult => ({ oad: dlt698.oadText(x.oad).toUpperCase(), dar: x.rows ? 0 : (x.dar ?? 255) });
  switch (r.type) {
    case 'normal':
      return [normal(r.result)];
    case 'normalList':
      return r.results.map(normal);
    case 'record':
      return [record(r.result)];
    case 'recordList':
      return r.results.map(record);
    case 'next':
      return [...(r.results ?? []).map(normal), ...(r.records ?? []).map(record)];
  }
}

const toEntry = (m: qgdw1376.MeterConfig): MeterConfigEntry => ({
  device: m.device,
  measurementPoint: m.pn,
  rateCode: m.rateCode,
  port: m.port,
  protocol: m.protocol,
  address: m.address,
  tariffs: m.tariffs,
  integerDigits: m.integerDigits,
  decimalDigits: m.decimalDigits,
  collector: m.collector,
  userMajor: m.userMajor,
  userMinor: m.userMinor,
});

const fromEntry = (e: MeterConfigEntry): qgdw1376.MeterConfig => ({
  device: e.device,
  pn: e.measurementPoint,
  rateCode: e.rateCode,
  port: e.port,
  protocol: e.protocol,
  address: e.address,
  password: '000000000000',
  tariffs: e.tariffs,
  integerDigits: e.integerDigits || 6,
  decimalDigits: e.decimalDigits || 2,
  collector: e.collector || '000000000000',
  userMajor: e.userMajor,
  userMinor: e.userMinor,
});
