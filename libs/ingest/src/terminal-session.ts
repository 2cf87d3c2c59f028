import { Protocol } from '@gridstation/contracts';
import { createAutoDeframer, dlt645, qgdw1376, type DeframeEvent, type Deframer } from '@gridstation/protocols';
import { TokenBucket } from './token-bucket';

// One terminal connection as a state machine. It reads bytes and says what should happen (decisions);
// the server carries them out (sockets, bus, archive, registry). It holds no reference to the server or
// the socket, so every rule of the protocol session is tested without a network.
//
//   anonymous --login frame--> checking (the archive is asked; frames behind the login wait) --known--> identified
//                                  |--unknown / archive unavailable--> refused and closed
//
// A session has one identity for its whole life: a second login with another address is refused (a
// socket cannot take over another terminal's registration).

export type RefusalReason = 'unknown_terminal' | 'archive_unavailable' | 'not_logged_in' | 'address_mismatch' | 'identity_change';

export type SessionDecision =
  /** Hand the frame to the publisher; send `confirm` to the terminal once the bus acknowledged it. */
  | { kind: 'publish'; key: string; protocol: Protocol; bytes: Uint8Array; terminal: string; confirm?: Uint8Array }
  /** Write these bytes to the terminal now. */
  | { kind: 'send'; bytes: Uint8Array }
  /** Ask the archive whether `terminal` may log in, then call loginChecked(). */
  | { kind: 'check-login'; terminal: string }
  /** This connection holds `terminal`: (re)register it in the connection registry. */
  | { kind: 'claim'; terminal: string }
  | { kind: 'refused'; reason: RefusalReason; terminal: string; afn: number }
  | { kind: 'bad-input'; code: string; reason: string; bytes?: Uint8Array; byteOffset: number }
  /** The token bucket ran dry: stop reading for `ms`. */
  | { kind: 'throttle'; ms: number }
  /** Stop reading until told to resume (frames are waiting for the login check). */
  | { kind: 'pause' }
  | { kind: 'resume' }
  /** A response (PRM = 0) that may answer a downlink request of this connection. */
  | { kind: 'reply'; frame: qgdw1376.QgdwFrame; bytes: Uint8Array }
  | { kind: 'close'; reason: string };

export interface SessionOptions {
  frameRatePerSec: number;
  frameBurst: number;
  /** DL/T 645 frames from serial-to-TCP gateways are accepted. */
  acceptDlt645: boolean;
  /** Frames held while the login is being checked, before reading pauses. */
  maxQueuedWhileChecking: number;
}

export const DEFAULT_SESSION: SessionOptions = { frameRatePerSec: 100, frameBurst: 500, acceptDlt645: true, maxQueuedWhileChecking: 64 };

type Phase = { name: 'anonymous' } | { name: 'checking'; terminal: string; login: qgdw1376.QgdwFrame; bytes: Uint8Array } | { name: 'identified'; terminal: string } | { name: 'closed' };

export class TerminalSession {
  private phase: Phase = { name: 'anonymous' };
  private readonly deframer: Deframer = createAutoDeframer();
  private readonly bucket: TokenBucket;
  /** Deframed input that arrived while the login was being checked, in arrival order. */
  private readonly queued: DeframeEvent[] = [];
  private paused = false;
  /** The terminal's address as it last sent it (A3 included): what downlink requests are addressed to. */
  address?: qgdw1376.QgdwAddress;

  constructor(
    private readonly options: SessionOptions = DEFAULT_SESSION,
    now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(options.frameRatePerSec, options.frameBurst, now);
  }

  /** The terminal this connection is identified as (after a successful login). */
  get terminal(): string | undefined {
    return this.phase.name === 'identified' ? this.phase.terminal : undefined;
  }

  get state(): Phase['name'] {
    return this.phase.name;
  }

  receive(chunk: Uint8Array): SessionDecision[] {
    return this.handleAll(this.deframer.push(chunk));
  }

  /** The peer ended the stream: whatever is left in the deframer. */
  finish(): SessionDecision[] {
    return this.handleAll(this.deframer.finish());
  }

  closed(): void {
    this.phase = { name: 'closed' };
    this.queued.length = 0;
  }

  /** The archive's answer to a check-login decision. */
  loginChecked(verdict: 'known' | 'unknown' | 'unavailable'): SessionDecision[] {
    const p = this.phase;
    if (p.name !== 'checking') return [];
    if (verdict !== 'known') {
      this.phase = { name: 'anonymous' };
      this.queued.length = 0;
      return [...this.refuse(p.login, verdict === 'unknown' ? 'unknown_terminal' : 'archive_unavailable', p.terminal), { kind: 'close', reason: `login refused: ${verdict} terminal ${p.terminal}` }];
    }
    this.phase = { name: 'identified', terminal: p.terminal };
    const out: SessionDecision[] = [{ kind: 'claim', terminal: p.terminal }, this.publishQgdw(p.login, p.bytes, p.terminal)];
    const waiting = this.queued.splice(0);
    out.push(...this.handleAll(waiting));
    if (this.paused) {
      this.paused = false;
      out.push({ kind: 'resume' });
    }
    return out;
  }

