import { appendFile } from 'node:fs/promises';
import { ConsumerPipeline, protoDecoder, TOPICS, type MessageBus } from '@gridstation/bus';
import { DeadLetter } from '@gridstation/contracts';

/** The embedded mode's dead letters: one JSON line per dead letter in a file next to the data (the subscription ends with the bus). */
export class DeadLetterLog {
  written = 0;
  private readonly pipeline = ConsumerPipeline.decode('station-dead-letter-log', protoDecoder(DeadLetter, 'UNDECODABLE', 'gridstation.v1.DeadLetter')).effect('append', async (items) => {
    const lines = items.map(({ value: d }) =>
      JSON.stringify({ code: d.code, reason: d.reason, service: d.service, frameId: d.frameId, byteOffset: d.byteOffset, payload: Buffer.from(d.payload).toString('hex'), headers: d.headers, failedAtMs: d.failedAtMs }),
    );
    await appendFile(this.file, `${lines.join('\n')}\n`);
    this.written += lines.length;
  });

  constructor(
    private readonly bus: MessageBus,
    readonly file: string,
  ) {}

  async start(): Promise<void> {
    await this.bus.subscribe({ groupId: 'station-dead-letter-log', topics: [TOPICS.deadLetter], handler: this.pipeline.handler() });
  }
}
