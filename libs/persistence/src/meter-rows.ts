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
//   family r, one of two layouts (both read back alike, and one row may hold both):
//     packed  qualifier "@<frame id>": every value that frame carried for this meter at this data time,
//             value = version u8 (1) | stored at f64 ms | count u16 | count x (quantity length u16 |
//             quantity UTF-8 | tariff u32 | value f64 | quality u32 | unit u8). One cell for some 40
//             readings: the store moves bytes instead of cells. Rewriting a frame rewrites its cell;
//             two frames with a value for the same identity are read back as the newer write.
//     cells   qualifier "<quantity>#<tariff>", value = float64 | quality u32 | unit u8 | frame id (UTF-8):
//             one cell per reading (the earlier layout, GS_HBASE_LAYOUT=cells).
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

export type ReadingLayout = 'packed' | 'cells';

/** Qualifiers of packed cells start with this; a quantity never does (quantities are dotted names). */
export const PACKED_MARK = '@';
const PACKED_VERSION = 1;

/** One packed cell: the readings of one frame for one meter at one data time (all share meter, time and frame). */
export function encodePackedCell(readings: readonly StoredReading[], arena = new Arena()): Buffer {
  let size = 11;
  for (const r of readings) size += 19 + Buffer.byteLength(r.quantity);
  const b = arena.take(size);
  b[0] = PACKED_VERSION;
  b.writeDoubleBE(readings.reduce((m, r) => Math.max(m, r.storedAtMs), 0), 1);
  b.writeUInt16BE(readings.length, 9);
  let at = 11;
  for (const r of readings) {
    const q = b.write(r.quantity, at + 2);
    b.writeUInt16BE(q, at);
    at += 2 + q;
    b.writeUInt32BE(r.tariff >>> 0, at);
    b.writeDoubleBE(r.value, at + 4);
    b.writeUInt32BE(r.quality >>> 0, at + 12);
    b[at + 16] = r.unit;
    at += 17;
  }
  return b;
}

/**
 * Groups readings into one put per (meter, data time) row: packed, one cell per frame in the row; or one
 * cell per reading.
 */
export function readingPuts(rows: readonly StoredReading[], layout: ReadingLayout = 'packed'): PutRow[] {
  // The row key is built once per row, not once per reading (a row holds some 40 readings).
  const arena = new Arena();
  const byRow = new Map<string, PutRow>();
  const put = (r: StoredReading): PutRow => {
    const k = `${r.meterId}|${r.dataTimeMs}`;
    let p = byRow.get(k);
    if (!p) byRow.set(k, (p = { row: rowKeyIn(arena, r.meterId, r.dataTimeMs), cells: [] }));
    return p;
  };
  if (layout === 'cells') {
    for (const r of rows) put(r).cells.push({ family: 'r', qualifier: `${r.quantity}#${r.tariff}`, value: encodeCellValue(r, arena) });
    return [...byRow.values()];
  }
  const byCell = new Map<string, StoredReading[]>();
  for (const r of rows) {
    const k = `${r.meterId}|${r.dataTimeMs}|${r.frameId}`;
    const list = byCell.get(k);
    if (list) list.push(r);
    else byCell.set(k, [r]);
  }
  for (const list of byCell.values()) {
    const first = list[0]!;
    put(first).cells.push({ family: 'r', qualifier: PACKED_MARK + first.frameId, value: encodePackedCell(list, arena) });
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

/**
 * The readings held by one reading row (what a per-meter scan returns), one per identity, ordered by
 * quantity and tariff. Where two packed cells hold the same identity, the one stored later wins; a packed
 * cell wins over a per-reading cell.
 */
export function decodeReadingRow(row: Row): DecodedCell[] {
  const sep = row.row.indexOf(0, 1);
  const meterId = row.row.subarray(1, sep).toString();
  const dataTimeMs = Number(row.row.readBigInt64BE(sep + 2));
  const byIdentity = new Map<string, { cell: DecodedCell; storedAtMs: number }>();
  const offer = (cell: DecodedCell, storedAtMs: number) => {
    const k = `${cell.quantity}#${cell.tariff}`;
    const had = byIdentity.get(k);
    if (!had || had.storedAtMs <= storedAtMs) byIdentity.set(k, { cell, storedAtMs });
  };
  for (const c of row.cells) {
    if (c.family !== 'r') continue;
    if (c.qualifier.startsWith(PACKED_MARK)) {
      decodePackedCell(c.value, meterId, dataTimeMs, c.qualifier.slice(PACKED_MARK.length), offer);
      continue;
    }
    const hash = c.qualifier.lastIndexOf('#');
    offer(
      {
        meterId,
        dataTimeMs,
        quantity: c.qualifier.slice(0, hash),
        tariff: Number(c.qualifier.slice(hash + 1)),
        value: c.value.readDoubleBE(0),
        quality: c.value.readUInt32BE(8),
        unit: c.value.readUInt8(12),
        frameId: c.value.subarray(13).toString(),
      },
      Number.NEGATIVE_INFINITY,
    );
  }
  return [...byIdentity.values()]
    .map((e) => e.cell)
    .sort((a, b) => (a.quantity === b.quantity ? a.tariff - b.tariff : a.quantity < b.quantity ? -1 : 1));
}

function decodePackedCell(v: Buffer, meterId: string, dataTimeMs: number, frameId: string, offer: (c: DecodedCell, storedAtMs: number) => void): void {
  if (v[0] !== PACKED_VERSION) throw new Error(`packed cell of frame ${frameId} has version ${v[0]}, this build reads ${PACKED_VERSION}`);
  const storedAtMs = v.readDoubleBE(1);
  const count = v.readUInt16BE(9);
  let at = 11;
  for (let i = 0; i < count; i++) {
    const q = v.readUInt16BE(at);
    const quantity = v.toString('utf8', at + 2, at + 2 + q);
    at += 2 + q;
    offer({ meterId, dataTimeMs, quantity, tariff: v.readUInt32BE(at), value: v.readDoubleBE(at + 4), quality: v.readUInt32BE(at + 12), unit: v[at + 16]!, frameId }, storedAtMs);
    at += 17;
  }
}
