import { context, SpanKind, trace } from '@opentelemetry/api';
import { RawFrameBatch, type RawFrame } from '@gridstation/contracts';
import { buildDeadLetter, groupBy, recordValue, TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { classifyError, type Classification } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import { commMetrics } from './metrics';
import { RingBuffer } from './ring-buffer';

// Between the sockets and the bus sits one bounded ring buffer. The publisher drains it in batches
// (RawFrameBatch per key, keyed by terminal address) and only after the bus acknowledged a batch does it
// call each frame's onAck (the confirmation the terminal asked for). When the ring is full, the source of
// a frame is paused (TCP backpressure) and its frames wait in order in its own overflow list: frames are
// never dropped, and a source never overtakes itself.

/** Where frames come from: something that can stop and resume sending (a socket). */
export interface FrameSource {
  pause(): void;
  resume(): void;
  readonly isClosed: boolean;
}

export interface PendingFrame {
  key: string;
  frame: RawFrame;
  /** Called once the bus acknowledged the frame. */
  onAck?: () => void;
  source: FrameSource;
}

export interface PublisherOptions {
  bufferFrames: number;
  publishBatchFrames: number;
  publishLingerMs: number;
  producer: string;
}

export class FramePublisher {
  private readonly ring: RingBuffer<PendingFrame>;
  private readonly overflow = new Map<FrameSource, PendingFrame[]>();
  private flushing = false;
  private lingerTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly tracer = trace.getTracer('gridstation.comm');
  published = 0;

  constructor(
    private readonly options: PublisherOptions,
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {
    this.ring = new RingBuffer(options.bufferFrames);
  }

  get buffered(): number {
    let n = this.ring.size;
    for (const list of this.overflow.values()) n += list.length;
    return n;
  }

  enqueue(p: PendingFrame): void {
    const waiting = this.overflow.get(p.source);
    if (waiting || !this.ring.push(p)) {
      if (waiting) waiting.push(p);
      else {
        this.overflow.set(p.source, [p]);
        commMetrics.ringFull.add(1);
        p.source.pause();
      }
    }
    this.schedule();
  }

  /** Publishes everything buffered (including paused sources' overflow), for shutdown. */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.ring.size > 0 || this.overflow.size > 0 || this.flushing) {
      if (this.flushing) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      this.refill();
      await this.flush();
    }
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.ring.size >= this.options.publishBatchFrames) {
      void this.flush();
    } else if (this.ring.size > 0 && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        void this.flush();
      }, this.options.publishLingerMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    try {
      while (this.ring.size > 0) {
        const items = this.ring.take(this.options.publishBatchFrames);
        this.refill();
        await this.publish(items);
        if (this.ring.size < this.options.publishBatchFrames && !this.stopping) break;
      }
    } finally {
      this.flushing = false;
    }
    this.schedule();
  }

  /** Moves paused sources' frames into the freed ring space, in order, and resumes a source once it is all in. */
  private refill(): void {
    for (const [source, list] of this.overflow) {
      while (list.length > 0 && this.ring.free > 0) this.ring.push(list.shift()!);
      if (list.length > 0) continue;
      this.overflow.delete(source);
      if (!source.isClosed) source.resume();
    }
  }

  /**
   * Publishes until the bus accepts, then acknowledges each frame. A bus that is unavailable is waited
   * for (frames are never dropped). A bus that refuses a batch for good (a record too large, say) gets
   * each terminal's record on its own, and a record it still refuses goes to the dead-letter topic with
   * the reason, unconfirmed, so the terminal sends it again and the rest flows on.
   */
  private async publish(items: PendingFrame[]): Promise<void> {
    const groups = groupBy(items, (p) => p.key);
    const createdAtMs = Date.now();
    const records = [...groups].map(([key, list]) => ({
      list,
      record: { key, value: recordValue(RawFrameBatch.encode({ frames: list.map((p) => p.frame), producer: this.options.producer, createdAtMs })) } as OutboundMessage,
    }));
    const span = this.tracer.startSpan('terminal frames receive', {
      kind: SpanKind.SERVER,
      attributes: { 'gs.frames': items.length, 'gs.terminals': groups.size, 'gs.first_frame_id': items[0]?.frame.frameId ?? '' },
    });
    try {
      await context.with(trace.setSpan(context.active(), span), async () => {
        const refused = await this.send(records.map((r) => r.record));
        if (refused === undefined) return this.acknowledge(items);
        for (const r of records) {
          const alone = await this.send([r.record]);
          if (alone === undefined) this.acknowledge(r.list);
          else await this.refuse(r.list, alone);
        }
      });
    } finally {
      span.end();
    }
  }

  /** undefined once the bus accepted; the classification when it refused for good. */
  private async send(records: OutboundMessage[]): Promise<Classification | undefined> {
    let delay = 100;
    for (;;) {
      try {
        await this.bus.publish(TOPICS.rawFrames, records);
        return undefined;
      } catch (e) {
        const c = classifyError(e);
        if (!c.retriable) return c;
        this.log.warn({ err: e, records: records.length, retryInMs: delay }, 'publishing raw frames failed; holding them and retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private acknowledge(items: readonly PendingFrame[]): void {
    this.published += items.length;
    commMetrics.published.add(items.length);
    for (const p of items) p.onAck?.();
  }

  private async refuse(items: readonly PendingFrame[], why: Classification): Promise<void> {
    commMetrics.bad.add(items.length, { code: 'PUBLISH_REFUSED' });
    this.log.error({ frames: items.length, code: why.code, reason: why.reason }, 'the bus refused raw frames; dead-lettering them unconfirmed');
    const dead = items.map((p) =>
      buildDeadLetter({ code: 'PUBLISH_REFUSED', reason: why.reason, service: 'comm', key: p.key, payload: p.frame.payload, frameId: p.frame.frameId, headers: { 'connection-id': p.frame.connectionId } }),
    );
    await this.bus.publish(TOPICS.deadLetter, dead).catch((e: unknown) => this.log.warn({ err: e }, 'dead-letter publish failed'));
  }
}