  private handleAll(events: readonly DeframeEvent[]): SessionDecision[] {
    const out: SessionDecision[] = [];
    for (const ev of events) {
      if (this.phase.name === 'closed') break;
      if (this.phase.name === 'checking') {
        this.queued.push(ev);
        if (!this.paused && this.queued.length >= this.options.maxQueuedWhileChecking) {
          this.paused = true;
          out.push({ kind: 'pause' });
        }
        continue;
      }
      this.handle(ev, out);
    }
    return out;
  }

  private handle(ev: DeframeEvent, out: SessionDecision[]): void {
    if (ev.type === 'error') {
      out.push({ kind: 'bad-input', code: `DEFRAME_${ev.code}`, reason: `${ev.message} at stream offset ${ev.offset} (${ev.length} bytes)`, byteOffset: ev.offset });
      return;
    }
    const bytes = Uint8Array.from(ev.bytes);
    const wait = this.bucket.take();
    if (wait > 0) out.push({ kind: 'throttle', ms: wait });
    if (ev.protocol === 'dlt645') {
      out.push(this.dlt645(bytes));
      return;
    }
    const d = qgdw1376.decodeQgdwFrame(bytes);
    if (!d.ok) {
      out.push({ kind: 'bad-input', code: `DECODE_${d.error.code}`, reason: d.error.message, bytes, byteOffset: d.error.offset });
      return;
    }
    const f = d.value;
    if (!f.control.up) {
      out.push({ kind: 'bad-input', code: 'UNEXPECTED_DIRECTION', reason: 'a downlink frame (DIR = 0) arrived from a terminal', bytes, byteOffset: 6 });
      return;
    }
    const terminal = qgdw1376.terminalKey(f.address);
    if (f.afn === qgdw1376.AFN.linkCheck && f.control.prm) {
      const kind = qgdw1376.decodeLinkCheck(f);
      if (!kind.ok) {
        out.push({ kind: 'bad-input', code: `DECODE_${kind.error.code}`, reason: kind.error.message, bytes, byteOffset: kind.error.offset });
        return;
      }
      if (kind.value === 'login') {
        const current = this.terminal;
        if (current !== undefined && current !== terminal) {
          out.push(...this.refuse(f, 'identity_change', terminal));
          return;
        }
        if (current === undefined) {
          this.address = f.address;
          this.phase = { name: 'checking', terminal, login: f, bytes };
          out.push({ kind: 'check-login', terminal });
          return;
        }
        out.push({ kind: 'claim', terminal });
      } else if (kind.value === 'heartbeat' && this.terminal === terminal) {
        out.push({ kind: 'claim', terminal });
      }
    }
    const identity = this.terminal;
    if (identity !== terminal) {
      out.push(...this.refuse(f, identity ? 'address_mismatch' : 'not_logged_in', terminal));
      return;
    }
    this.address = f.address;
    if (!f.control.prm) out.push({ kind: 'reply', frame: f, bytes });
    out.push(this.publishQgdw(f, bytes, terminal));
  }

  private publishQgdw(f: qgdw1376.QgdwFrame, bytes: Uint8Array, terminal: string): SessionDecision {
    const confirm = f.seq.con && f.control.prm ? qgdw1376.encodeConfirmAll(f) : undefined;
    return { kind: 'publish', key: terminal, protocol: Protocol.PROTOCOL_QGDW_1376_1, bytes, terminal, ...(confirm?.ok ? { confirm: confirm.value } : {}) };
  }

  private dlt645(bytes: Uint8Array): SessionDecision {
    if (!this.options.acceptDlt645) return { kind: 'bad-input', code: 'DLT645_NOT_ACCEPTED', reason: 'DL/T 645 frames are not accepted on this port', bytes, byteOffset: 0 };
    const address = dlt645.peekDlt645Address(bytes);
    if (!address.ok) return { kind: 'bad-input', code: `DECODE_${address.error.code}`, reason: address.error.message, bytes, byteOffset: address.error.offset };
    return { kind: 'publish', key: address.value, protocol: Protocol.PROTOCOL_DLT645_2007, bytes, terminal: '' };
  }

  /** A refused frame is denied (AFN 00 F2) when the terminal waits for an answer to it. */
  private refuse(f: qgdw1376.QgdwFrame, reason: RefusalReason, terminal: string): SessionDecision[] {
    const out: SessionDecision[] = [{ kind: 'refused', reason, terminal, afn: f.afn }];
    if (f.seq.con || f.afn === qgdw1376.AFN.linkCheck) {
      const deny = qgdw1376.encodeDenyAll(f);
      if (deny.ok) out.push({ kind: 'send', bytes: deny.value });
    }
    return out;
  }
}
