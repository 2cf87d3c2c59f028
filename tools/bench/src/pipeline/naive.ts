import type { Admin, Kafka } from 'kafkajs';
import { Reading } from '@gridstation/contracts';
import type { WideColumnStore } from '@gridstation/hbase';
import { readingPuts, toReading, toStoredReading, type ReadingStore, type StoredReading } from '@gridstation/persistence';

// The naive path the batched pipeline is compared with (the paper's baseline role): one Kafka record per
// reading, and per record one small insert into ClickHouse and one put into HBase before the next record.

export interface NaiveResult {
  seconds: number;
  producedPerSec: number;
  storedPerSec: number;
}

export async function naivePath(kafka: Kafka, admin: Admin, store: ReadingStore, wide: WideColumnStore, table: string, sample: readonly StoredReading[], seconds: number): Promise<NaiveResult> {
  const topic = `gs.bench.naive.${Date.now()}`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${topic}.group` });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let stored = 0;
  let produced = 0;
  let stop = false;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const r = toStoredReading(Reading.decode(message.value!), 0, Date.now());
      await store.insertReadings([r]);
      await wide.multiPut(table, readingPuts([r]));
      stored++;
    },
  });
  const started = performance.now();
  const senders = Array.from({ length: 16 }, async (_, k) => {
    for (let i = k; !stop; i += 16) {
      const r = sample[i % sample.length]!;
      await producer.send({ topic, acks: -1, messages: [{ key: r.meterId, value: Buffer.from(Reading.encode(toReading(r)).finish()) }] });
      produced++;
    }
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const storedInWindow = stored;
  const producedInWindow = produced;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(senders);
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.deleteGroups([`${topic}.group`]).catch(() => undefined);
  return { seconds: elapsed, producedPerSec: producedInWindow / elapsed, storedPerSec: storedInWindow / elapsed };
}
