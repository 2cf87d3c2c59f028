import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { publishTopology, Topology, TopologyError, type TopologySnapshot } from '@gridstation/archive';
import { closeRedis, createRedis } from '@gridstation/cache';
import { openClickHouse } from '@gridstation/clickhouse';
import { DEFAULT_SHAPE, DEFAULT_SIMULATOR, Simulator, simulatorTopology } from '@gridstation/simulator';

// The supply topology loader:
//   npm run -s topology -- load grid.json [--clickhouse http://127.0.0.1:8123] [--database gridstation] [--redis redis://127.0.0.1:6379]
//   npm run -s topology -- check grid.json
//   npm run -s topology -- simulator [--terminals 100] [--meters 8] [--region 4101] > grid.json
// grid.json: { "elements": [{ "id", "level": substation|feeder|area|box, "parent", "name"?, "capacityKva"? }],
//              "meters": [{ "meterId", "box", "terminal", "pn", "phase"? }] }

const HELP = `usage: topology load <file.json> [--clickhouse <url>] [--database <name>] [--redis <url>]
       topology check <file.json>
       topology simulator [--terminals 100] [--meters 8] [--region 4101]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      clickhouse: { type: 'string', default: process.env['GS_CLICKHOUSE_URLS']?.split(',')[0] ?? 'http://127.0.0.1:8123' },
      database: { type: 'string', default: process.env['GS_CLICKHOUSE_DATABASE'] ?? 'gridstation' },
      redis: { type: 'string', default: process.env['GS_REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
      terminals: { type: 'string', default: String(DEFAULT_SIMULATOR.terminals) },
      meters: { type: 'string', default: String(DEFAULT_SIMULATOR.metersPerTerminal) },
      region: { type: 'string', default: DEFAULT_SIMULATOR.region },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'simulator') {
    const sim = new Simulator({ ...DEFAULT_SIMULATOR, host: '127.0.0.1', port: 0, terminals: Number(values.terminals), metersPerTerminal: Number(values.meters), region: values.region });
    process.stdout.write(`${JSON.stringify(simulatorTopology(sim, DEFAULT_SHAPE), null, 1)}\n`);
    return 0;
  }
  if (!file) throw new Error(`${command} needs a file`);
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Omit<TopologySnapshot, 'version'>;
  if (!Array.isArray(snapshot.elements) || !Array.isArray(snapshot.meters)) throw new Error(`${file}: expected { "elements": [...], "meters": [...] }`);
  const t = new Topology({ ...snapshot, version: 1 });
  if (command === 'check') {
    process.stdout.write(`ok: ${t.size.elements} elements, ${t.size.meters} meters\n`);
    return 0;
  }
  if (command !== 'load') throw new Error(`unknown command "${command}"\n${HELP}`);
  const ch = await openClickHouse({ urls: [values.clickhouse], database: values.database, username: process.env['GS_CLICKHOUSE_USER'] ?? 'default', password: process.env['GS_CLICKHOUSE_PASSWORD'] ?? '', requestTimeoutMs: 120_000, asyncInsert: 'off' });
  const redis = createRedis({ url: values.redis });
  try {
    const loaded = await publishTopology(snapshot, { clickhouse: { handle: ch }, redis }, `file:${file}`);
    process.stdout.write(`loaded version ${loaded.version}: ${t.size.elements} elements, ${t.size.meters} meters (ClickHouse ${values.database}, Redis cache, device archive)\n`);
  } finally {
    await closeRedis(redis);
    await ch.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof TopologyError) process.stderr.write(`topology rejected:\n${e.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    else process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof TopologyError ? 3 : 1);
  },
);
