/** A record value from a protobuf writer (`Message.encode(x)`), sharing the encoded bytes instead of copying them. */
export function recordValue(writer: { finish(): Uint8Array }): Buffer {
  const u = writer.finish();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Items grouped by key, in first-seen order: the usual step before publishing one record per key. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
