import { DeviceEventBatch, Protocol, RawFrameBatch, ReadingBatch, type DeviceEvent, type RawFrame, type Reading } from '@gridstation/contracts';
import { buildDeadLetter, ConsumerPipeline, groupBy, protoDecoder, recordValue, step, TOPICS, type InboundBatch, type InboundMessage, type Item, type MessageBus, type OutboundMessage, type Outcome, type Subscription } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import { dlt645, dlt698, normalizeFrame, qgdw1376, type NormalizeContext, type UnsupportedPart } from '@gridstation/protocols';
import type { Logger } from '@gridstation/telemetry';
import { gsMeter } from '@gridstation/telemetry';

// The parsing service's consumer: RawFrameBatch records -> codecs -> ReadingBatch (key = meter id, with
// the source frames inside) and DeviceEventBatch (key = device id). A frame that does not decode goes to
// the dead-letter topic on its own (its bytes, the codec's reason and byte offset, its Kafka source);
// the rest of its batch flows on. Steps: decode the record, parse its frames, publish what they became,
// then count it (only once it was published, so a retried batch is not counted twice).

export interface ParserOptions {
  groupId: string;
  producer: string;
  /** Minutes east of UTC of the devices' clocks. */
  tzOffsetMinutes: number;
  maxInFlight: number;
}

export const DEFAULT_PARSER_OPTIONS: ParserOptions = { groupId: 'gs-parser', producer: 'parser', tzOffsetMinutes: 480, maxInFlight: 2000 };

const meter = gsMeter('parser');
const metrics = {
  frames: meter.createCounter('gs_parser_frames_total', { description: 'Raw frames parsed, by outcome' }),
  readings: meter.createCounter('gs_parser_readings_total', { description: 'Readings produced' }),
  events: meter.createCounter('gs_parser_events_total', { description: 'Device events produced' }),
  unsupported: meter.createCounter('gs_parser_unsupported_parts_total', { description: 'Recognised but unsupported parts kept raw, by kind (which one exactly is in the debug log)' }),
};

export interface ParserStats {
  frames: number;
  badFrames: number;
  readings: number;
  events: number;
  unsupported: number;
}

/** What the frames of one record became. */
export interface ParsedRecord {
  readings: Array<{ reading: Reading; frame: RawFrame }>;
  events: DeviceEvent[];
  deadLetters: OutboundMessage[];
  frames: number;
  badCodes: string[];
  unsupported: UnsupportedPart[];
}

type ProtocolName = 'qgdw1376' | 'dlt645' | 'dlt698';
const protocolName = (p: Protocol): ProtocolName | undefined =>
  p === Protocol.PROTOCOL_QGDW_1376_1 ? 'qgdw1376' : p === Protocol.PROTOCOL_DLT645_2007 || p === Protocol.PROTOCOL_DLT645_1997 ? 'dlt645' : p === Protocol.PROTOCOL_DLT698_45 ? 'dlt698' : undefined;

/**
 * The terminal a frame belongs to. A 1376.1 frame names its terminal in its own header; that is what
 * counts, whatever the record says (an external producer may leave it empty or get it wrong).
 */
function terminalOf(frame: RawFrame, protocol: ProtocolName): string {
  if (protocol === 'dlt698') {
    const sa = dlt698.decodeServerAddress(frame.payload, 4);
    return sa.ok ? sa.value.server.address : frame.terminalAddress;
  }
  if (protocol !== 'qgdw1376') return frame.terminalAddress;
  const a = qgdw1376.peekQgdwAddress(frame.payload);
  return a ? qgdw1376.terminalKey(a) : frame.terminalAddress;
}

export class RawFramesConsumer {
  private subscription?: Subscription;
  private readonly counts: ParserStats = { frames: 0, badFrames: 0, readings: 0, events: 0, unsupported: 0 };
  private readonly pipeline: ConsumerPipeline<ParsedRecord>;

  constructor(
    private readonly bus: MessageBus,
    private readonly archive: DeviceArchive,
    private readonly options: ParserOptions = DEFAULT_PARSER_OPTIONS,
    /** The codec entry point (a seam for tests that count how often a frame is decoded). */
    private readonly normalize: typeof normalizeFrame = normalizeFrame,
    private readonly log?: Logger,
  ) {
    this.pipeline = ConsumerPipeline.decode('parser', protoDecoder(RawFrameBatch, 'RAW_BATCH_UNDECODABLE', 'gridstation.v1.RawFrameBatch'))
      .map('parse-frames', (rb, m) => this.parseFrames(rb, m).then(step.ok))
      .effect('publish', (items) => this.publish(items))
      .effect('count', async (items) => this.count(items));
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.rawFrames],
      maxInFlight: this.options.maxInFlight,
      handler: this.pipeline.handler(),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  stats(): ParserStats {
    return { ...this.counts };
  }

  handle(batch: InboundBatch): Promise<Outcome[]> {
    return this.pipeline.run(batch);
  }

