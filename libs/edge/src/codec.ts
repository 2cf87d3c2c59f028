import * as zstd from '@bokuweb/zstd-wasm';
import { EdgeCodec } from '@gridstation/contracts';
import { EdgeBatchError } from './records';

// Batch compression: Zstandard, with a dictionary trained on data of the same shape (zstd --train, see
// train.ts) or without. Node 20 has no zstd of its own and the native bindings build from source
// (node-gyp, headers from the network), so this uses zstd compiled to WebAssembly; Node 22.15+ has
// zlib.zstdCompress, which could take this interface's place.

export interface Dictionary {
  id: number;
  bytes: Uint8Array;
}

export interface Compressed {
  codec: EdgeCodec;
  dictionaryId: number;
  payload: Uint8Array;
}

const DICT_MAGIC = 0xec30a437;
const FRAME_MAGIC = 0xfd2fb528;

/** The id a zstd dictionary declares in its header (0 for a raw-content dictionary). */
export function dictionaryIdOf(bytes: Uint8Array): number {
  if (bytes.length < 8) return 0;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getUint32(0, true) === DICT_MAGIC ? v.getUint32(4, true) : 0;
}

/** What a zstd frame's header says: its decompressed size (undefined when not written) and dictionary id. */
export function frameHeader(payload: Uint8Array): { contentSize?: number; dictionaryId: number } {
  if (payload.length < 6) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', 'the payload is too short for a zstd frame');
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (v.getUint32(0, true) !== FRAME_MAGIC) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', 'the payload is not a zstd frame');
  const fhd = payload[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictSize = [0, 1, 2, 4][fhd & 3]!;
  let at = 5 + (single ? 0 : 1);
  if (payload.length < at + dictSize) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', 'the zstd frame header is cut');
  let dictionaryId = 0;
  for (let i = 0; i < dictSize; i++) dictionaryId |= payload[at + i]! << (8 * i);
  dictionaryId >>>= 0;
  at += dictSize;
  const fcsSize = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
  if (fcsSize === 0) return { dictionaryId };
  if (payload.length < at + fcsSize) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', 'the zstd frame header is cut');
  let size = 0;
  for (let i = fcsSize - 1; i >= 0; i--) size = size * 256 + payload[at + i]!;
  if (fcsSize === 2) size += 256;
  return { contentSize: size, dictionaryId };
}

let ready: Promise<void> | undefined;

export class ZstdCodec {
  private readonly dicts = new Map<number, Uint8Array>();
  private readonly cctx: number;
  private readonly dctx: number;

  private constructor(dictionaries: readonly Dictionary[], private readonly level: number) {
    for (const d of dictionaries) this.dicts.set(d.id, d.bytes);
    this.cctx = zstd.createCCtx();
    this.dctx = zstd.createDCtx();
  }

  /** Loads the WebAssembly module once per process. */
  static async create(dictionaries: readonly Dictionary[] = [], level = 3): Promise<ZstdCodec> {
    ready ??= zstd.init();
    await ready;
    return new ZstdCodec(dictionaries, level);
  }

  get dictionaryIds(): number[] {
    return [...this.dicts.keys()];
  }

  /** With the dictionary when one is named (and known), otherwise plain zstd. */
  compress(raw: Uint8Array, dictionaryId = 0): Compressed {
    const dict = dictionaryId ? this.dicts.get(dictionaryId) : undefined;
    if (dictionaryId && !dict) throw new EdgeBatchError('UNKNOWN_DICTIONARY', `dictionary ${dictionaryId} is not loaded`);
    if (dict) return { codec: EdgeCodec.EDGE_CODEC_ZSTD_DICT, dictionaryId, payload: zstd.compressUsingDict(this.cctx, raw, dict, this.level) };
    return { codec: EdgeCodec.EDGE_CODEC_ZSTD, dictionaryId: 0, payload: zstd.compress(raw, this.level) };
  }

  /** The raw bytes; refuses frames that would decompress beyond `maxBytes` or name a dictionary it does not have. */
  decompress(c: Compressed, maxBytes: number): Uint8Array {
    if (c.codec === EdgeCodec.EDGE_CODEC_NONE) {
      if (c.payload.length > maxBytes) throw new EdgeBatchError('EDGE_PAYLOAD_TOO_LARGE', `payload of ${c.payload.length} bytes, at most ${maxBytes}`);
      return c.payload;
    }
    if (c.codec !== EdgeCodec.EDGE_CODEC_ZSTD && c.codec !== EdgeCodec.EDGE_CODEC_ZSTD_DICT) throw new EdgeBatchError('UNKNOWN_CODEC', `codec ${c.codec} is not one this station reads`);
    const h = frameHeader(c.payload);
    if (h.contentSize === undefined) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', 'the zstd frame does not state its size');
    if (h.contentSize > maxBytes) throw new EdgeBatchError('EDGE_PAYLOAD_TOO_LARGE', `the frame decompresses to ${h.contentSize} bytes, at most ${maxBytes}`);
    try {
      if (c.codec === EdgeCodec.EDGE_CODEC_ZSTD) return zstd.decompress(c.payload);
      const dict = this.dicts.get(c.dictionaryId);
      if (!dict) throw new EdgeBatchError('UNKNOWN_DICTIONARY', `dictionary ${c.dictionaryId} is not loaded here (have ${this.dictionaryIds.join(', ') || 'none'})`);
      if (h.dictionaryId && h.dictionaryId !== c.dictionaryId) throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', `the frame was made with dictionary ${h.dictionaryId}, the batch says ${c.dictionaryId}`);
      return zstd.decompressUsingDict(this.dctx, c.payload, dict);
    } catch (e) {
      if (e instanceof EdgeBatchError) throw e;
      throw new EdgeBatchError('EDGE_PAYLOAD_UNDECODABLE', `zstd could not decompress the payload: ${(e as Error).message}`);
    }
  }
}
