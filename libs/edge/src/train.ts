import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dictionaryIdOf, type Dictionary } from './codec';

// Dictionary training is zstd's own (ZDICT, through the zstd command line; the WebAssembly build has
// no trainer). Samples are batch payloads of the same shape as those the dictionary will compress.

const run = promisify(execFile);

export interface TrainOptions {
  /** Dictionary size limit, bytes (zstd's default is 110 KB; small batches do well with 16-32 KB). */
  maxBytes: number;
  /** The id written into the dictionary (what batches name it by). */
  id: number;
  /** The zstd executable. */
  zstd?: string;
}

export async function trainDictionary(samples: readonly Uint8Array[], o: TrainOptions): Promise<Dictionary> {
  if (samples.length < 8) throw new RangeError(`dictionary training needs samples, got ${samples.length}`);
  const dir = await mkdtemp(join(tmpdir(), 'gs-dict-'));
  try {
    await Promise.all(samples.map((s, i) => writeFile(join(dir, `s${i}`), s)));
    const out = join(dir, 'dictionary');
    const files = samples.map((_, i) => join(dir, `s${i}`));
    await run(o.zstd ?? 'zstd', ['--train', ...files, '-o', out, `--maxdict=${o.maxBytes}`, `--dictID=${o.id}`, '-q', '-f'], { maxBuffer: 16 << 20 });
    const bytes = new Uint8Array(await readFile(out));
    const id = dictionaryIdOf(bytes);
    if (id !== o.id) throw new Error(`zstd wrote dictionary id ${id}, asked for ${o.id}`);
    return { id, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
