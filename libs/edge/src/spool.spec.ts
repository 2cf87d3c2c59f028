import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeBatch } from '@gridstation/contracts';
import { Spool, SpoolFull } from './spool';

describe('agent spool', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'gs-spool-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const batch = (seq: number) => EdgeBatch.fromPartial({ seq, payload: Buffer.alloc(100, seq), records: 1 });

  it('keeps batches until removed, across a reopen, in sequence order; a cut write is discarded', async () => {
    const s = await Spool.open(dir, 10_000);
    for (const seq of [3, 1, 2]) await s.put(batch(seq));
    await s.remove(2);
    await writeFile(join(dir, '0000000000000004.batch.tmp'), 'cut');
    const again = await Spool.open(dir, 10_000);
    expect(again.seqs()).toEqual([1, 3]);
    expect(again.lastSeq).toBe(3);
    expect((await again.read(3)).payload[0]).toBe(3);
    expect(again.bytes).toBe(s.bytes);
  });

  it('refuses a batch beyond its byte limit', async () => {
    const s = await Spool.open(dir, 250);
    await s.put(batch(1));
    await s.put(batch(2));
    await expect(s.put(batch(3))).rejects.toBeInstanceOf(SpoolFull);
    await s.remove(1);
    await s.put(batch(3));
    expect(s.seqs()).toEqual([2, 3]);
  });
});
