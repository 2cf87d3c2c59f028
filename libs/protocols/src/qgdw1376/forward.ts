import { fail, ok, type Result } from '../common/errors';
import type { DeviceTime } from '../common/values';
import { createDlt645Deframer } from '../deframe';
import { decodeDlt645Frame, interpretDlt645, type Dlt645Frame, type Dlt645Payload } from '../dlt645/frame';
import { encodeFn, encodeQgdwFrame, type QgdwFrame } from './frame';
import { decodeFormat, encodeFormat, FORMATS } from './formats';
import { AFN, readDataUnitId } from './link';

// AFN 10 F1: transparent forwarding. The master asks the terminal to send bytes (usually a DL/T 645
// frame) out of one of its ports and return what comes back. Downlink data: port, port control word,
// frame timeout, byte timeout, length k (2 bytes), k bytes; then PW (16 bytes). Uplink: port, k, k bytes.
// AFN 05 F31: set the terminal clock (A.1), with PW.

export const PW_BYTES = 16;

export interface PortSettings {
  /** Terminal port number (1..31). */
  port: number;
  /** Baud rate code D7-D5: 0 = 300, 1 = 600, 2 = 1200, 3 = 2400, 4 = 4800, 5 = 7200, 6 = 9600, 7 = 19200. */
  baudCode: number;
  /** D4: 2 stop bits. D3: parity on. D2: odd parity. D1-D0: data bits - 5. */
  twoStopBits: boolean;
  parity: 'none' | 'even' | 'odd';
  dataBits: 5 | 6 | 7 | 8;
  /** Frame timeout: seconds when >= 1 s (D7 = 1), otherwise in 10 ms steps. */
  frameTimeoutMs: number;
  /** Byte timeout in 10 ms steps. */
  byteTimeoutMs: number;
}

/** DL/T 645 meters default to 2400 baud, 8 data bits, even parity, 1 stop bit. */
export const DLT645_PORT_DEFAULTS: Omit<PortSettings, 'port'> = {
  baudCode: 3,
  twoStopBits: false,
  parity: 'even',
  dataBits: 8,
  frameTimeoutMs: 2000,
  byteTimeoutMs: 500,
};

function controlWord(s: PortSettings): number {
  return ((s.baudCode & 7) << 5) | (s.twoStopBits ? 0x10 : 0) | (s.parity !== 'none' ? 0x08 : 0) | (s.parity === 'odd' ? 0x04 : 0) | ((s.dataBits - 5) & 3);
}

function frameTimeout(ms: number): number {
  return ms >= 1000 ? 0x80 | Math.min(0x7f, Math.round(ms / 1000)) : Math.min(0x7f, Math.round(ms / 10));
}

export function encodeForwardRequest(
  address: QgdwFrame['address'],
  pseq: number,
  settings: PortSettings,
  content: Uint8Array,
  password: Uint8Array = new Uint8Array(PW_BYTES),
): Result<Uint8Array> {
  if (password.length !== PW_BYTES) return fail('RANGE', 0, `PW must be ${PW_BYTES} bytes`);
  if (content.length > 0xffff) return fail('RANGE', 0, 'forwarded content too long');
  const [dt1, dt2] = encodeFn(1);
  const body = Uint8Array.from([
    0,
    0,
    dt1,
    dt2,
    settings.port & 0xff,
    controlWord(settings),
    frameTimeout(settings.frameTimeoutMs),
    Math.min(0xff, Math.round(settings.byteTimeoutMs / 10)),
    content.length & 0xff,
    content.length >> 8,
    ...content,
    ...password,
  ]);
  // C = 4AH: down, PRM = 1, function 10 (request class 1 data, used for commands); CON set.
  return encodeQgdwFrame({ control: 0x4a, address, afn: AFN.forward, seq: 0x70 | (pseq & 0x0f), body });
}

export interface ForwardPayload {
  port: number;
  content: Uint8Array;
  /** The DL/T 645 frame(s) found in the content, decoded. */
  inner: Array<{ offset: number; frame: Dlt645Frame; payload?: Dlt645Payload; error?: string }>;
}