  private async parseFrames(rb: RawFrameBatch, message: InboundMessage): Promise<ParsedRecord> {
    const out: ParsedRecord = { readings: [], events: [], deadLetters: [], frames: 0, badCodes: [], unsupported: [] };
    for (const [index, original] of rb.frames.entries()) {
      const frame = original.frameId ? original : { ...original, frameId: `${message.topic}/${message.partition}/${message.offset}/${index}` };
      const bad = (code: string, reason: string, byteOffset = -1) => {
        out.badCodes.push(code);
        out.deadLetters.push(
          buildDeadLetter({
            code,
            reason,
            byteOffset,
            frameId: frame.frameId,
            service: this.options.producer,
            consumerGroup: this.options.groupId,
            key: message.key,
            payload: frame.payload,
            source: message,
            headers: { 'terminal-address': frame.terminalAddress, 'connection-id': frame.connectionId, protocol: Protocol[frame.protocol] ?? String(frame.protocol) },
          }),
        );
      };
      const protocol = protocolName(frame.protocol);
      if (!protocol) {
        bad('UNKNOWN_PROTOCOL', `protocol ${frame.protocol} is not one the station decodes`);
        continue;
      }
      if (protocol === 'dlt645') {
        // A meter's own frame counts only from the gateway (or terminal) the archive binds the meter to.
        const address = dlt645.peekDlt645Address(frame.payload);
        const bound = address.ok ? await this.archive.meter(address.value) : undefined;
        if (!address.ok || !bound || bound.terminal !== frame.terminalAddress) {
          bad('METER_NOT_BOUND', `DL/T 645 meter ${address.ok ? address.value : '?'} is not bound to "${frame.terminalAddress}" in the archive${bound ? ` (it belongs to ${bound.terminal})` : ''}`);
          continue;
        }
      }
      const source = { frameId: frame.frameId, topic: message.topic, partition: message.partition, offset: Number(message.offset), indexInBatch: index };
      const n = this.normalize(protocol, frame.payload, await this.contextFor(frame, terminalOf(frame, protocol), source));
      if (!n.ok) {
        bad(`DECODE_${n.error.code}`, n.error.message, n.error.offset);
        continue;
      }
      out.frames++;
      for (const u of n.value.unsupported) out.unsupported.push(u);
      for (const r of n.value.readings) out.readings.push({ reading: r, frame });
      out.events.push(...n.value.events);
    }
    return out;
  }

  private async publish(items: readonly Item<ParsedRecord>[]): Promise<void> {
    const readings = new Map<string, { readings: Reading[]; frames: Map<string, RawFrame> }>();
    const events = groupBy(
      items.flatMap((i) => i.value.events),
      (e) => e.deviceId,
    );
    const dead: OutboundMessage[] = [];
    for (const { value } of items) {
      for (const { reading, frame } of value.readings) {
        let slot = readings.get(reading.meterId);
        if (!slot) readings.set(reading.meterId, (slot = { readings: [], frames: new Map() }));
        slot.readings.push(reading);
        slot.frames.set(frame.frameId, frame);
      }
      dead.push(...value.deadLetters);
    }
    const createdAtMs = Date.now();
    const producer = this.options.producer;
    const readingRecords = [...readings].map(([meterId, s]) => ({
      key: meterId,
      value: recordValue(ReadingBatch.encode({ readings: s.readings, producer, createdAtMs, frames: [...s.frames.values()] })),
    }));
    const eventRecords = [...events].map(([deviceId, list]) => ({ key: deviceId, value: recordValue(DeviceEventBatch.encode({ events: list, producer, createdAtMs })) }));
    await Promise.all([
      readingRecords.length > 0 ? this.bus.publish(TOPICS.readings, readingRecords) : undefined,
      eventRecords.length > 0 ? this.bus.publish(TOPICS.events, eventRecords) : undefined,
      dead.length > 0 ? this.bus.publish(TOPICS.deadLetter, dead) : undefined,
    ]);
  }

  private count(items: readonly Item<ParsedRecord>[]): void {
    for (const { value } of items) {
      this.counts.frames += value.frames;
      this.counts.badFrames += value.badCodes.length;
      this.counts.readings += value.readings.length;
      this.counts.events += value.events.length;
      this.counts.unsupported += value.unsupported.length;
      if (value.frames > 0) metrics.frames.add(value.frames, { outcome: 'ok' });
      for (const code of value.badCodes) metrics.frames.add(1, { outcome: 'dead-letter', code });
      for (const u of value.unsupported) {
        metrics.unsupported.add(1, { kind: u.kind });
        this.log?.debug({ kind: u.kind, what: u.what, reason: u.reason }, 'part kept raw');
      }
      metrics.readings.add(value.readings.length);
      metrics.events.add(value.events.length);
    }
  }

  private async contextFor(frame: RawFrame, terminal: string, source: NormalizeContext['source']): Promise<NormalizeContext> {
    const t = terminal ? await this.archive.terminal(terminal) : undefined;
    const byPn = new Map((t?.meters ?? []).map((m) => [m.pn, m.meterId]));
    return {
      receivedAtMs: frame.receivedAtMs || Date.now(),
      tzOffsetMinutes: this.options.tzOffsetMinutes,
      source,
      meterOf: (device, pn) => (device === terminal ? byPn.get(pn) : undefined),
    };
  }
}
