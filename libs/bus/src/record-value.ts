/** A record value from a protobuf writer (`Message.encode(x)`), sharing the encoded bytes instead of copying them. */
export function recordValue(writer: { finish(): Uint8Array }): Buffer {
  const u = writer.finish();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
