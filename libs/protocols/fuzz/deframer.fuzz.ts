// Fuzz target over the deframers. The first input byte picks the chunk size, the rest is the stream.
// Invariants: nothing throws; every byte is accounted for at most once; every frame the deframer emits
// is well delimited (its decoder may reject the content, e.g. a non-BCD address, but never its length,
// checksum or end byte); normalisation of every frame returns a result.
//   npm run -s fuzz:deframer -- [seconds] [seed]
import { createAutoDeframer, describeEvent, normalizeFrame, qgdw1376, dlt645, dlt698, type DeframeEvent } from '../src';

const ctx = {
  receivedAtMs: 0,
  tzOffsetMinutes: 480,
  source: { frameId: 'fuzz', topic: 'fuzz', partition: 0, offset: 0, indexInBatch: 0 },
};

export function fuzz(data: Buffer): void {
  if (data.length === 0) return;
  const chunk = (data[0]! % 64) + 1;
  const stream = data.subarray(1);
  const d = createAutoDeframer(4096);
  const events: DeframeEvent[] = [];
  for (let p = 0; p < stream.length; p += chunk) events.push(...d.push(stream.subarray(p, p + chunk)));
  events.push(...d.finish());
  let covered = 0;
  for (const e of events) {
    if (e.type === 'error') {
      if (e.code === 'GARBAGE') covered += e.length;
      continue;
    }
    covered += e.bytes.length;
    const decoded = e.protocol === 'dlt645' ? dlt645.decodeDlt645Frame(e.bytes) : e.protocol === 'dlt698' ? dlt698.decodeDlt698Frame(e.bytes) : qgdw1376.decodeQgdwFrame(e.bytes);
    if (!decoded.ok && (decoded.error.code === 'CHECKSUM' || decoded.error.code === 'TRUNCATED' || decoded.error.code === 'LENGTH_MISMATCH')) {
      throw new Error(`deframer emitted a badly delimited frame: ${decoded.error.message}`);
    }
    if (e.protocol === 'dlt698' && decoded.ok && typeof dlt698.decodeApdu((decoded.value as dlt698.Dlt698Frame).apdu).ok !== 'boolean') throw new Error('decodeApdu returned no result');
    if (typeof describeEvent(e).offset !== 'number') throw new Error('describeEvent returned no offset');
    const n = normalizeFrame(e.protocol, e.bytes, ctx);
    if (typeof n.ok !== 'boolean') throw new Error('normalizeFrame returned no result');
  }
  if (covered > stream.length) throw new Error(`accounted for ${covered} bytes of ${stream.length}`);
  if (d.buffered !== 0) throw new Error('bytes left buffered after finish()');
}
