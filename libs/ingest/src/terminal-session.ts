import { Protocol } from '@gridstation/contracts';
import { createAutoDeframer, dlt645, dlt698, qgdw1376, type DeframeEvent, type Deframer } from '@gridstation/protocols';
import { TokenBucket } from '@gridstation/edge';

// One terminal connection as a state machine. It reads bytes and says what should happen (decisions);
// the server carries them out (sockets, bus, archive, registry). It holds no reference to the server or
// the socket, so every rule of the protocol session is tested without a network.
//
//   anonymous --1376.1 or 698.45 login----> checking --archive knows it--> identified (terminal)
//             --gateway registration------>          --unknown / archive unavailable--> refused, closed
//             (or a source address on the gateway allow-list, see the server)        --> identified (gateway)
//
// Frames behind a login or registration wait until the archive answered. A session has one identity
// for its whole life: a second login with another address is refused. A DL/T 698.45 terminal is known
// by its server address (SA); its login and heartbeat are answered with LINK-Response, its REPORT-
// Notification with REPORT-Response, both only once the bus has the frame; a refused 698.45 login gets
// LINK-Response "illegal device" (the standard's refusal), other refused 698.45 frames go to the
// dead-letter topic (there is no deny in 698.45). DL/T 645 frames are taken only
// from an identified session, and only for meters the archive binds to it (a serial-to-TCP gateway, or a
// terminal that forwards its meters' frames); anything else is refused and dead-lettered with the reason.
// A connection that keeps sending what is refused, or keeps sending garbage, is closed.

export type RefusalReason =
  | 'unknown_terminal'
  | 'unknown_gateway'
  | 'archive_unavailable'
  | 'not_logged_in'
  | 'address_mismatch'
  | 'identity_change'
  | 'gateway_not_identified'
  | 'meter_not_bound';

/** Refusals of an attempt to log in (or register), as opposed to refused frames. */
export const LOGIN_REFUSALS: ReadonlySet<RefusalReason> = new Set(['unknown_terminal', 'unknown_gateway', 'archive_unavailable', 'identity_change']);

export type SessionDecision =
  /** Hand the frame to the publisher; send `confirm` to the terminal once the bus acknowledged it. */
  | { kind: 'publish'; key: string; protocol: Protocol; bytes: Uint8Array; terminal: string; confirm?: Uint8Array }
  /** Write these bytes to the terminal now. */
  | { kind: 'send'; bytes: Uint8Array }
  /** Ask the archive whether this terminal or gateway exists (and which meters it holds), then call identityChecked(). */
  | { kind: 'check-identity'; identity: Identity }
  /** This connection holds `id`: (re)register it in the connection registry. */
  | { kind: 'claim'; id: string }
  /** Refused; `deadLetter` carries the frame when it goes to the dead-letter topic (DL/T 645 has no deny). */
  | { kind: 'refused'; reason: RefusalReason; id: string; afn: number; deadLetter?: Uint8Array }
  /** Undecodable input; `report` false when this connection's dead-letter budget is spent (counted only). */
  | { kind: 'bad-input'; code: string; reason: string; bytes: Uint8Array; byteOffset: number; report: boolean }
  /** The token bucket ran dry: stop reading for `ms`. */
  | { kind: 'throttle'; ms: number }
  /** Stop reading until told to resume (frames are waiting for the identity check). */
  | { kind: 'pause' }
  | { kind: 'resume' }
  /** A response (PRM = 0) that may answer a downlink request of this connection. */
  | { kind: 'reply'; frame: qgdw1376.QgdwFrame; bytes: Uint8Array }
  /** A DL/T 698.45 response APDU (GET/SET/ACTION-Response, ERROR-Response) that may answer a downlink request. */
  | { kind: 'reply698'; apdu: dlt698.Apdu; bytes: Uint8Array }
  | { kind: 'close'; reason: string };

export interface Identity {
  kind: 'terminal' | 'gateway';
  /** "A1-A2" of a 1376.1 terminal, or a gateway's id. */
  id: string;
}

/** How one gateway model introduces itself: a pattern over the first bytes of the connection (as latin1 text), the id in group `id` or 1. */
export interface GatewayModel {
  name: string;
  pattern: RegExp;
}

