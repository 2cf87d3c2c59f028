import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { Direction, TerminalState, type ListTerminalsRequest, type ListTerminalsResponse, type TerminalStatus, type WatchTrafficRequest, type WatchTrafficResponse } from '@gridstation/contracts';
import { invalidArgument, notFound } from '@gridstation/errors';
import { TerminalServer, type Traffic } from './terminal-server';

const MAX_LIMIT = 10_000;

const chunk = (t: Traffic) => ({ atMs: t.atMs, direction: t.up ? Direction.DIRECTION_UPLINK : Direction.DIRECTION_DOWNLINK, bytes: Buffer.from(t.bytes), truncated: t.truncated });

/** TerminalService: the terminals this instance holds, and one terminal's traffic. */
@Controller()
export class TerminalController {
  constructor(@Inject(TerminalServer) private readonly server: TerminalServer) {}

  private get instanceId(): string {
    return this.server.options.instanceId;
  }

  @GrpcMethod('TerminalService', 'ListTerminals')
  listTerminals(req: ListTerminalsRequest): ListTerminalsResponse {
    const limit = Math.min(req.limit || 1000, MAX_LIMIT);
    const all = this.server.terminals().filter((t) => t.address.startsWith(req.prefix ?? ''));
    all.sort((a, b) => Number(b.online) - Number(a.online) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    const online = all.filter((t) => t.online).length;
    const terminals: TerminalStatus[] = all.slice(0, limit).map((t) => ({
      address: t.address,
      state: t.online ? TerminalState.TERMINAL_STATE_ONLINE : TerminalState.TERMINAL_STATE_OFFLINE,
      protocol: t.protocol,
      remote: t.remote,
      connectedAtMs: t.connectedAtMs,
      lastSeenMs: t.lastSeenMs,
      framesReceived: t.framesReceived,
      disconnectedAtMs: t.disconnectedAtMs,
      disconnectReason: t.disconnectReason,
      servedBy: this.instanceId,
    }));
    return { terminals, online, offline: all.length - online, truncated: all.length > limit };
  }

  @GrpcMethod('TerminalService', 'WatchTraffic')
  watchTraffic(req: WatchTrafficRequest): Observable<WatchTrafficResponse> {
    if (!req.terminal) throw invalidArgument('NO_TERMINAL', 'name the terminal to watch');
    const c = this.server.connectionOf(req.terminal);
    if (!c) throw notFound('TERMINAL_NOT_CONNECTED', `terminal ${req.terminal} is not connected to ${this.instanceId}`);
    return new Observable<WatchTrafficResponse>((sub) => {
      const recent = c.recentTraffic();
      for (const t of recent) sub.next({ chunk: chunk(t), caughtUp: false });
      sub.next({ chunk: undefined, caughtUp: true });
      if (req.recentOnly) {
        sub.complete();
        return undefined;
      }
      // The call ends when the connection does.
      return c.watch((t) => sub.next({ chunk: chunk(t), caughtUp: false }), () => sub.complete());
    });
  }
}
