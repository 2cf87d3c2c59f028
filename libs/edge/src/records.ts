import { EdgeRecordBatch, type EdgeQuantity, type EdgeUnit } from '@gridstation/contracts';

// An agent's records and the batch payload they travel in. A record is one meter's values at one
// time. All records of one timestamp are packed into one composite unit; each value is an integer in
// units of 10^-scale of its quantity, sent as the difference from the same meter and quantity in the
// unit before (a smooth series becomes small numbers, which compress well).

export interface EdgeRecord {
  meterId: string;
  timestampMs: number;
  /** One value per quantity of the layout, in its order; undefined = not read. */
  values: ReadonlyArray<number | undefined>;
}

export class EdgeBatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EdgeBatchError';
  }
}

/** Packs records (any order) into the batch payload; meters in order of first appearance. */
export function packRecords(records: readonly EdgeRecord[], quantities: readonly EdgeQuantity[]): Uint8Array {
  const meterIndex = new Map<string, number>();
  const byTime = new Map<number, EdgeRecord[]>();
  for (const r of records) {
    if (r.values.length !== quantities.length) throw new EdgeBatchError('BAD_RECORD', `record of ${r.meterId} has ${r.values.length} values for ${quantities.length} quantities`);
    if (!meterIndex.has(r.meterId)) meterIndex.set(r.meterId, meterIndex.size);
    const list = byTime.get(r.timestampMs) ?? [];
    list.push(r);
    byTime.set(r.timestampMs, list);
  }
  const q = quantities.length;
  const width = meterIndex.size * q;
  const factor = quantities.map((x) => 10 ** x.scale);
  const prev = new Float64Array(width);
  const units: EdgeUnit[] = [];
  for (const t of [...byTime.keys()].sort((a, b) => a - b)) {
    const scaled = new Array<number | undefined>(width);
    for (const r of byTime.get(t)!) {
      const base = meterIndex.get(r.meterId)! * q;
      r.values.forEach((v, k) => {
        if (v !== undefined && Number.isFinite(v)) scaled[base + k] = Math.round(v * factor[k]!);
      });
    }
    const deltas: number[] = [];
    const present = new Uint8Array(Math.ceil(width / 8));
    let all = true;
    for (let i = 0; i < width; i++) {
      const v = scaled[i];
      if (v === undefined) {
        all = false;
        continue;
      }
      present[i >> 3]! |= 1 << (i & 7);
      deltas.push(v - prev[i]!);
      prev[i] = v;
    }
    units.push({ timestampMs: t, deltas, present: all ? Buffer.alloc(0) : Buffer.from(present.buffer, present.byteOffset, present.byteLength) });
  }
  return EdgeRecordBatch.encode({ meterIds: [...meterIndex.keys()], quantities: [...quantities], units }).finish();
}

/** The records of a batch payload, in unit order then meter order; a meter with no value at a time has no record. */
export function unpackRecords(payload: Uint8Array): { quantities: EdgeQuantity[]; records: EdgeRecord[] } {
  let batch: EdgeRecordBatch;
  try {
    batch = EdgeRecordBatch.decode(payload);
  } catch (e) {
    throw new EdgeBatchError('EDGE_BATCH_UNDECODABLE', `the batch payload is not an EdgeRecordBatch: ${(e as Error).message}`);
  }
  const q = batch.quantities.length;
  const width = batch.meterIds.length * q;
  const factor = batch.quantities.map((x) => 10 ** x.scale);
  const prev = new Float64Array(width);
  const records: EdgeRecord[] = [];
  for (const u of batch.units) {
    const all = u.present.length === 0;
    if (!all && u.present.length !== Math.ceil(width / 8)) throw new EdgeBatchError('EDGE_BATCH_BAD_UNIT', `unit at ${u.timestampMs}: presence of ${u.present.length} bytes for ${width} values`);
    let d = 0;
    const values = new Array<number | undefined>(width);
    for (let i = 0; i < width; i++) {
      if (!all && !(u.present[i >> 3]! & (1 << (i & 7)))) continue;
      if (d >= u.deltas.length) throw new EdgeBatchError('EDGE_BATCH_BAD_UNIT', `unit at ${u.timestampMs}: fewer values than its presence bits`);
      prev[i] = prev[i]! + u.deltas[d++]!;
      values[i] = prev[i]! / factor[i % q]!;
    }
    if (d !== u.deltas.length) throw new EdgeBatchError('EDGE_BATCH_BAD_UNIT', `unit at ${u.timestampMs}: more values than its presence bits`);
    batch.meterIds.forEach((meterId, m) => {
      const vs = values.slice(m * q, m * q + q);
      if (vs.some((v) => v !== undefined)) records.push({ meterId, timestampMs: Number(u.timestampMs), values: vs });
    });
  }
  return { quantities: batch.quantities, records };
}