export interface SessionOptions {
  frameRatePerSec: number;
  frameBurst: number;
  /** Registration packets of the gateway models in the field (empty: gateways only by source address). */
  gatewayModels: readonly GatewayModel[];
  /** How many leading bytes may make up a registration packet. */
  maxRegistrationBytes: number;
  /** Frames held while the identity is being checked, before reading pauses. */
  maxQueuedWhileChecking: number;
  /** Refused frames after which the connection is closed. */
  maxRefusals: number;
  /** Dead letters a connection may cause per second (and in a burst); past that they are counted only. */
  deadLettersPerSec: number;
  deadLetterBurst: number;
  /** Bad inputs in a row over the budget after which the connection is closed as abusive. */
  maxSuppressed: number;
  /** Minutes east of UTC of the terminals' clocks (the times in a 698.45 LINK-Response); default 480. */
  tzOffsetMinutes?: number;
}

export const DEFAULT_SESSION: SessionOptions = {
  frameRatePerSec: 100,
  frameBurst: 500,
  gatewayModels: [{ name: 'ascii-registration', pattern: /^REG:(?<id>[0-9A-Za-z_-]{1,32})\r?\n/ }],
  maxRegistrationBytes: 64,
  maxQueuedWhileChecking: 64,
  maxRefusals: 20,
  deadLettersPerSec: 2,
  deadLetterBurst: 20,
  maxSuppressed: 50,
};

const RESPONSES_698: ReadonlySet<dlt698.Apdu['kind']> = new Set(['getResponse', 'setResponse', 'actionResponse', 'proxyResponse', 'errorResponse']);

type PendingLogin =
  | { protocol: 'qgdw1376'; frame: qgdw1376.QgdwFrame; bytes: Uint8Array }
  | { protocol: 'dlt698'; frame: dlt698.Dlt698Frame; apdu: Extract<dlt698.Apdu, { kind: 'linkRequest' }>; bytes: Uint8Array };

type Phase =
  | { name: 'anonymous' }
  | { name: 'checking'; identity: Identity; login?: PendingLogin }
  | { name: 'identified'; identity: Identity; meters: ReadonlySet<string> }
  | { name: 'closed' };

export class TerminalSession {
  private phase: Phase = { name: 'anonymous' };
  private readonly deframer: Deframer = createAutoDeframer();
  private readonly reassembler = new dlt698.SplitReassembler();
  private readonly bucket: TokenBucket;
  private readonly deadLetterBudget: TokenBucket;
  /** Deframed input that arrived while the identity was being checked, in arrival order. */
  private readonly queued: DeframeEvent[] = [];
  /** The first bytes of the connection, while they may still be a gateway's registration packet. */
  private registration: Buffer | undefined = Buffer.alloc(0);
  private paused = false;
  private refusals = 0;
  private suppressed = 0;
  /** The terminal's address as it last sent it (A3 included): what downlink requests are addressed to. */
  address?: qgdw1376.QgdwAddress;
  /** A DL/T 698.45 terminal's server and client addresses as it last sent them (downlink requests use them). */
  link698?: { server: dlt698.ServerAddress; client: number };

  constructor(
    private readonly options: SessionOptions = DEFAULT_SESSION,
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(options.frameRatePerSec, options.frameBurst, now);
    this.deadLetterBudget = new TokenBucket(options.deadLettersPerSec, options.deadLetterBurst, now);
    if (options.gatewayModels.length === 0) this.registration = undefined;
  }

  /** The 1376.1 terminal this connection is identified as. */
  get terminal(): string | undefined {
    return this.phase.name === 'identified' && this.phase.identity.kind === 'terminal' ? this.phase.identity.id : undefined;
  }

  /** Who this connection is, once the archive confirmed it (terminal or gateway). */
  get identity(): Identity | undefined {
    return this.phase.name === 'identified' ? this.phase.identity : undefined;
  }

  get state(): Phase['name'] {
    return this.phase.name;
  }

  /** The connection comes from an address the gateway allow-list names: check that gateway first. */
  identifyBySource(gateway: string): SessionDecision[] {
    if (this.phase.name !== 'anonymous') return [];
    this.registration = undefined;
    const identity: Identity = { kind: 'gateway', id: gateway };
    this.phase = { name: 'checking', identity };
    return [{ kind: 'check-identity', identity }];
  }

  receive(chunk: Uint8Array): SessionDecision[] {
    if (this.registration !== undefined) return this.maybeRegistration(chunk);
    return this.handleAll(this.deframer.push(chunk));
  }

  /** The peer ended the stream (or the connection is being closed): whatever is left in the deframer. */
  finish(): SessionDecision[] {
    const pending = this.registration;
    this.registration = undefined;
    const out = pending && pending.length > 0 ? this.handleAll(this.deframer.push(pending)) : [];
    if (this.phase.name === 'checking') return out;
    return [...out, ...this.handleAll(this.deframer.finish())];
  }

  closed(): void {
    this.phase = { name: 'closed' };
    this.queued.length = 0;
  }