/** Decodes the terminal's answer to a forward request (uplink, AFN 10 F1). */
export function decodeForwardResponse(frame: QgdwFrame): Result<ForwardPayload> {
  const b = frame.body;
  const id = readDataUnitId(b, 0);
  if (!id.ok) return { ok: false, error: { ...id.error, offset: id.error.offset + frame.bodyOffset } };
  if (id.value.fn[0] !== 1) return fail('RANGE', frame.bodyOffset + 2, `AFN 10 F${String(id.value.fn[0])} is not transparent forwarding`);
  if (b.length < 7) return fail('TRUNCATED', frame.bodyOffset + b.length, 'forward answer without port and length');
  const port = b[4]!;
  const k = b[5]! | (b[6]! << 8);
  if (7 + k > b.length) return fail('LENGTH_MISMATCH', frame.bodyOffset + 5, `forwarded length ${k} exceeds the ${b.length - 7} bytes present`);
  const content = b.slice(7, 7 + k);
  const inner: ForwardPayload['inner'] = [];
  // The meter's answer may carry FE wake-up bytes or noise: use the deframer, not a fixed offset.
  const d = createDlt645Deframer();
  for (const e of [...d.push(content), ...d.finish()]) {
    if (e.type !== 'frame') continue;
    const f = decodeDlt645Frame(e.bytes);
    if (!f.ok) continue;
    const p = interpretDlt645(f.value);
    inner.push(p.ok ? { offset: e.offset, frame: f.value, payload: p.value } : { offset: e.offset, frame: f.value, error: p.error.message });
  }
  return ok({ port, content, inner });
}

/** Terminal -> master answer (simulator, tests). C = 88H. */
export function encodeForwardResponse(address: QgdwFrame['address'], rseq: number, port: number, content: Uint8Array): Result<Uint8Array> {
  const [dt1, dt2] = encodeFn(1);
  const body = Uint8Array.from([0, 0, dt1, dt2, port & 0xff, content.length & 0xff, content.length >> 8, ...content]);
  return encodeQgdwFrame({ control: 0x88, address, afn: AFN.forward, seq: 0x60 | (rseq & 0x0f), body });
}

/** AFN 05 F31: set the terminal clock. C = 4AH, CON set, data A.1 then PW. */
export function encodeTimeSet(address: QgdwFrame['address'], pseq: number, t: DeviceTime, password: Uint8Array = new Uint8Array(PW_BYTES)): Result<Uint8Array> {
  if (password.length !== PW_BYTES) return fail('RANGE', 0, `PW must be ${PW_BYTES} bytes`);
  const [dt1, dt2] = encodeFn(31);
  const clock = new Uint8Array(6);
  const r = encodeFormat(t, FORMATS['A.1'], clock, 0);
  if (!r.ok) return r;
  return encodeQgdwFrame({ control: 0x4a, address, afn: AFN.control, seq: 0x70 | (pseq & 0x0f), body: Uint8Array.from([0, 0, dt1, dt2, ...clock, ...password]) });
}

/** Decodes an AFN 05 F31 command (a terminal-side view, and for inspecting captured downlink). */
export function decodeTimeSet(frame: QgdwFrame): Result<{ time: DeviceTime; password: Uint8Array }> {
  const b = frame.body;
  const id = readDataUnitId(b, 0);
  if (!id.ok) return id;
  if (id.value.fn[0] !== 31) return fail('RANGE', frame.bodyOffset + 2, 'not AFN 05 F31');
  if (b.length < 4 + 6 + PW_BYTES) return fail('TRUNCATED', frame.bodyOffset + b.length, 'time set without clock and PW');
  const t = decodeFormat(b, 4, FORMATS['A.1']);
  if (!t.ok) return { ok: false, error: { ...t.error, offset: t.error.offset + frame.bodyOffset } };
  if (t.value === null || typeof t.value !== 'object') return fail('RANGE', frame.bodyOffset + 4, 'time set without a time');
  return ok({ time: t.value, password: b.slice(10, 10 + PW_BYTES) });
}
