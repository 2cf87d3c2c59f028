import { DeviceEventBatch, Protocol, RawFrameBatch, ReadingBatch, type DeviceEvent, type RawFrame, type Reading } from '@gridstation/contracts';
import { buildDeadLetter, deadLetter, OK, recordValue, retry, TOPICS, type InboundBatch, type MessageBus, type OutboundMessage, type Outcome, type Subscription } from '@gridstation/bus';
import type { DeviceArchive } from '@gridstation/archive';
import { normalizeFrame, type NormalizeContext } from '@gridstation/protocols';
import { gsMeter, type Logger } from '@gridstation/telemetry';

// The parsing service's work: RawFrameBatch records -> codecs -> ReadingBatch (key = meter id, with the
// source frames inside) and DeviceEventBatch (key = device id). A frame that does not decode goes to the
// dead-letter topic on its own (its bytes, the codec's reason and byte offset, its Kafka source); the
// rest of its batch flows on. Offsets are committed after the outputs (and dead letters) are acknowledged.

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
  unsupported: meter.createCounter('gs_parser_unsupported_parts_total', { description: 'Recognised but unsupported parts kept raw, by what' }),
};

export interface ParserStats {
  frames: number;
  badFrames: number;
  readings: number;
  events: number;
  unsupported: number;
}

const protocolName = (p: Protocol): 'qgdw1376' | 'dlt645' | undefined =>
  p === Protocol.PROTOCOL_QGDW_1376_1 ? 'qgdw1376' : p === Protocol.PROTOCOL_DLT645_2007 || p === Protocol.PROTOCOL_DLT645_1997 ? 'dlt645' : undefined;

export class ParserWorker {
  private subscription?: Subscription;
  private readonly counts: ParserStats = { frames: 0, badFrames: 0, readings: 0, events: 0, unsupported: 0 };

  constructor(
    private readonly bus: MessageBus,
    private readonly archive: DeviceArchive,
    private readonly log: Logger,
    private readonly options: ParserOptions = DEFAULT_PARSER_OPTIONS,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.options.groupId,
      topics: [TOPICS.rawFrames],
      maxInFlight: this.options.maxInFlight,
      handler: (batch) => this.handle(batch),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  stats(): ParserStats {
    return { ...this.counts };
  }

  async handle(batch: InboundBatch): Promise<Outcome | Outcome[]> {
    const outcomes: Outcome[] = [];
    const readings = new Map<string, { readings: Reading[]; frames: Map<string, RawFrame> }>();
    const events = new Map<string, DeviceEvent[]>();
    const dead: OutboundMessage[] = [];
    for (const message of batch.messages) {
      let rb: RawFrameBatch;
      try {
        rb = RawFrameBatch.decode(message.value);
      } catch (e) {
        outcomes.push(deadLetter('RAW_BATCH_UNDECODABLE', `not a gridstation.v1.RawFrameBatch: ${String(e)}`));
        continue;
      }
      outcomes.push(OK);
      for (const [index, original] of rb.frames.entries()) {
        const frame = original.frameId ? original : { ...original, frameId: `${message.topic}/${message.partition}/${message.offset}/${index}` };
        const source = { frameId: frame.frameId, topic: message.topic, partition: message.partition, offset: Number(message.offset), indexInBatch: index };
        const bad = (code: string, reason: string, byteOffset = -1) => {
          this.counts.badFrames++;
          metrics.frames.add(1, { outcome: 'dead-letter', code });
          dead.push(
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
        const ctx = await this.contextFor(frame, source);
        let n = normalizeFrame(protocol, frame.payload, ctx);
        if (n.ok && protocol === 'qgdw1376' && n.value.device !== frame.terminalAddress) {
          // The record did not name its terminal (external producer) or named another: resolve by the frame's own address.
          n = normalizeFrame(protocol, frame.payload, await this.contextFor({ ...frame, terminalAddress: n.value.device }, source));
        }
        if (!n.ok) {
          bad(`DECODE_${n.error.code}`, n.error.message, n.error.offset);
          continue;
        }
        this.counts.frames++;
        metrics.frames.add(1, { outcome: 'ok' });
        for (const u of n.value.unsupported) {
          this.counts.unsupported++;
          metrics.unsupported.add(1, { what: u.what });
        }
        for (const r of n.value.readings) {
          let slot = readings.get(r.meterId);
          if (!slot) readings.set(r.meterId, (slot = { readings: [], frames: new Map() }));
          slot.readings.push(r);
          slot.frames.set(frame.frameId, frame);
        }
        for (const e of n.value.events) (events.get(e.deviceId) ?? events.set(e.deviceId, []).get(e.deviceId)!).push(e);
      }
    }
    const createdAtMs = Date.now();
    const producer = this.options.producer;
    const readingRecords = [...readings].map(([meterId, s]) => ({
      key: meterId,
      value: recordValue(ReadingBatch.encode({ readings: s.readings, producer, createdAtMs, frames: [...s.frames.values()] })),
    }));
    const eventRecords = [...events].map(([deviceId, list]) => ({ key: deviceId, value: recordValue(DeviceEventBatch.encode({ events: list, producer, createdAtMs })) }));
    try {
      await Promise.all([
        readingRecords.length > 0 ? this.bus.publish(TOPICS.readings, readingRecords) : undefined,
        eventRecords.length > 0 ? this.bus.publish(TOPICS.events, eventRecords) : undefined,
        dead.length > 0 ? this.bus.publish(TOPICS.deadLetter, dead) : undefined,
      ]);
    } catch (e) {
      this.log.warn({ err: e }, 'publishing parser output failed; the batch will be parsed again');
      return retry(`publish failed: ${String(e)}`);
    }
    let nr = 0;
    for (const s of readings.values()) nr += s.readings.length;
    let ne = 0;
    for (const l of events.values()) ne += l.length;
    this.counts.readings += nr;
    this.counts.events += ne;
    metrics.readings.add(nr);
    metrics.events.add(ne);
    return outcomes;
  }

  private async contextFor(frame: RawFrame, source: NormalizeContext['source']): Promise<NormalizeContext> {
    const t = frame.terminalAddress ? await this.archive.terminal(frame.terminalAddress) : undefined;
    const byPn = new Map((t?.meters ?? []).map((m) => [m.pn, m.meterId]));
    return {
      receivedAtMs: frame.receivedAtMs || Date.now(),
      tzOffsetMinutes: this.options.tzOffsetMinutes,
      source,
      meterOf: (terminal, pn) => (terminal === frame.terminalAddress ? byPn.get(pn) : undefined),
    };
  }
}
