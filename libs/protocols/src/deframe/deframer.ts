// Stream deframing: bytes arrive in arbitrary TCP chunks; frames come out whole, with typed errors for
// what had to be skipped. One engine, one "matcher" per protocol:
// - FE wake-up bytes before a frame are skipped silently.
// - Any other byte that does not begin a frame is reported once per run as GARBAGE (offset, length).
// - A 68H whose header is implausible is a false start: it is skipped and scanning resumes at the next
//   byte, so a real frame right behind it is not lost.
// - A plausible header whose checksum or end byte is wrong yields one error at the frame's offset, and
//   scanning resumes one byte after its start for the same reason.
// Buffering is amortised linear: bytes are appended to one growing buffer that is compacted when the
// consumed prefix passes half of it; a partial frame is never copied again per chunk.

export type ProtocolName = 'dlt645' | 'qgdw1376' | 'dlt698';

export type HeaderVerdict = { kind: 'need-more' } | { kind: 'no'; reason: string } | { kind: 'frame'; total: number };

export interface FrameMatcher {
  protocol: ProtocolName;
  /** Smallest number of bytes after the 68H needed to judge the header. */
  headerBytes: number;
  /** Judge the header at `at` (buf[at] === 0x68) with `avail` bytes available. */
  header(buf: Uint8Array, at: number, avail: number, maxFrame: number): HeaderVerdict;
  /** With the whole frame present: checksum and end byte. Returns an error description or undefined. */
  check(buf: Uint8Array, at: number, total: number): { code: 'CHECKSUM' | 'END_BYTE'; offset: number; message: string } | undefined;
}

export type DeframeErrorCode = 'GARBAGE' | 'CHECKSUM' | 'END_BYTE' | 'OVERFLOW';

export type DeframeEvent =
  | { type: 'frame'; protocol: ProtocolName; bytes: Uint8Array; offset: number }
  /** `bytes`: the damaged frame, or the first GARBAGE_SAMPLE bytes of a garbage run. */
  | { type: 'error'; code: DeframeErrorCode; offset: number; length: number; message: string; bytes: Uint8Array };

/** Bytes of a garbage run kept for the report (the run's length is counted in full). */
export const GARBAGE_SAMPLE = 256;
/** A garbage run is reported at the latest when it reaches this length (so one report never waits forever). */
export const GARBAGE_RUN_MAX = 64 * 1024;

export interface DeframerOptions {
  /** Largest frame accepted; a header announcing more is a false start. */
  maxFrame: number;
  /** Largest number of bytes held while waiting for the rest of a frame. */
  maxBuffered?: number;
}

/** What a deframer holds between chunks when nothing is pending: enough for a heartbeat or a login. */
const IDLE_BUFFER = 256;

export class Deframer {
  private buf: Uint8Array;
  private start = 0; // first unconsumed byte
  private end = 0; // one past the last byte
  private base = 0; // stream offset of buf[0]
  private garbageFrom = -1; // stream offset where the current garbage run began
  private garbageLen = 0;
  private garbageSample: number[] = [];

  constructor(
    private readonly matchers: readonly FrameMatcher[],
    private readonly options: DeframerOptions,
  ) {
    this.buf = new Uint8Array(IDLE_BUFFER);
  }

  /** Bytes of buffer held now (what an idle connection costs). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Bytes held, waiting for the rest of a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): DeframeEvent[] {
    this.append(chunk);
    const out: DeframeEvent[] = [];
    this.scan(out);
    if (this.start === this.end) {
      // Nothing pending: start the next chunk at the front, and give a grown buffer back. A station holds
      // one deframer per connection, most connections are idle between heartbeats, and a buffer kept at
      // its high-water mark was most of what a connection cost (32 KiB each, 3 GiB per 100,000).
      this.base += this.end;
      this.start = this.end = 0;
      if (this.buf.length > IDLE_BUFFER) this.buf = new Uint8Array(IDLE_BUFFER);
    }
    const limit = this.options.maxBuffered ?? this.options.maxFrame * 4;
    if (this.end - this.start > limit) {
      // Cannot happen with sane matchers (a pending frame is bounded by maxFrame); kept as a guard.
      out.push({ type: 'error', code: 'OVERFLOW', offset: this.base + this.start, length: this.end - this.start, message: `more than ${limit} bytes pending; dropped`, bytes: this.buf.slice(this.start, this.start + GARBAGE_SAMPLE) });
      this.start = this.end;
    }
    return out;
  }

  /** End of stream: whatever is left is reported as garbage. */
  finish(): DeframeEvent[] {
    const out: DeframeEvent[] = [];
    for (let i = this.start; i < this.end; i++) this.skip(i, out);
    this.start = this.end;
    this.flushGarbage(out);
    return out;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (this.start > 0 && live + chunk.length <= this.buf.length && this.start >= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buf.length * 2, live + chunk.length));
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.base += this.start;
      this.end = live;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private skip(i: number, out: DeframeEvent[]): void {
    if (this.buf[i] === 0xfe && this.garbageLen === 0) return; // wake-up preamble
    if (this.garbageLen === 0) this.garbageFrom = this.base + i;
    this.garbageLen++;
    if (this.garbageSample.length < GARBAGE_SAMPLE) this.garbageSample.push(this.buf[i]!);
    if (this.garbageLen >= GARBAGE_RUN_MAX) this.flushGarbage(out);
  }

  private flushGarbage(out: DeframeEvent[]): void {
    if (this.garbageLen === 0) return;
    out.push({ type: 'error', code: 'GARBAGE', offset: this.garbageFrom, length: this.garbageLen, message: `${this.garbageLen} byte(s) outside any frame`, bytes: Uint8Array.from(this.garbageSample) });
    this.garbageLen = 0;
    this.garbageSample = [];
  }

  private scan(out: DeframeEvent[]): void {
    const buf = this.buf;
    let i = this.start;
    outer: while (i < this.end) {
      if (buf[i] !== 0x68) {
        this.skip(i, out);
        i++;
        continue;
      }
      const avail = this.end - i;
      let waiting = false;
      for (const m of this.matchers) {
        const v = m.header(buf, i, avail, this.options.maxFrame);
        if (v.kind === 'need-more') {
          waiting = true;
          continue;
        }
        if (v.kind === 'no') continue;
        if (avail < v.total) {
          waiting = true;
          continue;
        }
        const bad = m.check(buf, i, v.total);
        if (bad) {
          this.flushGarbage(out);
          out.push({ type: 'error', code: bad.code, offset: this.base + bad.offset, length: v.total, message: bad.message, bytes: buf.slice(i, i + v.total) });
          i++; // resynchronise right after this false or damaged start
          continue outer;
        }
        this.flushGarbage(out);
        out.push({ type: 'frame', protocol: m.protocol, bytes: buf.slice(i, i + v.total), offset: this.base + i });
        i += v.total;
        continue outer;
      }
      if (waiting) break; // keep the bytes from this 68H on until more arrive
      this.skip(i, out);
      i++;
    }
    this.start = i;
    // Garbage before a pending frame is final: report it now rather than at the next frame. A run of
    // garbage with nothing after it yet stays open across chunks (bytes dripped one at a time are one
    // run, one report), until a frame starts, the stream ends, or the run reaches GARBAGE_RUN_MAX.
    if (this.start < this.end) this.flushGarbage(out);
  }
}
