import { EdgeCodec, EdgeRecordBatch, Unit } from '@gridstation/contracts';
import { dictionaryIdOf, frameHeader, ZstdCodec } from './codec';
import { EdgeBatchError, packRecords, unpackRecords, type EdgeRecord } from './records';

const Q = [
  { quantity: 'energy.active.import', unit: Unit.UNIT_KWH, scale: 4 },
  { quantity: 'voltage.a', unit: Unit.UNIT_V, scale: 1 },
];

describe('edge record batches', () => {
  it('pack and unpack: every value back at its scale, missing values stay missing, one unit per timestamp', () => {
    const records: EdgeRecord[] = [
      { meterId: 'm2', timestampMs: 2000, values: [12.3457, 230.1] },
      { meterId: 'm1', timestampMs: 1000, values: [100.0001, 229.9] },
      { meterId: 'm2', timestampMs: 1000, values: [12.3, undefined] },
      { meterId: 'm1', timestampMs: 2000, values: [100.0101, 230] },
      { meterId: 'm3', timestampMs: 2000, values: [undefined, 231.5] },
    ];
    const bytes = packRecords(records, Q);
    const decoded = EdgeRecordBatch.decode(bytes);
    expect(decoded.units.map((u) => Number(u.timestampMs))).toEqual([1000, 2000]);
    expect(decoded.meterIds).toEqual(['m2', 'm1', 'm3']);
    // Second unit of m1's energy: the difference from the first, in 10^-4 kWh.
    expect(decoded.units[1]!.deltas[2]).toBe(100);
    const back = unpackRecords(bytes).records;
    const key = (r: EdgeRecord) => `${r.meterId}@${r.timestampMs}`;
    expect(new Map(back.map((r) => [key(r), r.values]))).toEqual(new Map(records.map((r) => [key(r), r.values])));
  });

  it('refuses what is not a batch, and a unit whose values and presence bits disagree', () => {
    expect(() => unpackRecords(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(EdgeBatchError);
    const bad = EdgeRecordBatch.encode({ meterIds: ['m1'], quantities: Q, units: [{ timestampMs: 1, deltas: [1, 2, 3], present: Buffer.alloc(0) }] }).finish();
    expect(() => unpackRecords(bad)).toThrow(/more values than its presence bits/);
    expect(() => packRecords([{ meterId: 'm', timestampMs: 1, values: [1] }], Q)).toThrow(/1 values for 2 quantities/);
  });
});

describe('zstd codec', () => {
  const sample = packRecords(
    Array.from({ length: 200 }, (_, i) => ({ meterId: `m${i % 20}`, timestampMs: 1000 * Math.floor(i / 20), values: [1000 + i * 0.01, 230 + (i % 3) * 0.1] })),
    Q,
  );

  it('compresses and decompresses, with and without a dictionary; the frame states its size', async () => {
    const dict = sample.slice(0, 512); // a raw-content dictionary (any bytes) is valid for zstd
    const codec = await ZstdCodec.create([{ id: 7, bytes: dict }]);
    const plain = codec.compress(sample);
    expect(plain.codec).toBe(EdgeCodec.EDGE_CODEC_ZSTD);
    expect(plain.payload.length).toBeLessThan(sample.length);
    expect(frameHeader(plain.payload).contentSize).toBe(sample.length);
    expect(codec.decompress(plain, 1 << 20)).toEqual(sample);
    const withDict = codec.compress(sample, 7);
    expect(withDict).toMatchObject({ codec: EdgeCodec.EDGE_CODEC_ZSTD_DICT, dictionaryId: 7 });
    expect(codec.decompress(withDict, 1 << 20)).toEqual(sample);
  });

  it('refuses a frame beyond the size limit, an unknown dictionary and bytes that are not zstd', async () => {
    const codec = await ZstdCodec.create();
    const c = codec.compress(sample);
    expect(() => codec.decompress(c, 100)).toThrow(/at most 100/);
    expect(() => codec.decompress({ ...c, codec: EdgeCodec.EDGE_CODEC_ZSTD_DICT, dictionaryId: 9 }, 1 << 20)).toThrow(/dictionary 9 is not loaded/);
    expect(() => codec.decompress({ codec: EdgeCodec.EDGE_CODEC_ZSTD, dictionaryId: 0, payload: Uint8Array.from([1, 2, 3, 4, 5, 6, 7]) }, 1 << 20)).toThrow(/not a zstd frame/);
    expect(() => codec.compress(sample, 5)).toThrow(/dictionary 5 is not loaded/);
  });

  it('reads the id from a trained dictionary header', () => {
    const d = new Uint8Array(16);
    new DataView(d.buffer).setUint32(0, 0xec30a437, true);
    new DataView(d.buffer).setUint32(4, 1234, true);
    expect(dictionaryIdOf(d)).toBe(1234);
    expect(dictionaryIdOf(new Uint8Array(16))).toBe(0);
  });
});
