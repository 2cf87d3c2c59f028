import type { Result } from '../src/common/errors';

// Helpers shared by the protocol specs: frames are written as the standards print them.

/** "68 32 00 ..." -> bytes. */
export const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));

/** bytes -> "68 32 00 ...". */
export const toHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');

/** The value of a successful result; a failed one fails the test with its code, offset and message. */
export function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  return r.value;
}
