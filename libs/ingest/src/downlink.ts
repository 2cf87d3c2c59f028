import { GsError, type ErrorKind } from '@gridstation/errors';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { DownlinkServiceClient, type ReadCurrentDataRequest, type ReadCurrentDataResponse } from '@gridstation/contracts';
import type { DeviceArchive } from '@gridstation/archive';
import { normalizeFrame, qgdw1376 } from '@gridstation/protocols';
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
const DEFAULT_TIMEOUT_MS = 10_000;

export class Downlink {
  private readonly clients = new Map<string, DownlinkServiceClient>();

  constructor(
    private readonly server: TerminalServer,
    private readonly registry: ConnectionRegistry,
    private readonly archive: DeviceArchive,
    private readonly instanceId: string,
    private readonly tzOffsetMinutes = 480,
  ) {}

  async readCurrentData(req: ReadCurrentDataRequest, deadlineMs: number, forwardedBy?: string): Promise<ReadCurrentDataResponse> {
    if (!/^\d{4}-\d{5}$/.test(req.terminalAddress)) throw new DownlinkError('INVALID_ARGUMENT', 'terminal_address must look like "4101-00018"');
    if (req.fns.length === 0) throw new DownlinkError('INVALID_ARGUMENT', 'fns must name at least one AFN 0CH Fn');
    // Checked here rather than by a terminal timing out on a request it cannot parse: Q/GDW 1376.1 has
    // measurement points 0..2040, and a read asks for class 1 items this station can decode.
    if (!Number.isInteger(req.measurementPoint) || req.measurementPoint < 0 || req.measurementPoint > 2040) {
      throw new DownlinkError('INVALID_ARGUMENT', `measurement_point must be 0..2040 (got ${req.measurementPoint})`);
    }
    const unknown = req.fns.filter((fn) => !qgdw1376.CLASS1[fn]);
    if (unknown.length > 0) throw new DownlinkError('INVALID_ARGUMENT', `AFN 0CH F${unknown.slice(0, 5).join(', F')} ${unknown.length === 1 ? 'is' : 'are'} not a class 1 item this station reads (known: F${Object.keys(qgdw1376.CLASS1).join(', F')})`);
    const timeoutMs = Math.max(1, Math.min(req.timeoutMs || DEFAULT_TIMEOUT_MS, deadlineMs - Date.now()));
    const session = this.server.connectionOf(req.terminalAddress);
    if (session?.address) {
      const pseq = session.nextSeq();
      const request = qgdw1376.encodeClass1Request({ ...session.address, group: false }, pseq, req.fns.map((fn) => ({ pn: req.measurementPoint, fn })));
      if (!request.ok) throw new DownlinkError('INVALID_ARGUMENT', request.error.message);
      const sent = Date.now();
      let reply;
      try {
        reply = await session.request(request.value, (f) => f.afn === qgdw1376.AFN.class1 && f.seq.seq === pseq, timeoutMs);
      } catch (e) {
        throw new DownlinkError('DEADLINE_EXCEEDED', e instanceof Error ? e.message : String(e));
      }
      const t = await this.archive.terminal(req.terminalAddress);
      const byPn = new Map((t?.meters ?? []).map((m) => [m.pn, m.meterId]));
      const n = normalizeFrame('qgdw1376', reply.bytes, {
        receivedAtMs: reply.atMs,
        tzOffsetMinutes: this.tzOffsetMinutes,
        source: { frameId: '', topic: '', partition: -1, offset: -1, indexInBatch: 0 },
        meterOf: (_t, pn) => byPn.get(pn),
      });
      return {
        readings: n.ok ? n.value.readings : [],
        replyFrame: Buffer.from(reply.bytes),
        servedBy: this.instanceId,
        roundTripMs: reply.atMs - sent,
      };
    }
    if (forwardedBy) throw new DownlinkError('NOT_FOUND', `terminal ${req.terminalAddress} is not connected to ${this.instanceId} (forwarded by ${forwardedBy})`);
    const owner = await this.registry.owner(req.terminalAddress);
    if (!owner || owner.instanceId === this.instanceId) throw new DownlinkError('NOT_FOUND', `terminal ${req.terminalAddress} is not connected`);
    return this.forward(owner.grpcAddress, req, deadlineMs);
  }

  private forward(address: string, req: ReadCurrentDataRequest, deadlineMs: number): Promise<ReadCurrentDataResponse> {
    let client = this.clients.get(address);
    if (!client) this.clients.set(address, (client = new DownlinkServiceClient(address, credentials.createInsecure())));
    const md = new Metadata();
    md.set(FORWARDED_HEADER, this.instanceId);
    return new Promise((resolve, reject) => {
      client.readCurrentData(req, md, { deadline: new Date(deadlineMs) }, (err: ServiceError | null, res?: ReadCurrentDataResponse) => {
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
