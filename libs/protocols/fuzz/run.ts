// Longer fuzzing runs from the command line:
//   npm run -s fuzz:deframer -- [seconds=60] [seed=random]
// A failing input is written to fuzz/corpus/deframer/crash-<seed>-<n> (then it is part of the saved
// corpus that the unit tests replay) and the run exits 1.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz } from './deframer.fuzz';
import { runMutations } from './mutate';

const dir = join(__dirname, 'corpus', 'deframer');
const corpus = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
const seconds = Number(process.argv[2] ?? '60');
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
const end = Date.now() + seconds * 1000;
let runs = 0;
let round = 0;
while (Date.now() < end) {
  const found = runMutations(fuzz, corpus, 10_000, seed + round++);
  runs += 10_000;
  if (found) {
    const file = join(dir, `crash-${seed}-${round}`);
    writeFileSync(file, found.input);
    console.error(`failure after ${runs} inputs (seed ${seed}): ${String(found.error)}\nsaved to ${file}`);
    process.exit(1);
  }
}
console.log(`deframer fuzz: ${runs.toLocaleString('en-US')} inputs in ${seconds} s from ${corpus.length} corpus entries (seed ${seed}), no failure`);
