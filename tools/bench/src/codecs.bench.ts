// Decoding throughput of the protocol codecs on one core: frames per second for DL/T 645-2007 read
// replies, for Q/GDW 1376.1 AFN 0C responses carrying ten data items (F33 with one tariff) and for
// DL/T 698.45 GET-Responses with eleven values.
// Run: npm run bench:codecs   (prints a table; GS_BENCH_SECONDS sets the time per case, default 3)
import { cpus } from 'node:os';
import { dlt645, dlt698, qgdw1376, type Result } from '@gridstation/protocols';

function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const seconds = Number(process.argv[2] ?? '3');
const t = { year: 2026, month: 11, day: 21, hour: 8, minute: 15, second: 0 };

const dltFrames = [
  must(dlt645.encodeReadReply('123456789012', '00010000', [12345.67])),
  must(dlt645.encodeReadReply('123456789013', '02010100', [220.1])),
  must(dlt645.encodeReadReply('123456789014', '02020100', [-1.5])),
  must(dlt645.encodeReadReply('123456789015', '02030000', [3.1415])),
  must(dlt645.encodeReadReply('123456789016', '0001FF00', [100, 10, 20, 30, 40])),
];
const address = { region: '4101', terminal: 1, master: 0, group: false };
const qgdwFrames = [1, 2, 3, 4].map((pn) =>
  must(qgdw1376.encodeClass1Response(address, pn, [{ pn, fn: 33, values: [t, 1, 12345.6789 + pn, 6000.1234, 321.5, 100.25, 12.5, 3.75, 4.5, 1.25] }])),
);

// DL/T 698.45 GET-Response NormalList from a meter: forward energy (total + 4 tariffs), voltages and
// currents of three phases: eleven values in one frame.
const lu = (value: number) => ({ type: 'longUnsigned' as const, value });
const dlu = (value: number) => ({ type: 'doubleLongUnsigned' as const, value });
const dl = (value: number) => ({ type: 'doubleLong' as const, value });
const dlt698Frames = [1, 2, 3, 4].map((k) =>
  must(
    dlt698.encodeDlt698Frame({
      control: { fromServer: true, initiator: false, split: false, scrambled: false, function: 3 },
      server: { type: 'single', logic: 0, address: `00000000000${k}` },
      client: 0x10,
      apdu: dlt698.encodeApdu({
        kind: 'getResponse',
        piid: k,
        response: {
          type: 'normalList',
          results: [
            { oad: dlt698.parseOad('00100200'), value: { type: 'array', items: [123456 + k, 30000, 40000, 30000, 23456].map(dlu) } },
            { oad: dlt698.parseOad('20000200'), value: { type: 'array', items: [2201, 2210, 2199].map(lu) } },
            { oad: dlt698.parseOad('20010200'), value: { type: 'array', items: [1500, 1620, 1480].map(dl) } },
          ],
        },
      }),
    }),
  ),
);

function run(name: string, frames: Uint8Array[], decode: (f: Uint8Array) => number): { name: string; perSecond: number; items: number } {
  // Warm up, then count whole passes over the frame set until the time is up.
  for (let i = 0; i < 50_000; i++) decode(frames[i % frames.length]!);
  let n = 0;
  let items = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++) items += decode(frames[k % frames.length]!);
    n += 1000;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { name, perSecond: n / elapsed, items: items / n };
}

const results = [
  run('DL/T 645-2007 read reply: frame + values', dltFrames, (f) => {
    const frame = dlt645.decodeDlt645Frame(f);
    if (!frame.ok) throw new Error(frame.error.message);
    const p = dlt645.interpretDlt645(frame.value);
    if (!p.ok) throw new Error(p.error.message);
    return p.value.fields?.length ?? 0;
  }),
  run('Q/GDW 1376.1 AFN 0C F33 (10 items): frame + values', qgdwFrames, (f) => {
    const frame = qgdw1376.decodeQgdwFrame(f);
    if (!frame.ok) throw new Error(frame.error.message);
    const p = qgdw1376.decodeClass1(frame.value);
    if (!p.ok) throw new Error(p.error.message);
    return p.value.units.reduce((n, u) => n + u.values.length, 0);
  }),
  run('DL/T 698.45 GET-Response NormalList (11 values): frame + APDU + scaled values', dlt698Frames, (f) => {
    const frame = dlt698.decodeDlt698Frame(f);
    if (!frame.ok) throw new Error(frame.error.message);
    const a = dlt698.decodeApdu(frame.value.apdu);
    if (!a.ok || a.value.kind !== 'getResponse' || a.value.response.type !== 'normalList') throw new Error('not a GET-Response NormalList');
    let n = 0;
    for (const r of a.value.response.results) n += r.value ? (dlt698.valuesOf(r.oad, r.value)?.length ?? 0) : 0;
    return n;
  }),
];

console.log(`codec decode throughput, one core (${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}), ${seconds} s per case`);
console.log('| case | frames/s | items/frame |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.items.toFixed(1)} |`);
const r698 = results[results.length - 1]!;
console.log(`target: >= 500,000 698.45 GET-Response frames/s on one core with about ten values each: ${Math.round(r698.perSecond).toLocaleString('en-US')} -> ${r698.perSecond >= 500_000 ? 'MET' : 'NOT MET'}`);
