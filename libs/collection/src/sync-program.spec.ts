import type { MeterConfigEntry } from '@gridstation/contracts';
import { GsError } from '@gridstation/errors';
import { archiveSyncProgram, type ConfigChannel } from './sync-program';

// The sync program against a terminal's configuration held in memory (the integration test runs it
// through the downlink against a simulated terminal over TCP).

const entry = (device: number, address: string, pn = device): MeterConfigEntry => ({ device, measurementPoint: pn, rateCode: 3, port: 1, protocol: 1, address, tariffs: 2, integerDigits: 5, decimalDigits: 2, collector: '000000000000', userMajor: 1, userMinor: 2 });

function terminal(initial: MeterConfigEntry[], o: { deny?: boolean; offline?: boolean } = {}) {
  const table = new Map(initial.map((e) => [e.device, e]));
  const writes: MeterConfigEntry[][] = [];
  const channel: ConfigChannel = {
    readMeterConfig: async (req) => {
      if (o.offline) throw new GsError('not-found', 'NOT_FOUND', 'terminal is not connected');
      return { entries: req.devices.flatMap((d) => (table.has(d) ? [table.get(d)!] : [])), servedBy: 'comm-0' };
    },
    writeMeterConfig: async (req) => {
      writes.push(req.entries);
      if (o.deny) return { confirmed: false, servedBy: 'comm-0' };
      for (const e of req.entries) {
        if (e.measurementPoint === 0) table.delete(e.device);
        else table.set(e.device, e);
      }
      return { confirmed: true, servedBy: 'comm-0' };
    },
  };
  return { table, writes, channel };
}

const archive = { terminal: async (a: string) => (a === '4101-00007' ? { address: a, meters: [{ pn: 1, meterId: '410100007001' }, { pn: 2, meterId: '410100007002' }, { pn: 3, meterId: '410100007003' }, { pn: 4, meterId: 'not-an-address' }] } : undefined) };
const signal = new AbortController().signal;

describe('archive-to-terminal sync', () => {
  it('writes what is missing, corrects what is wrong keeping the other settings, removes what the archive does not know, and verifies', async () => {
    const t = terminal([entry(1, '410100007001'), entry(3, '999999999999'), entry(9, '123412341234')]);
    const out = await archiveSyncProgram(t.channel, archive)({ terminal: '4101-00007' }, signal);
    expect(out).toMatchObject({ outcome: 'synced', checked: 3, missing: [2], wrong: [3], extra: [9], unaddressable: ['not-an-address'], written: 3, verified: true });
    expect([...t.table.keys()].sort()).toEqual([1, 2, 3]);
    expect(t.table.get(2)).toMatchObject({ measurementPoint: 2, address: '410100007002', protocol: 30, rateCode: 6, port: 2 });
    expect(t.table.get(3)).toMatchObject({ address: '410100007003', protocol: 1, rateCode: 3 }); // its own settings kept
    // In sync already: nothing written.
    const again = await archiveSyncProgram(t.channel, archive)({ terminal: '4101-00007' }, signal);
    expect(again).toMatchObject({ written: 0, verified: true, missing: [], wrong: [], extra: [] });
    expect(t.writes).toHaveLength(1);
  });

  it('an offline terminal is an outcome; a denial and a terminal not in the archive are errors', async () => {
    await expect(archiveSyncProgram(terminal([], { offline: true }).channel, archive)({ terminal: '4101-00007' }, signal)).resolves.toMatchObject({ outcome: 'offline', verified: false });
    await expect(archiveSyncProgram(terminal([], { deny: true }).channel, archive)({ terminal: '4101-00007' }, signal)).rejects.toMatchObject({ code: 'TERMINAL_DENIED' });
    await expect(archiveSyncProgram(terminal([]).channel, archive)({ terminal: '4101-00008' }, signal)).rejects.toMatchObject({ code: 'TERMINAL_NOT_IN_ARCHIVE', kind: 'invalid-argument' });
  });
});
