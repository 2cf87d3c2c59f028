import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import type { WideColumnStore } from '@gridstation/hbase';
import { meterTableSpec, READING_INSERT_COLUMNS, readingPuts, readingsTsv, type ReadingLayout, type StoredReading } from '@gridstation/persistence';

// The raw limits of this machine for the same data, each measured with the system's own tool where it
// has one: Kafka's ProducerPerformance / ConsumerPerformance, clickhouse-client bulk insert from a file,
// and HBase multi-put (through the Thrift2 gateway, the only HBase path a Node service has).

const run = promisify(execFile);

export interface KafkaRaw {
  recordBytes: number;
  records: number;
  producerRecordsPerSec: number;
  producerMBPerSec: number;
  producerP99Ms: number;
  consumerRecordsPerSec: number;
  consumerMBPerSec: number;
}

export async function kafkaRaw(admin: Admin, kafkaLibs: string, opts: { recordBytes: number; records: number; partitions: number }): Promise<KafkaRaw> {
  const topic = `gs.bench.raw.${Date.now()}`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: opts.partitions, replicationFactor: 1 }] });
  const java = (main: string, args: string[]) =>
    run('java', ['-Xmx512m', '-cp', `${kafkaLibs}/*`, '-Dlog4j.configuration=file:/dev/null', main, ...args], { maxBuffer: 16 << 20, timeout: 600_000 }).then((r) => r.stdout);
  try {
    // Same record size and acks as the pipeline's producers (acks=all, no compression).
    const p = await java('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', topic, '--num-records', String(opts.records), '--record-size', String(opts.recordBytes), '--throughput', '-1',
      '--producer-props', 'bootstrap.servers=127.0.0.1:9092', 'acks=all', 'compression.type=none',
    ]);
    const last = p.trim().split('\n').at(-1) ?? '';
    const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).* (\d+) ms 99th/.exec(last);
    if (!m) throw new Error(`ProducerPerformance printed no result: ${p.slice(-500)}`);
    const c = await java('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', '127.0.0.1:9092', '--topic', topic, '--messages', String(opts.records), '--timeout', '60000']);
    const lines = c.trim().split('\n');
    const header = lines.findIndex((l) => l.startsWith('start.time'));
    const cols = (lines[header] ?? '').split(',').map((s) => s.trim());
    const vals = (lines[header + 1] ?? '').split(',').map((s) => s.trim());
    const col = (name: string) => Number(vals[cols.indexOf(name)]);
    if (header < 0 || !(col('data.consumed.in.nMsg') >= opts.records)) throw new Error(`ConsumerPerformance did not read every record: ${c.slice(-500)}`);
    return {
      recordBytes: opts.recordBytes,
      records: opts.records,
      producerRecordsPerSec: Number(m[1]),
      producerMBPerSec: Number(m[2]),
      producerP99Ms: Number(m[3]),
      // fetch.* excludes the group join; that is the consumer's sustained rate.
      consumerRecordsPerSec: col('fetch.nMsg.sec'),
      consumerMBPerSec: col('fetch.MB.sec'),
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
}

/** The sample repeated until `total` readings, one array per copy (copies get a meter-id suffix, so rows stay distinct). */
export function* copiesOf(sample: readonly StoredReading[], total: number): Generator<StoredReading[]> {
  if (sample.length === 0) throw new Error('no sample rows');
  for (let copy = 0, n = 0; n < total; copy++) {
    const rows = sample.slice(0, total - n).map((r) => (copy === 0 ? r : { ...r, meterId: `${r.meterId}-${copy}` }));
    n += rows.length;
    yield rows;
  }
}

/** The sample repeated to `rows` readings as a TabSeparated file, in the storage service's own encoding. */
export async function writeTsv(file: string, sample: readonly StoredReading[], rows: number): Promise<number> {
  const out = createWriteStream(file);
  let n = 0;
  for (const copy of copiesOf(sample, rows)) {
    n += copy.length;
    if (!out.write(readingsTsv(copy))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return n;
}

export interface ClickHouseRaw {
  rows: number;
  fileMiB: number;
  seconds: number;
  rowsPerSec: number;
}

/** clickhouse-client: INSERT ... FORMAT TabSeparated from the file (native protocol). */
export async function clickhouseRaw(file: string, database: string, rows: number): Promise<ClickHouseRaw> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('clickhouse-client', ['--host', '127.0.0.1', '--port', '9000', '--query', `INSERT INTO ${database}.readings (${READING_INSERT_COLUMNS.join(', ')}) FORMAT TabSeparated`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    createReadStream(file).pipe(child.stdin);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`clickhouse-client exited ${code}: ${err.slice(-1000)}`))));
  });
  const seconds = (performance.now() - started) / 1000;
  return { rows, fileMiB: Math.round(statSync(file).size / 1048576), seconds, rowsPerSec: rows / seconds };
}

export interface HBaseRaw {
  layout: ReadingLayout;
  readings: number;
  rows: number;
  cells: number;
  seconds: number;
  readingsPerSec: number;
  rowsPerSec: number;
  cellsPerSec: number;
  batchRows: number;
  concurrency: number;
}

/** The same readings as HBase puts (one row per meter and data time) in `layout`, written in multi-puts of `batchRows`. */
export async function hbaseRaw(store: WideColumnStore, table: string, sample: readonly StoredReading[], readings: number, batchRows: number, concurrency: number, layout: ReadingLayout): Promise<HBaseRaw> {
  if (!(await store.tableExists(table))) await store.createTable(meterTableSpec(table));
  const all = [...copiesOf(sample, readings)].flat();
  const started = performance.now();
  // Building the puts is part of the cost of a layout (the storage process pays it per batch).
  const puts = readingPuts(all, layout);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < puts.length) {
        const from = next;
        next += batchRows;
        await store.multiPut(table, puts.slice(from, from + batchRows));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cells = puts.reduce((n, p) => n + p.cells.length, 0);
  return { layout, readings: all.length, rows: puts.length, cells, seconds, readingsPerSec: all.length / seconds, rowsPerSec: puts.length / seconds, cellsPerSec: cells / seconds, batchRows, concurrency };
}

export const benchDir = (root: string) => join(root, 'tmp', 'bench');
