import { GsError } from '@gridstation/errors';
import { clockProgram, type ClockChannel } from './clock-program';

function channel(offsetMs: number, o: { deny?: boolean; offline?: boolean } = {}) {
  let offset = offsetMs;
  let sets = 0;
  const c: ClockChannel = {
    readClock: async () => {
      if (o.offline) throw new GsError('not-found', 'NOT_FOUND', 'terminal is not connected');
      const now = Date.now();
      return { terminalMs: now + offset, stationMs: now, driftMs: offset, roundTripMs: 1, servedBy: 'comm-0' };
    },
    setClock: async () => {
      sets++;
      if (!o.deny) offset = 0;
      return { confirmed: !o.deny, setToMs: Date.now(), servedBy: 'comm-0' };
    },
  };
  return { c, sets: () => sets };
}

const signal = new AbortController().signal;

describe('clock check', () => {
  it('sets a clock past the threshold and reads it again; leaves one within it alone', async () => {
    const fast = channel(400_000);
    await expect(clockProgram(fast.c)({ terminal: '4101-00001', thresholdMs: 300_000 }, signal)).resolves.toMatchObject({ outcome: 'checked', driftMs: 400_000, set: true, driftAfterMs: 0 });
    const ok = channel(-200_000);
    await expect(clockProgram(ok.c)({ terminal: '4101-00001' }, signal)).resolves.toMatchObject({ set: false, driftMs: -200_000 });
    expect(ok.sets()).toBe(0);
  });

  it('an offline terminal is an outcome, a denial an error', async () => {
    await expect(clockProgram(channel(0, { offline: true }).c)({ terminal: '4101-00001' }, signal)).resolves.toMatchObject({ outcome: 'offline' });
    await expect(clockProgram(channel(900_000, { deny: true }).c)({ terminal: '4101-00001' }, signal)).rejects.toMatchObject({ code: 'TERMINAL_DENIED' });
  });
});
