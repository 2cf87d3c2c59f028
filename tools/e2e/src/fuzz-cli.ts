// npm run -s fuzz:front-door -- [frames=1000000] [embedded|distributed|both]
// The long front-door fuzz run (the test command runs a short one). The distributed mode needs the
// infrastructure up (bash tools/infra/infra.sh up). Prints one JSON report per mode.
import { join } from 'node:path';
import { configureTestEnvironment } from '@gridstation/testing';
import { fuzzDistributed, fuzzEmbedded } from './front-door';

configureTestEnvironment({ repoRoot: join(__dirname, '..', '..', '..') });
const frames = Number(process.argv[2] ?? 1_000_000);
const mode = process.argv[3] ?? 'both';
const options = { frames, honestTerminals: 20, reportsPerTerminal: 200, attackConnections: 50, log: (l: string) => process.stderr.write(`${l}\n`) };

(async () => {
  let failed = false;
  for (const m of mode === 'both' ? ['embedded', 'distributed'] : [mode]) {
    const r = m === 'embedded' ? await fuzzEmbedded({ ...options, region: '4107', seed: 7 }) : await fuzzDistributed({ ...options, region: '4106', seed: 11 });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    failed ||= !r.alive || r.missing > 0 || r.foreignValuesStored > 0 || r.victimReadingsStored > 0;
  }
  process.exit(failed ? 1 : 0);
})().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