  /** The archive's answer to a check-identity decision, with the meters it binds to this identity. */
  identityChecked(verdict: 'known' | 'unknown' | 'unavailable', meters: readonly string[] = []): SessionDecision[] {
    const p = this.phase;
    if (p.name !== 'checking') return [];
    const { identity } = p;
    if (verdict !== 'known') {
      this.phase = { name: 'anonymous' };
      this.queued.length = 0;
      const reason: RefusalReason = verdict === 'unavailable' ? 'archive_unavailable' : identity.kind === 'terminal' ? 'unknown_terminal' : 'unknown_gateway';
      const refusal = p.login?.protocol === 'qgdw1376' ? this.refuse(p.login.frame, reason, identity.id) : p.login?.protocol === 'dlt698' ? this.refuse698(p.login.frame, p.login.apdu, reason, identity.id) : [this.refusal(reason, identity.id, 0)];
      return [...refusal, { kind: 'close', reason: `${identity.kind} ${identity.id} refused: ${reason}` }];
    }
    this.phase = { name: 'identified', identity, meters: new Set(meters) };
    if (p.login?.protocol === 'dlt698') this.link698 = { server: p.login.frame.server, client: p.login.frame.client };
    const out: SessionDecision[] = [{ kind: 'claim', id: identity.id }];
    if (p.login?.protocol === 'qgdw1376') out.push(this.publishQgdw(p.login.frame, p.login.bytes, identity.id));
    else if (p.login?.protocol === 'dlt698') out.push(this.publish698(p.login.frame, p.login.apdu, p.login.bytes, identity.id));
    out.push(...this.handleAll(this.queued.splice(0)));
    if (this.paused) {
      this.paused = false;
      out.push({ kind: 'resume' });
    }
    return out;
  }

