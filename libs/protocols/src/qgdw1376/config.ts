import { fail, ok, type Result } from '../common/errors';
import type { DeviceTime } from '../common/values';
import { decodeFormat, FORMATS } from './formats';
import { CONFIG_F1_BYTES } from './units';

// AFN 09H (terminal configuration), F1: the terminal's version information, 41 bytes:
// vendor code (ASCII 4), device number (ASCII 8), software version (ASCII 4), software release date
// (A.20), configuration capacity code (ASCII 11), protocol version (ASCII 4), hardware version (ASCII 4),
// hardware release date (A.20).

export interface TerminalVersion {
  vendor: string;
  device: string;
  software: string;
  softwareDate: DeviceTime | null;
  capacity: string;
  protocolVersion: string;
  hardware: string;
  hardwareDate: DeviceTime | null;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n)).replace(/[\0\s]+$/, '');

/** Decodes the 41 bytes of AFN 09 F1 data at `at`. */
export function decodeTerminalVersion(b: Uint8Array, at: number): Result<TerminalVersion> {
  if (at + CONFIG_F1_BYTES > b.length) return fail('TRUNCATED', at, `AFN 09 F1 needs ${CONFIG_F1_BYTES} bytes, ${b.length - at} left`);
  const sd = decodeFormat(b, at + 16, FORMATS['A.20']);
  if (!sd.ok) return sd;
  const hd = decodeFormat(b, at + 38, FORMATS['A.20']);
  if (!hd.ok) return hd;
  return ok({
    vendor: ascii(b, at, 4),
    device: ascii(b, at + 4, 8),
    software: ascii(b, at + 12, 4),
    softwareDate: sd.value as DeviceTime | null,
    capacity: ascii(b, at + 19, 11),
    protocolVersion: ascii(b, at + 30, 4),
    hardware: ascii(b, at + 34, 4),
    hardwareDate: hd.value as DeviceTime | null,
  });
}
