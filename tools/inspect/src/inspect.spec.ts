import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The inspector as a field engineer runs it: the built bin of the workspace (node_modules/.bin/gs-inspect
// after npm ci), a real process, hex in, JSON lines out.
const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin', 'gs-inspect');
function inspect(args: string[], stdin?: string) {
  const r = spawnSync(BIN, args, { cwd: ROOT, input: stdin ?? '', encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
}

describe('frame inspector', () => {
  it('decodes one frame given as an argument', () => {
    const r = inspect(['68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16']);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      expect.objectContaining({ offset: 0, protocol: 'qgdw1376.1-2013', terminal: '4101-00001', afn: '02', link: 'login', seq: expect.objectContaining({ con: true }) }),
    ]);
  });

  it('decodes a captured stream from stdin with wake-up bytes, garbage and a DL/T 645 reply, reporting offsets', () => {
    const stream = [
      'FE FE FE FE',
      '68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16',
      '00 11 22',
      '68 32 00 32 00 68 C9 01 41 01 00 00 02 71 00 00 04 00 83 16',
    ].join('\n');
    const r = inspect([], stream);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      expect.objectContaining({ offset: 4, protocol: 'dlt645-2007', address: '123456789012', di: '00010000', values: [{ name: 'value', value: 1234.56, unit: 'kWh', quantity: 'energy.active.import' }] }),
      expect.objectContaining({ offset: 24, error: 'GARBAGE', length: 3 }),
      expect.objectContaining({ offset: 27, link: 'heartbeat' }),
    ]);
  });

  it('refuses input that is not hex with exit code 2', () => {
    const r = inspect(['68 ZZ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not hex');
  });

  it('--each-line decodes every line as its own capture and tags the outputs with the line number', () => {
    const log = [
      '# captured at the substation, 2026-12-01',
      '68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16',
      '',
      '68 32 00 32 00 68 C9 01 41 01 00 00 02 71 00 00 04 00 83',
      '68 32 00 32 00 68 C9 01 41 01 00 00 02 71 00 00 04 00 83 16',
      'not hex',
    ].join('\n');
    const r = inspect(['--each-line'], log);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      expect.objectContaining({ line: 2, link: 'login' }),
      expect.objectContaining({ line: 4, error: expect.any(String) }),
      expect.objectContaining({ line: 5, link: 'heartbeat' }),
      expect.objectContaining({ line: 6, error: 'NOT_HEX' }),
    ]);
  });

  it('--protocol looks for one protocol only: a 1376.1 frame is not taken as DL/T 645', () => {
    const login = '68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16';
    expect(inspect(['--protocol=qgdw1376', login]).lines).toEqual([expect.objectContaining({ protocol: 'qgdw1376.1-2013' })]);
    const r = inspect(['--protocol=dlt645', login]);
    expect(r.code).toBe(1);
    expect(r.lines.every((l) => l['protocol'] === undefined)).toBe(true);
    expect(inspect(['--protocol=iec104', login]).code).toBe(2);
  });

  it('prints a read request\'s data units, not raw bytes', () => {
    // AFN 0C request, C = 4BH, DA p1 (01 01), DT F25 (01 03): CS = 4B+01+41+01+00+02+0C+61+01+01+01+03 = 0x103 -> 03.
    const r = inspect(['68 32 00 32 00 68 4B 01 41 01 00 02 0C 61 01 01 01 03 03 16']);
    expect(r.lines).toEqual([expect.objectContaining({ afn: '0C', dataUnits: [{ pn: [1], fn: [25], name: 'current powers, power factors, voltages, currents' }] })]);
  });
});