  /** The first bytes may be a gateway's registration packet; anything that starts like a frame is not. */
  private maybeRegistration(chunk: Uint8Array): SessionDecision[] {
    const seen = Buffer.concat([this.registration!, chunk]);
    const startsLikeFrame = seen[0] === 0x68 || seen[0] === 0xfe;
    if (!startsLikeFrame) {
      const text = seen.toString('latin1');
      for (const model of this.options.gatewayModels) {
        const m = model.pattern.exec(text);
        if (!m || m.index !== 0) continue;
        this.registration = undefined;
        const identity: Identity = { kind: 'gateway', id: m.groups?.['id'] ?? m[1] ?? m[0] };
        this.phase = { name: 'checking', identity };
        return [{ kind: 'check-identity', identity }, ...this.handleAll(this.deframer.push(seen.subarray(Buffer.byteLength(m[0], 'latin1'))))];
      }
      if (seen.length < this.options.maxRegistrationBytes && !seen.includes(0x68)) {
        this.registration = seen;
        return [];
      }
    }
    this.registration = undefined;
    return this.handleAll(this.deframer.push(seen));
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
      if (out.at(-1)?.kind === 'close') {
        this.phase = { name: 'closed' };
        break;
      }
    }
    return out;
  }

  private handle(ev: DeframeEvent, out: SessionDecision[]): void {
    if (ev.type === 'error') {
      this.badInput(out, `DEFRAME_${ev.code}`, `${ev.message} at stream offset ${ev.offset} (${ev.length} bytes)`, ev.bytes, ev.offset);
      return;
    }
    const bytes = Uint8Array.from(ev.bytes);
    const wait = this.bucket.take();
    if (wait > 0) out.push({ kind: 'throttle', ms: wait });
    if (ev.protocol === 'dlt645') {
      this.dlt645(bytes, out);
      return;
    }
    if (ev.protocol === 'dlt698') {
      this.dlt698(bytes, out);
      return;
    }
    const d = qgdw1376.decodeQgdwFrame(bytes);
    if (!d.ok) {
      this.badInput(out, `DECODE_${d.error.code}`, d.error.message, bytes, d.error.offset);
      return;
    }
    const f = d.value;
    if (!f.control.up) {
      this.badInput(out, 'UNEXPECTED_DIRECTION', 'a downlink frame (DIR = 0) arrived from a terminal', bytes, 6);
      return;
    }
    const terminal = qgdw1376.terminalKey(f.address);
    const current = this.identity;
    if (f.afn === qgdw1376.AFN.linkCheck && f.control.prm) {
      const kind = qgdw1376.decodeLinkCheck(f);
      if (!kind.ok) {
        this.badInput(out, `DECODE_${kind.error.code}`, kind.error.message, bytes, kind.error.offset);
        return;
      }
      if (kind.value === 'login') {
        if (current !== undefined && current.id !== terminal) {
          out.push(...this.refuse(f, 'identity_change', terminal));
          return;
        }
        if (current === undefined) {
          this.address = f.address;
          const identity: Identity = { kind: 'terminal', id: terminal };
          this.phase = { name: 'checking', identity, login: { protocol: 'qgdw1376', frame: f, bytes } };
          out.push({ kind: 'check-identity', identity });
          return;
        }
        out.push({ kind: 'claim', id: terminal });
      } else if (kind.value === 'heartbeat' && current?.id === terminal) {
        out.push({ kind: 'claim', id: terminal });
      }
    }
    if (current?.kind !== 'terminal' || current.id !== terminal) {
      out.push(...this.refuse(f, current ? 'address_mismatch' : 'not_logged_in', terminal));
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

  /**
   * One fragment of a split APDU (698.45 application-layer splitting): each is confirmed to the
   * terminal so it sends the next; the last one completes the APDU, which continues as one frame
   * (re-framed here, the same addresses and control without the split bit) and is published as such.
   * Fragments are taken only from an identified terminal; out of order, the exchange starts over.
   */
  private fragment698(f: dlt698.Dlt698Frame, bytes: Uint8Array, out: SessionDecision[]): Uint8Array | undefined {
    const split = f.split!;
    if (split.kind === 'confirm') return undefined;
    if (this.identity?.id !== f.server.address) {
      out.push(this.refusal(this.identity ? 'address_mismatch' : 'not_logged_in', f.server.address, 0, bytes));
      this.countRefusal(out);
      return undefined;
    }
    const r = this.reassembler.push(f);
    if (!r.ok) {
      this.badInput(out, 'SPLIT_OUT_OF_ORDER', r.error.message, bytes, 3);
      return undefined;
    }
    const confirm = dlt698.encodeDlt698Frame({ control: { ...f.control, fromServer: false, scrambled: false }, server: f.server, client: f.client, split: { index: split.index, kind: 'confirm' }, apdu: new Uint8Array(0) });
    if (confirm.ok) out.push({ kind: 'send', bytes: confirm.value });
    if (r.value === undefined) return undefined;
    const whole = dlt698.encodeDlt698Frame({ control: { ...f.control, split: false, scrambled: false }, server: f.server, client: f.client, apdu: r.value });
    if (!whole.ok) {
      this.badInput(out, 'SPLIT_TOO_LARGE', `a reassembled APDU of ${r.value.length} bytes: ${whole.error.message}`, bytes, 3);
      return undefined;
    }
    return whole.value;
  }

  private dlt698(received: Uint8Array, out: SessionDecision[]): void {
    let bytes = received;
    const d = dlt698.decodeDlt698Frame(bytes);
    if (!d.ok) {
      this.badInput(out, `DECODE_${d.error.code}`, d.error.message, bytes, d.error.offset);
      return;
    }
    let f = d.value;
    if (!f.control.fromServer) {
      this.badInput(out, 'UNEXPECTED_DIRECTION', 'a DL/T 698.45 frame from a client (DIR = 0) arrived from a terminal', bytes, 3);
      return;
    }
    if (f.split) {
      const whole = this.fragment698(f, bytes, out);
      if (!whole) return;
      const again = dlt698.decodeDlt698Frame(whole);
      if (!again.ok) {
        this.badInput(out, `DECODE_${again.error.code}`, again.error.message, whole, again.error.offset);
        return;
      }
      bytes = whole;
      f = again.value;
    }
    const apduAt = bytes.length - 3 - f.apdu.length;
    const a = dlt698.decodeApdu(f.apdu, apduAt);
    const inner = a.ok ? dlt698.unwrapSecurity(a.value, apduAt) : a;
    if (!inner.ok) {
      this.badInput(out, `DECODE_${inner.error.code}`, inner.error.message, bytes, inner.error.offset);
      return;
    }
    const apdu = inner.value.apdu;
    const terminal = f.server.address;
    const current = this.identity;
    if (apdu.kind === 'linkRequest') {
      if (apdu.request === 'login') {
        if (current !== undefined && current.id !== terminal) {
          out.push(...this.refuse698(f, apdu, 'identity_change', terminal));
          return;
        }
        if (current === undefined) {
          const identity: Identity = { kind: 'terminal', id: terminal };
          this.phase = { name: 'checking', identity, login: { protocol: 'dlt698', frame: f, apdu, bytes } };
          out.push({ kind: 'check-identity', identity });
          return;
        }
        out.push({ kind: 'claim', id: terminal });
      } else if (apdu.request === 'heartbeat' && current?.id === terminal) out.push({ kind: 'claim', id: terminal });
    }
    if (current?.kind !== 'terminal' || current.id !== terminal) {
      out.push(...this.refuse698(f, apdu, current ? 'address_mismatch' : 'not_logged_in', terminal, bytes));
      return;
    }
    this.link698 = { server: f.server, client: f.client };
    if (RESPONSES_698.has(apdu.kind)) out.push({ kind: 'reply698', apdu, bytes });
    out.push(this.publish698(f, apdu, bytes, terminal));
  }

  /** Publish; the login/heartbeat and a report are answered once the bus has the frame. */
  private publish698(f: dlt698.Dlt698Frame, apdu: dlt698.Apdu, bytes: Uint8Array, terminal: string): SessionDecision {
    let confirm: Uint8Array | undefined;
    if (apdu.kind === 'linkRequest') {
      const t = dlt698.epochMsToDateTime(this.now(), this.options.tzOffsetMinutes ?? 480);
      const r = dlt698.linkAnswer(f, apdu, t, t);
      if (r.ok) confirm = r.value;
    } else if (apdu.kind === 'reportNotification') {
      const r = dlt698.reportAnswer(f, apdu);
      if (r.ok) confirm = r.value;
    }
    return { kind: 'publish', key: terminal, protocol: Protocol.PROTOCOL_DLT698_45, bytes, terminal, ...(confirm ? { confirm } : {}) };
  }

  /** A refused 698.45 login is answered "illegal device"; other refused frames are dead-lettered. */
  private refuse698(f: dlt698.Dlt698Frame, apdu: dlt698.Apdu, reason: RefusalReason, terminal: string, deadLetter?: Uint8Array): SessionDecision[] {
    const out: SessionDecision[] = [this.refusal(reason, terminal, 0, apdu.kind === 'linkRequest' ? undefined : deadLetter)];
    if (apdu.kind === 'linkRequest') {
      const t = dlt698.epochMsToDateTime(this.now(), this.options.tzOffsetMinutes ?? 480);
      const r = dlt698.linkAnswer(f, apdu, t, t, dlt698.LINK_RESULT.illegalDevice);
      if (r.ok) out.push({ kind: 'send', bytes: r.value });
    }
    this.countRefusal(out);
    return out;
  }

  private dlt645(bytes: Uint8Array, out: SessionDecision[]): void {
    const address = dlt645.peekDlt645Address(bytes);
    if (!address.ok) {
      this.badInput(out, `DECODE_${address.error.code}`, address.error.message, bytes, address.error.offset);
      return;
    }
    const p = this.phase;
    if (p.name !== 'identified') {
      out.push(this.refusal('gateway_not_identified', address.value, 0, bytes));
      this.countRefusal(out);
      return;
    }
    if (!p.meters.has(address.value)) {
      out.push(this.refusal('meter_not_bound', address.value, 0, bytes));
      this.countRefusal(out);
      return;
    }
    out.push({ kind: 'publish', key: address.value, protocol: Protocol.PROTOCOL_DLT645_2007, bytes, terminal: p.identity.id });
  }

  private refusal(reason: RefusalReason, id: string, afn: number, deadLetter?: Uint8Array): SessionDecision {
    return { kind: 'refused', reason, id, afn, ...(deadLetter ? { deadLetter } : {}) };
  }

  /** A refused 1376.1 frame is denied (AFN 00 F2) when the terminal waits for an answer to it. */
  private refuse(f: qgdw1376.QgdwFrame, reason: RefusalReason, terminal: string): SessionDecision[] {
    const out: SessionDecision[] = [this.refusal(reason, terminal, f.afn)];
    if (f.seq.con || f.afn === qgdw1376.AFN.linkCheck) {
      const deny = qgdw1376.encodeDenyAll(f);
      if (deny.ok) out.push({ kind: 'send', bytes: deny.value });
    }
    this.countRefusal(out);
    return out;
  }

  private countRefusal(out: SessionDecision[]): void {
    if (++this.refusals >= this.options.maxRefusals) out.push({ kind: 'close', reason: `${this.refusals} frames refused` });
  }

  private badInput(out: SessionDecision[], code: string, reason: string, bytes: Uint8Array, byteOffset: number): void {
    const report = this.deadLetterBudget.take() === 0;
    out.push({ kind: 'bad-input', code, reason, bytes, byteOffset, report });
    this.suppressed = report ? 0 : this.suppressed + 1;
    if (this.suppressed >= this.options.maxSuppressed) out.push({ kind: 'close', reason: `bad input faster than ${this.options.deadLettersPerSec}/s for ${this.suppressed} events in a row` });
  }
}
