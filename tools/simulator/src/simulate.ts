import { parseArgs } from 'node:util';
import { RedisArchive } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { DEFAULT_SIMULATOR, Simulator } from '@gridstation/simulator';

// Simulated Q/GDW 1376.1 terminals against a running communication service (or station):
//   npm run -s simulate -- --port 9100 --terminals 200 --meters 8 --rate 1 --seconds 60 \
//     --provision redis://127.0.0.1:6379 --truth tmp/truth.jsonl
// --provision writes the terminals into the Redis archive first (the distributed mode reads it there).

const HELP = `usage: simulate [--host 127.0.0.1] [--port 9100] [--terminals 100] [--meters 8] [--rate 1]
                [--seconds 60] [--region 4101] [--first 1] [--bad-every 20] [--event-every 25]
                [--unknown 1] [--provision <redis url>] [--truth <file.jsonl>]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9100' },
      terminals: { type: 'string', default: String(DEFAULT_SIMULATOR.terminals) },
      meters: { type: 'string', default: String(DEFAULT_SIMULATOR.metersPerTerminal) },
      rate: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '60' },
      region: { type: 'string', default: DEFAULT_SIMULATOR.region },
      first: { type: 'string', default: '1' },
      'bad-every': { type: 'string', default: String(DEFAULT_SIMULATOR.badFrameEvery) },
      'event-every': { type: 'string', default: String(DEFAULT_SIMULATOR.eventEvery) },
      unknown: { type: 'string', default: '1' },
      provision: { type: 'string' },
      truth: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  const sim = new Simulator({
    ...DEFAULT_SIMULATOR,
    host: values.host,
    port: num('port', values.port),
    terminals: num('terminals', values.terminals),
    metersPerTerminal: num('meters', values.meters),
    roundsPerSecond: num('rate', values.rate) || 1,
    region: values.region,
    firstTerminal: num('first', values.first),
    badFrameEvery: num('bad-every', values['bad-every']),
    eventEvery: num('event-every', values['event-every']),
    unknownTerminals: num('unknown', values.unknown),
  });
  if (values.provision) {
    const redis = createRedis({ url: values.provision });
    await new RedisArchive(redis).put(sim.archive());
    await closeRedis(redis);
  }
  await sim.connect();
  process.stdout.write(`${JSON.stringify({ connected: sim.stats() })}\n`);
  const timer = setInterval(() => process.stdout.write(`${JSON.stringify(sim.stats())}\n`), 5000);
  process.once('SIGINT', () => sim.stop());
  await sim.run(Math.round(num('seconds', values.seconds) * sim.o.roundsPerSecond));
  clearInterval(timer);
  await sim.close();
  if (values.truth) await sim.truth.write(values.truth);
  process.stdout.write(`${JSON.stringify({ done: sim.stats(), truth: values.truth ?? null })}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`simulate: ${e instanceof Error ? e.message : String(e)}\n${HELP}\n`);
    process.exit(2);
  },
);
