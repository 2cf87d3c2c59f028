import { DependencyUnavailableError, invalidArgument } from '@gridstation/errors';
import { ConsumerPipeline, protoDecoder, step } from './pipeline';
import type { InboundBatch, InboundMessage } from './types';

const message = (value: string, offset: number): InboundMessage => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(value), headers: {}, timestamp: 0 });
const batchOf = (...values: string[]): InboundBatch => ({ topic: 't', partition: 0, messages: values.map(message) });
const text = (m: InboundMessage) => m.value.toString();

describe('ConsumerPipeline', () => {
  it('runs decode, message steps, batch steps and effects in order, passing on only what is still going', async () => {
    const seen: string[][] = [];
    const p = ConsumerPipeline.decode('test', (m) => (text(m).startsWith('bad') ? step.deadLetter('UNDECODABLE', `cannot read ${text(m)}`) : step.ok(text(m))))
      .map('skip-heartbeats', (v) => (v === 'hb' ? step.drop('heartbeat') : step.ok(v.toUpperCase())))
      .batch('number', (items) => items.map((i, k) => step.ok(`${k}:${i.value}`)))
      .effect('store', async (items) => void seen.push(items.map((i) => i.value)));
    const outcomes = await p.run(batchOf('a', 'bad1', 'hb', 'b'));
    expect(outcomes).toEqual([{ status: 'ok' }, { status: 'dead-letter', code: 'UNDECODABLE', reason: 'cannot read bad1' }, { status: 'drop', reason: 'heartbeat' }, { status: 'ok' }]);
    expect(seen).toEqual([['0:A', '1:B']]);
  });

  it('a message step asking for a retry holds back every later message, and effects still run for the earlier ones', async () => {
    const stored: string[] = [];
    const p = ConsumerPipeline.decode('test', (m) => step.ok(text(m)))
      .map('lookup', (v) => (v === 'c' ? step.retry('archive unavailable', 50) : step.ok(v)))
      .effect('store', async (items) => void stored.push(...items.map((i) => i.value)));
    const outcomes = await p.run(batchOf('a', 'b', 'c', 'd'));
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'retry', 'retry']);
    expect(outcomes[2]).toEqual({ status: 'retry', reason: 'archive unavailable', delayMs: 50 });
    expect(stored).toEqual(['a', 'b']);
  });

  it('an effect failing because a dependency is down retries the whole batch; nothing is dead-lettered', async () => {
    const p = ConsumerPipeline.decode('test', (m) => step.ok(text(m))).effect('store', async () => {
      throw new DependencyUnavailableError('clickhouse', 'no healthy ClickHouse replica');
    });
    const outcomes = await p.run(batchOf('a', 'b'));
    expect(outcomes).toEqual([
      { status: 'retry', reason: 'store: DependencyUnavailableError: no healthy ClickHouse replica' },
      { status: 'retry', reason: 'store: DependencyUnavailableError: no healthy ClickHouse replica' },
    ]);
  });

  it('an effect failing for good isolates a batch of several, and dead-letters a lone message with the error code', async () => {
    const p = ConsumerPipeline.decode('storage', (m) => step.ok(text(m))).effect('store', async () => {
      throw invalidArgument('ROW_TOO_LARGE', 'row key of 40000 bytes');
    });
    expect((await p.run(batchOf('a', 'b'))).map((o) => o.status)).toEqual(['isolate', 'isolate']);
    expect(await p.run(batchOf('a'))).toEqual([{ status: 'dead-letter', code: 'ROW_TOO_LARGE', reason: 'storage store: GsError: row key of 40000 bytes' }]);
  });

  it('a step that throws an unclassified error is judged the same way (isolate, then dead letter)', async () => {
    const p = ConsumerPipeline.decode('test', (m) => step.ok(text(m))).map('parse', (v) => {
      if (v === 'x') throw new TypeError('boom');
      return step.ok(v);
    });
    expect((await p.run(batchOf('a', 'x'))).map((o) => o.status)).toEqual(['isolate', 'isolate']);
    expect(await p.run(batchOf('x'))).toEqual([{ status: 'dead-letter', code: 'PROCESSING_FAILED', reason: 'test parse: TypeError: boom' }]);
  });

  it('protoDecoder dead-letters bytes that are not the message type, with the decoder’s reason', () => {
    const type = {
      decode(b: Uint8Array): { n: number } {
        if (b[0] !== 1) throw new Error('invalid wire type 7 at offset 0');
        return { n: b.length };
      },
    };
    const decode = protoDecoder(type, 'BATCH_UNDECODABLE', 'gridstation.v1.Thing');
    expect(decode({ ...message('', 0), value: Buffer.from([1, 2]) })).toEqual({ kind: 'ok', value: { n: 2 } });
    expect(decode({ ...message('', 0), value: Buffer.from([7]) })).toEqual({ kind: 'dead-letter', code: 'BATCH_UNDECODABLE', reason: 'not a gridstation.v1.Thing: invalid wire type 7 at offset 0' });
  });
});
