import { Topology, type TopologySnapshot } from '@gridstation/archive';
import { newFeederState, OutageEngine, type FeederState } from '@gridstation/analytics';
import { EvidenceKind, type Evidence } from '@gridstation/contracts';

// Outage engine throughput on a storm: one province-sized feeder set, every meter of a substation
// reporting power-down at once, decided the way the worker does (apply per batch, decide after the
// hold), then the restoration. Prints evidence/s and decision times; the state is JSON-round-tripped
// per batch as the worker does through Redis.
//   npm run -s bench:outage -- [feeders=40] [areasPerFeeder=20] [metersPerArea=200]

const [feeders = 40, areasPerFeeder = 20, metersPerArea = 200] = process.argv.slice(2).map(Number);
const BATCH = 500;

function grid(): Topology {
  const s: TopologySnapshot = { version: 1, elements: [{ id: 'S', level: 'substation', parent: '' }], meters: [] };
  for (let f = 0; f < feeders; f++) {
    s.elements.push({ id: `F${f}`, level: 'feeder', parent: 'S' });
    for (let a = 0; a < areasPerFeeder; a++) {
      const area = `A${f}.${a}`;
      s.elements.push({ id: area, level: 'area', parent: `F${f}`, capacityKva: 400 });
      for (let b = 0; b < metersPerArea / 4; b++) {
        s.elements.push({ id: `${area}.${b}`, level: 'box', parent: area });
        for (let m = 0; m < 4; m++) s.meters.push({ meterId: `${area}.${b}.${m}`, box: `${area}.${b}`, terminal: `T${f}.${a}`, pn: b * 4 + m + 1 });
      }
    }
  }
  return new Topology(s);
}

const t0 = performance.now();
const topology = grid();
const built = performance.now() - t0;
const engine = new OutageEngine({ ...new OutageEngine().options, holdMs: 0 });
const states = new Map<string, FeederState>();
let seq = 0;
const ev = (meterId: string, lost: boolean, at: number): Evidence => ({ evidenceId: `e${seq++}`, kind: EvidenceKind.EVIDENCE_KIND_METER_EVENT, supplyLost: lost, meterId, terminalAddress: '', occurredAtMs: at, ingestedAtMs: Date.now(), feederId: topology.meter(meterId)!.feeder, detail: '', value: 0, limit: 0 });

function run(lost: boolean, at: number): { evidence: number; ms: number; decideMs: number; alerts: number } {
  const all = [...topology.allMeters()].map((m) => ev(m.meterId, lost, at));
  const start = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    const byFeeder = new Map<string, Evidence[]>();
    for (const e of all.slice(i, i + BATCH)) (byFeeder.get(e.feederId) ?? byFeeder.set(e.feederId, []).get(e.feederId)!).push(e);
    for (const [f, list] of byFeeder) {
      const s = states.get(f) ?? newFeederState(f);
      engine.apply(s, list, topology, Date.now());
      states.set(f, JSON.parse(JSON.stringify(s)) as FeederState);
    }
  }
  const applied = performance.now();
  let alerts = 0;
  for (const [f, s] of states) {
    alerts += engine.evaluate(s, topology, Date.now()).length;
    states.set(f, JSON.parse(JSON.stringify(s)) as FeederState);
  }
  return { evidence: all.length, ms: applied - start, decideMs: performance.now() - applied, alerts };
}

const down = run(true, 1_000);
const up = run(false, 2_000);
const meters = topology.size.meters;
console.log(`outage engine: ${feeders} feeders x ${areasPerFeeder} areas x ${metersPerArea} meters = ${meters} meters (topology built in ${built.toFixed(0)} ms)`);
for (const [name, r] of [['storm (all lose supply)', down], ['restoration', up]] as const) {
  console.log(`  ${name}: ${r.evidence} evidence applied in ${r.ms.toFixed(0)} ms (${Math.round(r.evidence / (r.ms / 1000))}/s incl. state JSON round trips), decided in ${r.decideMs.toFixed(0)} ms, ${r.alerts} alert revisions`);
}
console.log(`  heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
