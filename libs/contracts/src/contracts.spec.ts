import { existsSync } from 'node:fs';
import {
  DeadLetter,
  FrameRef,
  Protocol,
  QualityFlag,
  RawFrameBatch,
  ReadingBatch,
  Unit,
  protoPath,
} from './index';

describe('contracts', () => {
  it('encodes a RawFrameBatch with the field numbers of raw_frame.proto', () => {
    const bytes = RawFrameBatch.encode({
      frames: [
        {
          frameId: 'f1',
          protocol: Protocol.PROTOCOL_QGDW_1376_1,
          payload: Buffer.from([0x68, 0x16]),
          terminalAddress: '4101-00018',
          receivedAtMs: 1,
          direction: 1,
          source: 'tcp:x',
          connectionId: 'c',
        },
      ],
      producer: 'p',
      createdAtMs: 2,
    }).finish();
    // field 1 (frames), wire type 2 (length-delimited) => tag byte 0x0a
    expect(bytes[0]).toBe(0x0a);
    const back = RawFrameBatch.decode(bytes);
    expect(back.frames[0]!.payload.equals(Buffer.from([0x68, 0x16]))).toBe(true);
    expect(back.frames[0]!.terminalAddress).toBe('4101-00018');
    expect(back.producer).toBe('p');
  });

  it('keeps int64 times and offsets above 2^32 exact', () => {
    const ms = Date.UTC(2026, 10, 21, 8, 0, 0, 123);
    const ref: FrameRef = { frameId: 'x', topic: 't', partition: 3, offset: 2 ** 40 + 7, indexInBatch: 2 };
    const bytes = ReadingBatch.encode({
      readings: [
        {
          meterId: '000012345678',
          terminalAddress: '',
          measurementPoint: 1,
          quantity: 'energy.active.import',
          tariff: 0,
          unit: Unit.UNIT_KWH,
          value: 12345.67,
          dataTimeMs: ms,
          receivedAtMs: ms + 5,
          quality: QualityFlag.QUALITY_FLAG_OUT_OF_RANGE | QualityFlag.QUALITY_FLAG_ESTIMATED,
          source: ref,
        },
      ],
      producer: '',
      createdAtMs: 0,
      frames: [],
    }).finish();
    const r = ReadingBatch.decode(bytes).readings[0]!;
    expect(r.dataTimeMs).toBe(ms);
    expect(r.source?.offset).toBe(2 ** 40 + 7);
    expect(r.quality).toBe(2 | 64);
  });

  it('round-trips a DeadLetter with headers and a negative byte offset', () => {
    const dl = DeadLetter.fromPartial({ code: 'CHECKSUM', headers: { traceparent: 'abc' }, byteOffset: -1 });
    const back = DeadLetter.decode(DeadLetter.encode(dl).finish());
    expect(back.headers).toEqual({ traceparent: 'abc' });
    expect(back.byteOffset).toBe(-1);
  });

  it('locates the proto sources for run-time loading', () => {
    expect(existsSync(protoPath('grpc/health/v1/health.proto'))).toBe(true);
    expect(existsSync(protoPath('gridstation/v1/reading.proto'))).toBe(true);
  });
});
