import { MemoryArchive } from '@gridstation/archive';
import { MemoryBus, OK, TOPICS, type MessageBus, type OutboundMessage } from '@gridstation/bus';
import { DeadLetter, ReadingBatch, Unit, type Reading } from '@gridstation/contracts';
import { DependencyUnavailableError } from '@gridstation/errors';
import { HBaseError, type PutRow, type WideColumnStore } from '@gridstation/hbase';
import { testLogger, waitFor } from '@gridstation/testing';
import type { ReadingStore, StoredReading } from './index';
import { ReadingsConsumer } from './readings.consumer';
import { DEFAULT_STORAGE_OPTIONS } from './storage-options';

// The readings consumer on the in-process bus, with stores faked as repositories: what happens to a
// record when a store or the bus fails, permanently or for a while.

const NOW = Date.now();
const reading = (meterId: string, k: number, value: number): Reading => ({
  meterId,
  terminalAddress: '4101-00007',
  measurementPoint: 1,
  quantity: 'energy.active.import',
  tariff: 0,
  unit: Unit.UNIT_KWH,
  value,
  dataTimeMs: NOW - 3_600_000 + k * 900_000,
  receivedAtMs: NOW,
  quality: 0,
  source: { frameId: `f-${meterId}-${k}`, topic: TOPICS.rawFrames, partition: 0, offset: k, indexInBatch: 0 },
});
const record = (meterId: string, readings: Reading[]): OutboundMessage => ({ key: meterId, value: Buffer.from(ReadingBatch.encode({ readings, producer: 'test', createdAtMs: 1, frames: [] }).finish()) });

class FakeReadingStore implements Partial<ReadingStore> {
  readonly rows = new Map<string, StoredReading>();
  writes = 0;
  async insertReadings(rows: readonly StoredReading[]): Promise<void> {
    this.writes++;
    for (const r of rows) this.rows.set(`${r.meterId}|${r.dataTimeMs}`, r);
  }
}

/** Refuses a row the way the real gateway refuses one it cannot take (a permanent HBaseError for the whole multi-put). */
class FakeWideStore implements Partial<WideColumnStore> {
  readonly rows = new Set<string>();
  down = false;
  async multiPut(_table: string, rows: readonly PutRow[]): Promise<void> {
    if (this.down) throw new HBaseError('CONNECTION', 'thrift connection to 127.0.0.1:9090 failed: ECONNREFUSED', true);
    if (rows.some((r) => r.row.includes('poison'))) throw new HBaseError('ILLEGAL_ARGUMENT', 'putMultiple: the gateway rejected the request (Internal error processing putMultiple)', false);
    for (const r of rows) this.rows.add(r.row.toString('hex'));
  }
}

/** The in-process bus, with the validated topic failing a chosen number of times. */
class FlakyValidatedBus extends MemoryBus {
  validatedFailures = 0;
  override async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (topic === TOPICS.readingsValidated && this.validatedFailures > 0) {
      this.validatedFailures--;
      throw new DependencyUnavailableError('kafka', 'broker unreachable');
    }
    return super.publish(topic, messages);
  }
}

describe('ReadingsConsumer', () => {
  let bus: FlakyValidatedBus;
  let store: FakeReadingStore;
  let wide: FakeWideStore;
  let consumer: ReadingsConsumer;
  const validated: Reading[] = [];
  const dead: DeadLetter[] = [];

  beforeEach(async () => {
    validated.length = 0;
    dead.length = 0;
    bus = new FlakyValidatedBus({ service: 'test', log: testLogger() });
    store = new FakeReadingStore();
    wide = new FakeWideStore();
    const archive = new MemoryArchive();
    await archive.put([{ address: '4101-00007', meters: [{ pn: 1, meterId: 'm1' }, { pn: 2, meterId: 'm2' }, { pn: 3, meterId: 'poison' }] }]);
    consumer = new ReadingsConsumer(bus as MessageBus, store as unknown as ReadingStore, wide as unknown as WideColumnStore, archive, testLogger(), {
      ...DEFAULT_STORAGE_OPTIONS,
      batchDelayMs: 5,
    });
    await bus.subscribe({ groupId: 'v', topics: [TOPICS.readingsValidated], handler: async (b) => (b.messages.forEach((m) => validated.push(...ReadingBatch.decode(m.value).readings)), OK) });
    await bus.subscribe({ groupId: 'd', topics: [TOPICS.deadLetter], handler: async (b) => (b.messages.forEach((m) => dead.push(DeadLetter.decode(m.value))), OK) });
    await consumer.start();
  });
  afterEach(() => bus.close());

  it('publishes validated readings even when that publish had to be retried (the duplicate check must not swallow them)', async () => {
    bus.validatedFailures = 2;
    await bus.publish(TOPICS.readings, [record('m1', [reading('m1', 0, 10), reading('m1', 1, 11)])]);
    await waitFor(() => validated.length === 2, 'both readings on gs.readings.validated.v1', 5000);
    expect(validated.map((r) => r.value)).toEqual([10, 11]);
    expect(store.writes).toBeGreaterThanOrEqual(3); // written again on each pass: idempotent
    expect(consumer.stats()).toMatchObject({ readingsStored: 2, byOutcome: { good: 2 } });
  });

  it('dead-letters the record whose row the wide-column store refuses for good, at once, and stores the records around it', async () => {
    await bus.publish(TOPICS.readings, [record('m1', [reading('m1', 0, 1)]), record('poison', [reading('poison', 0, 2)]), record('m2', [reading('m2', 0, 3)])]);
    await waitFor(() => dead.length === 1 && store.rows.has(`m2|${reading('m2', 0, 3).dataTimeMs}`), 'the oversized record dead-lettered and m2 stored', 5000);
    expect(dead[0]).toMatchObject({ code: 'HBASE_ILLEGAL_ARGUMENT', sourceTopic: TOPICS.readings });
    expect(dead[0]!.reason).toContain('the gateway rejected the request');
    expect(validated.map((r) => r.meterId).sort()).toEqual(['m1', 'm2']);
  });

  it('waits while a store is unavailable and loses nothing once it is back', async () => {
    wide.down = true;
    await bus.publish(TOPICS.readings, [record('m1', [reading('m1', 0, 5)])]);
    await new Promise((r) => setTimeout(r, 300));
    expect(dead).toEqual([]);
    expect(validated).toEqual([]);
    wide.down = false;
    await waitFor(() => validated.length === 1, 'the reading published once the store is back', 5000);
    expect(dead).toEqual([]);
  });

  it('dead-letters a record whose meter id is not an identifier (an external producer sent 10 kB of text)', async () => {
    await bus.publish(TOPICS.readings, [record('m1', [reading('m1', 0, 1), reading('x'.repeat(10_000), 0, 9)]), record('m2', [reading('m2', 0, 3)])]);
    await waitFor(() => dead.length === 1 && validated.length === 1, 'the record dead-lettered and the other one published', 5000);
    expect(dead[0]).toMatchObject({ code: 'METER_ID_INVALID' });
    expect(dead[0]!.reason).toContain('10000 characters');
    expect(validated.map((r) => r.meterId)).toEqual(['m2']);
  });
});
