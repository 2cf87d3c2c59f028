import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz } from '../fuzz/deframer.fuzz';
import { runMutations } from '../fuzz/mutate';

// The deframer fuzz target in the test command: every saved corpus input (seeds and any input that
// once failed) must pass, then a fixed-seed batch of mutations of them.
const dir = join(__dirname, '..', 'fuzz', 'corpus', 'deframer');
const corpus = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))] as const);

describe('deframer fuzz target', () => {
  it.each(corpus)('replays corpus entry %s', (_name, data) => {
    expect(() => fuzz(data)).not.toThrow();
  });

  it('survives 20,000 mutated inputs (fixed seed)', () => {
    const found = runMutations(fuzz, corpus.map(([, d]) => d), 20_000, 20261121);
    expect(found).toBeUndefined();
  });
});
