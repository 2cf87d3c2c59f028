import { appendFile, rename, rm, stat } from 'node:fs/promises';
import { ConsumerPipeline, protoDecoder, TOPICS, type MessageBus } from '@gridstation/bus';
import { DeadLetter } from '@gridstation/contracts';
import { gsMeter } from '@gridstation/telemetry';

const dropped = gsMeter('station').createCounter('gs_station_dead_letters_dropped_total', { description: 'Dead letters removed from the embedded dead-letter files by rotation (the size cap)' });

export interface DeadLetterLogOptions {
  file: string;
  /** A file is rotated once it holds this many bytes. */
  maxFileBytes: number;
  /** Files kept (the current one and rotated ones): the disk used is at most maxFileBytes times this. */
  maxFiles: number;
}

/**
 * The embedded mode's dead letters: one JSON line per dead letter in a file next to the data, rotated
 * (dead-letters.jsonl, .1, .2, ...) so that garbage sent to the station cannot fill the disk. What the
 * rotation removes is counted. The subscription ends with the bus.
 */
export class DeadLetterLog {
  written = 0;
  droppedByRotation = 0;
  private size = -1;
  private linesInFile = new Map<number, number>();
  /** Batches of different partitions arrive concurrently; the file is written by one of them at a time. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly pipeline = ConsumerPipeline.decode('station-dead-letter-log', protoDecoder(DeadLetter, 'UNDECODABLE', 'gridstation.v1.DeadLetter')).effect('append', (items) => {
    const run = this.writing.then(() => this.write(items.map(({ value }) => value)));
    this.writing = run.catch(() => undefined);
    return run;
  });

  private async write(items: DeadLetter[]): Promise<void> {
    const lines = items.map((d) =>
      JSON.stringify({ code: d.code, reason: d.reason, service: d.service, frameId: d.frameId, byteOffset: d.byteOffset, payload: Buffer.from(d.payload).toString('hex'), headers: d.headers, failedAtMs: d.failedAtMs }),
    );
    if (this.size < 0) this.size = await stat(this.o.file).then((s) => s.size, () => 0);
    // Written in runs that fit the current file, rotating between them: no file grows past the cap.
    let run: string[] = [];
    let runBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line) + 1;
      if (this.size + runBytes + bytes > this.o.maxFileBytes && this.size + runBytes > 0) {
        await this.append(run, runBytes);
        await this.rotate();
        run = [];
        runBytes = 0;
      }
      run.push(line);
      runBytes += bytes;
    }
    await this.append(run, runBytes);
  }

  constructor(
    private readonly bus: MessageBus,
    private readonly o: DeadLetterLogOptions,
  ) {}

  get file(): string {
    return this.o.file;
  }

  async start(): Promise<void> {
    await this.bus.subscribe({ groupId: 'station-dead-letter-log', topics: [TOPICS.deadLetter], handler: this.pipeline.handler() });
  }

  private async append(lines: string[], bytes: number): Promise<void> {
    if (lines.length === 0) return;
    await appendFile(this.o.file, `${lines.join('\n')}\n`);
    this.size += bytes;
    this.linesInFile.set(0, (this.linesInFile.get(0) ?? 0) + lines.length);
    this.written += lines.length;
  }

  private async rotate(): Promise<void> {
    const last = this.o.maxFiles - 1;
    const gone = this.linesInFile.get(last) ?? 0;
    if (last === 0) {
      await rm(this.o.file, { force: true });
    } else {
      await rm(`${this.o.file}.${last}`, { force: true });
      for (let i = last - 1; i >= 0; i--) {
        await rename(i === 0 ? this.o.file : `${this.o.file}.${i}`, `${this.o.file}.${i + 1}`).catch(() => undefined);
        this.linesInFile.set(i + 1, this.linesInFile.get(i) ?? 0);
      }
    }
    if (gone > 0) {
      this.droppedByRotation += gone;
      dropped.add(gone);
    }
    this.linesInFile.set(0, 0);
    this.size = 0;
  }
}
