import { fuzzDistributed, fuzzEmbedded } from '../src/front-door';
import type { FuzzReport } from '../src/front-door-fuzz';

// The short form of the front-door fuzz run (the long one: npm run -s fuzz:front-door -- 1000000).

const FRAMES = Number(process.env['GS_E2E_FUZZ_FRAMES'] ?? 40_000);

function expectHeld(r: FuzzReport): void {
  expect(r.alive).toBe(true);
  expect(r.framesSent).toBeGreaterThanOrEqual(FRAMES);
  expect(r.honestReportsConfirmed).toBeGreaterThan(0);
  expect({ missing: r.missing, foreign: r.foreignValuesStored, victims: r.victimReadingsStored }).toEqual({ missing: 0, foreign: 0, victims: 0 });
  expect(r.honestReadingsStored).toBe(r.honestReadingsExpected);
}

describe('the front door under a fuzz run', () => {
  it('embedded: stays up, stores every confirmed reading and nothing an attacker sent', async () => {
    const r = await fuzzEmbedded({ frames: FRAMES, region: '4107', honestTerminals: 10, reportsPerTerminal: 40, attackConnections: 30, seed: 7 });
    console.log(JSON.stringify(r));
    expectHeld(r);
  });

  it('distributed (comm, parser, storage on Kafka, ClickHouse, HBase, Redis): the same', async () => {
    const r = await fuzzDistributed({ frames: FRAMES, region: '4106', honestTerminals: 10, reportsPerTerminal: 40, attackConnections: 30, seed: 11 });
    console.log(JSON.stringify(r));
    expectHeld(r);
  });
});
