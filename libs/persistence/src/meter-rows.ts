import { createHash } from 'node:crypto';
import type { PutRow, Row, TableSpec } from '@gridstation/hbase';
import type { RawFrame } from '@gridstation/contracts';
import type { StoredReading } from './model';

// The wide-column table `meter_data` (HBase, or LevelDB embedded): everything of one meter in one
// contiguous key range, raw frames next to the values decoded from them.
//
//   row key = salt | meter id | 00 | kind | time (8 bytes, big-endian ms) [ | frame id ]
//     salt   one hex character, the first 4 bits of MD5(meter id). Meter ids are sequential numbers, so
//            unsalted keys would send a whole province's writes to the last region; the salt spreads
//            them over 16 pre-split regions, and because it is derived from the meter id, all rows of a
//            meter still share one prefix: a meter's time range is one short scan, never 16.
//     kind   'R' reading row (one per data time), 'F' frame row (one per raw frame that carried the meter).
//   family r: qualifier "<quantity>#<tariff>", value = float64 | quality u32 | unit u8 | frame id (UTF-8)
//   family f: "raw" = the frame bytes, "ref" = JSON {topic, partition, offset, terminal, protocol, receivedAtMs}
// Puts are idempotent: the same reading written twice lands in the same cell.

export const METER_TABLE = 'meter_data';
export const SALT_BUCKETS = 16;

export const meterTableSpec = (name = METER_TABLE): TableSpec => ({
  name,
  families: [
    { name: 'r', maxVersions: 1 },
    { name: 'f', maxVersions: 1 },
  ],
  splitKeys: Array.from({ length: SALT_BUCKETS - 1 }, (_, i) => (i + 1).toString(16)),
});

/** Salts of recently seen meters: the same meters report all day, and MD5 per reading was a measurable cost. */
const salts = new Map<string, string>();
const SALT_CACHE = 200_000;

export function saltOf(meterId: string): string {
  let salt = salts.get(meterId);
  if (salt === undefined) {
    salt = (createHash('md5').update(meterId).digest()[0]! >> 4).toString(16);
    if (salts.size >= SALT_CACHE) salts.clear();
    salts.set(meterId, salt);
  }
  return salt;
}

const be8 = (ms: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(ms));
  return b;
};

export function meterPrefix(meterId: string, kind: 'R' | 'F'): Buffer {
  return Buffer.concat([Buffer.from(saltOf(meterId) + meterId), Buffer.from([0]), Buffer.from(kind)]);
}

export function readingRowKey(meterId: string, dataTimeMs: number): Buffer {
  return Buffer.concat([meterPrefix(meterId, 'R'), be8(dataTimeMs)]);
}

export function frameRowKey(meterId: string, receivedAtMs: number, frameId: string): Buffer {
  return Buffer.concat([meterPrefix(meterId, 'F'), be8(receivedAtMs), Buffer.from(frameId)]);
}

/** Scan bounds for one meter's readings with data time in [fromMs, toMs). */
export function readingRange(meterId: string, fromMs: number, toMs: number): { startRow: Buffer; stopRow: Buffer } {
  return { startRow: readingRowKey(meterId, fromMs), stopRow: readingRowKey(meterId, toMs) };
}

/**
 * The many small buffers of one batch, cut from a few large ones. Not from Node's shared 8 KiB pool
 * (Buffer.allocUnsafe): there one small buffer that is still in flight keeps its whole pool slab alive,
 * and a storage process with ~100k cells in flight held ~600 MB of mostly dead slabs. A batch's cells
 * live and die together, so their chunks are freed together.
 */
export class Arena {
  private chunk = Buffer.allocUnsafeSlow(0);
  private at = 0;

  take(n: number): Buffer {
    if (this.at + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(64 * 1024, n));
      this.at = 0;
    }
    const b = this.chunk.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
}

export function encodeCellValue(r: Pick<StoredReading, 'value' | 'quality' | 'unit' | 'frameId'>, arena = new Arena()): Buffer {
  const b = arena.take(13 + Buffer.byteLength(r.frameId));
  b.writeDoubleBE(r.value, 0);
  b.writeUInt32BE(r.quality >>> 0, 8);
  b.writeUInt8(r.unit, 12);
  b.write(r.frameId, 13);
  return b;
}

function rowKeyIn(arena: Arena, meterId: string, dataTimeMs: number): Buffer {
  const head = saltOf(meterId) + meterId;
  const b = arena.take(head.length + 10);
  b.write(head, 0, 'latin1');
  b[head.length] = 0;
  b[head.length + 1] = 0x52; // 'R'
  b.writeBigInt64BE(BigInt(dataTimeMs), head.length + 2);
  return b;
}

/** Groups readings into one put per (meter, data time) row. */
export function readingPuts(rows: readonly StoredReading[]): PutRow[] {
  // The row key is built once per row, not once per reading (a row holds some 40 readings).
  const arena = new Arena();
  const byRow = new Map<string, PutRow>();
  for (const r of rows) {
    const k = `${r.meterId}|${r.dataTimeMs}`;
    let put = byRow.get(k);
    if (!put) byRow.set(k, (put = { row: rowKeyIn(arena, r.meterId, r.dataTimeMs), cells: [] }));
    put.cells.push({ family: 'r', qualifier: `${r.quantity}#${r.tariff}`, value: encodeCellValue(r, arena) });
  }
  return [...byRow.values()];
}

export interface FrameSource {
  topic: string;
  partition: number;
  offset: number;
}

export function framePut(meterId: string, frame: RawFrame, src: FrameSource): PutRow {
  // A copy of its own (the payload is a slice of the whole Kafka record it was decoded from), outside the pool.
  const raw = Buffer.allocUnsafeSlow(frame.payload.length);
  raw.set(frame.payload);
  return {
    row: frameRowKey(meterId, frame.receivedAtMs, frame.frameId),
    cells: [
      { family: 'f', qualifier: 'raw', value: raw },
      {
        family: 'f',
        qualifier: 'ref',
        value: JSON.stringify({ ...src, terminal: frame.terminalAddress, protocol: frame.protocol, receivedAtMs: frame.receivedAtMs, connection: frame.connectionId }),
      },
    ],
  };
}

export interface DecodedCell {
  meterId: string;
  dataTimeMs: number;
  quantity: string;
  tariff: number;
  value: number;
  quality: number;
  unit: number;
  frameId: string;
}

/** The readings held by one reading row (what a per-meter scan returns). */
export function decodeReadingRow(row: Row): DecodedCell[] {
  const sep = row.row.indexOf(0, 1);
  const meterId = row.row.subarray(1, sep).toString();
  const dataTimeMs = Number(row.row.readBigInt64BE(sep + 2));
  return row.cells
    .filter((c) => c.family === 'r')
    .map((c) => {
      const hash = c.qualifier.lastIndexOf('#');
      return {
        meterId,
        dataTimeMs,
        quantity: c.qualifier.slice(0, hash),
        tariff: Number(c.qualifier.slice(hash + 1)),
        value: c.value.readDoubleBE(0),
        quality: c.value.readUInt32BE(8),
        unit: c.value.readUInt8(12),
        frameId: c.value.subarray(13).toString(),
      };
    });
}
