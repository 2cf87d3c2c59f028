import type { MeterConfigEntry, ReadMeterConfigRequest, ReadMeterConfigResponse, WriteMeterConfigRequest, WriteMeterConfigResponse } from '@gridstation/contracts';
import { GsError, invalidArgument } from '@gridstation/errors';
import type { TerminalMeters } from './ports';

// The collection.sync slot's program: a terminal's meter configuration (Q/GDW 1376.1 F10) made to
// match the archive. It reads the terminal's entries (AFN 0AH), and for every meter the archive puts
// under the terminal checks that the device with the meter's measurement point number carries that
// point and the meter's address; what is missing is written with the station's defaults (DL/T 645-2007
// at 9600 baud on port 2), what is wrong is corrected keeping the terminal's other settings, and
// devices the archive does not know are removed (AFN 04H). It reads again to confirm.

export interface ConfigChannel {
  readMeterConfig(req: ReadMeterConfigRequest, deadlineMs: number): Promise<ReadMeterConfigResponse>;
  writeMeterConfig(req: WriteMeterConfigRequest, deadlineMs: number): Promise<WriteMeterConfigResponse>;
}

export interface SyncInput {
  terminal: string;
  /** Highest device number checked for devices the archive does not know (default: highest pn + 16). */
  maxDevice?: number;
  timeoutMs?: number;
}

export interface SyncOutput {
  outcome: 'synced' | 'offline';
  terminal: string;
  checked: number;
  missing: number[];
  wrong: number[];
  extra: number[];
  /** Archive meters whose id is not a 12-digit address (left alone). */
  unaddressable: string[];
  written: number;
  /** After the writes the terminal's configuration matches the archive. */
  verified: boolean;
}

export const SYNC_PROGRAM = 'collection-sync@1';

const DEFAULTS: Omit<MeterConfigEntry, 'device' | 'measurementPoint' | 'address'> = { rateCode: 6, port: 2, protocol: 30, tariffs: 4, integerDigits: 6, decimalDigits: 2, collector: '000000000000', userMajor: 0, userMinor: 0 };

export function archiveSyncProgram(channel: ConfigChannel, archive: TerminalMeters): (input: unknown, signal: AbortSignal) => Promise<SyncOutput> {
  return async (input) => {
    const i = input as Partial<SyncInput> | null;
    if (!i || typeof i.terminal !== 'string') throw invalidArgument('BAD_SYNC_INPUT', 'a sync needs a terminal');
    const terminal = i.terminal;
    const rec = await archive.terminal(terminal);
    if (!rec) throw invalidArgument('TERMINAL_NOT_IN_ARCHIVE', `terminal ${terminal} is not in the archive`);
    const timeoutMs = i.timeoutMs ?? 10_000;
    const deadline = () => Date.now() + timeoutMs + 5_000;
    const want = new Map<number, string>();
    const unaddressable: string[] = [];
    for (const m of rec.meters) {
      if (/^\d{12}$/.test(m.meterId)) want.set(m.pn, m.meterId);
      else unaddressable.push(m.meterId);
    }
    const maxDevice = Math.min(2040, i.maxDevice ?? Math.max(0, ...rec.meters.map((m) => m.pn)) + 16);
    const read = async (): Promise<Map<number, MeterConfigEntry>> => {
      const out = new Map<number, MeterConfigEntry>();
      for (let from = 1; from <= maxDevice; from += 64) {
        const devices = Array.from({ length: Math.min(64, maxDevice - from + 1) }, (_, k) => from + k);
        const r = await channel.readMeterConfig({ terminalAddress: terminal, devices, timeoutMs }, deadline());
        for (const e of r.entries) out.set(e.device, e);
      }
      return out;
    };
    let have: Map<number, MeterConfigEntry>;
    try {
      have = await read();
    } catch (e) {
      if (e instanceof GsError && e.code === 'NOT_FOUND') return { outcome: 'offline', terminal, checked: 0, missing: [], wrong: [], extra: [], unaddressable, written: 0, verified: false };
      throw e;
    }
    const diff = (h: Map<number, MeterConfigEntry>) => {
      const missing: number[] = [];
      const wrong: number[] = [];
      const extra: number[] = [];
      for (const [pn, address] of want) {
        const e = h.get(pn);
        if (!e) missing.push(pn);
        else if (e.measurementPoint !== pn || e.address !== address) wrong.push(pn);
      }
      for (const d of h.keys()) if (!want.has(d) && h.get(d)!.measurementPoint !== 0) extra.push(d);
      return { missing, wrong, extra };
    };
    const found = diff(have);
    const fixes: MeterConfigEntry[] = [
      ...found.missing.map((pn) => ({ ...DEFAULTS, device: pn, measurementPoint: pn, address: want.get(pn)! })),
      ...found.wrong.map((pn) => ({ ...have.get(pn)!, measurementPoint: pn, address: want.get(pn)! })),
      ...found.extra.map((d) => ({ ...have.get(d)!, measurementPoint: 0 })),
    ];
    for (let k = 0; k < fixes.length; k += 16) {
      const w = await channel.writeMeterConfig({ terminalAddress: terminal, entries: fixes.slice(k, k + 16), timeoutMs }, deadline());
      if (!w.confirmed) throw new GsError('failed-precondition', 'TERMINAL_DENIED', `terminal ${terminal} denied the meter configuration write`);
    }
    const after = fixes.length ? diff(await read()) : found;
    return { outcome: 'synced', terminal, checked: want.size, ...found, unaddressable, written: fixes.length, verified: after.missing.length + after.wrong.length + after.extra.length === 0 };
  };
}
