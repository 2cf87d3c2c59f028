import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testLogger, waitFor } from '@gridstation/testing';
import { decodeSegment, DurableLog, encodeRecord, type LogRecord } from './durable-log';
import { MemoryBus } from './memory-bus';
import { OK } from './types';

const record = (offset: number, value: string, key: string | null = 'k'): LogRecord => ({
  topic: 't',
  partition: 0,
  offset: BigInt(offset),
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  headers: { traceparent: 'x' },
  timestamp: 1_700_000_000_000 + offset,
});

describe('DurableLog format', () => {
  it('round-trips records, null keys and headers included', () => {
    const rs = [record(0, 'a'), record(1, 'b', null), record(2, '')];
    const { records, validBytes } = decodeSegment(Buffer.concat(rs.map(encodeRecord)));
    expect(records).toEqual(rs);
    expect(validBytes).toBe(Buffer.concat(rs.map(encodeRecord)).length);
  });

  it('stops at a torn or corrupted tail, keeping the intact prefix', () => {
    const bytes = Buffer.concat([encodeRecord(record(0, 'first')), encodeRecord(record(1, 'second'))]);
    const torn = bytes.subarray(0, bytes.length - 3);
    expect(decodeSegment(torn).records.map((r) => r.value.toString())).toEqual(['first']);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
    expect(decodeSegment(flipped).records.map((r) => r.value.toString())).toEqual(['first']);
  });
});

describe('in-process bus with a durable log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gs-buslog-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = async () => {
    const bus = new MemoryBus({ service: 't', log: testLogger(), durable: { log: new DurableLog({ dir, offsetsEveryMs: 10 }), topics: ['data'] } });
    await bus.recover([{ name: 'data', partitions: 2 }]);
    return bus;
  };

  it('after a crash (nothing closed), replays every record not committed, and none that was', async () => {
    const first = await open();
    const seen: string[] = [];
    await first.publish('data', ['a', 'b', 'c', 'd'].map((v, i) => ({ key: `k${i}`, value: Buffer.from(v) })));
    const sub = await first.subscribe({
      groupId: 'g',
      topics: ['data'],
      handler: async (b) => b.messages.map((m) => (m.value.toString() === 'c' ? { status: 'retry' as const, reason: 'not now', delayMs: 60_000 } : (seen.push(m.value.toString()), OK))),
    });
    await waitFor(() => seen.length >= 3, 'a, b, d settled');
    await new Promise((r) => setTimeout(r, 50)); // let the offsets file catch up, as it does every few ms
    await sub.abort(); // the process dies: no close, no final flush of anything

    const second = await open();
    const again: string[] = [];
    await second.subscribe({ groupId: 'g', topics: ['data'], handler: async (b) => (b.messages.forEach((m) => again.push(m.value.toString())), OK) });
    await waitFor(() => again.includes('c'), 'c delivered again after the restart');
    expect(again).toEqual(['c']);
    await second.publish('data', [{ key: 'k0', value: Buffer.from('e') }]);
    await waitFor(() => again.includes('e'), 'a new record after the restart');
    await second.close();
  });

  it('cuts a torn tail on recovery and keeps appending after it', async () => {
    const bus = await open();
    await bus.publish('data', [{ key: 'k', value: Buffer.from('kept') }]);
    await bus.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!);
    appendFileSync(seg, Buffer.from([0, 0, 0, 99, 1, 2])); // half a record: the crash hit mid-write
    const again = await open();
    const got: string[] = [];
    await again.publish('data', [{ key: 'k', value: Buffer.from('after') }]);
    await again.subscribe({ groupId: 'h', topics: ['data'], handler: async (b) => (b.messages.forEach((m) => got.push(m.value.toString())), OK) });
    await waitFor(() => got.length === 2, 'both records');
    expect(got).toEqual(['kept', 'after']);
    expect(decodeSegment(readFileSync(seg)).records.map((r) => r.value.toString())).toEqual(['kept', 'after']);
    await again.close();
  });

  it('deletes a segment once every group committed past all of it', async () => {
    const bus = new MemoryBus({ service: 't', log: testLogger(), durable: { log: new DurableLog({ dir, segmentBytes: 200 }), topics: ['data'] } });
    await bus.recover([{ name: 'data', partitions: 1 }]);
    let n = 0;
    await bus.subscribe({ groupId: 'g', topics: ['data'], handler: async (b) => ((n += b.messages.length), OK) });
    for (let i = 0; i < 20; i++) await bus.publish('data', [{ key: 'k', value: Buffer.alloc(50, i) }]);
    await waitFor(() => n === 20, 'all consumed');
    await waitFor(() => readdirSync(dir).filter((f) => f.endsWith('.log')).length === 1, 'old segments deleted');
    await bus.close();
  });

  it('fails with the path when the log directory cannot be used', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const bus = new MemoryBus({ service: 't', log: testLogger(), durable: { log: new DurableLog({ dir: join(file, 'bus') }), topics: ['data'] } });
    await expect(bus.recover([{ name: 'data', partitions: 1 }])).rejects.toThrow(/not-a-dir/);
    truncateSync(file);
  });
});
