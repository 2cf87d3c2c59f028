import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Revision } from '@gridstation/metering';
import { FileRevisionStore } from './revisions';

const rev = (t: number, value: number, kind: Revision['kind'] = 'EDITED'): Revision => ({ meterId: 'm1', quantity: 'power.active.total', dataTimeMs: t, value, kind, method: kind === 'EDITED' ? 'MANUAL' : 'LINEAR', user: 'li.wei', reason: 'r', atMs: t + 1, previousQuality: 'RAW', previous: 1 });

describe('file revision store', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'gs-rev-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps every revision in the order written, across a reopen, per meter and window', async () => {
    const path = join(dir, 'revisions.jsonl');
    const a = new FileRevisionStore(path);
    await Promise.all([a.append([rev(900_000, 1.5)]), a.append([rev(900_000, 1.6), rev(1_800_000, 2, 'ESTIMATED')])]);
    await a.append([{ ...rev(900_000, 9), meterId: 'm2' }]);
    const b = new FileRevisionStore(path);
    expect((await b.list('m1', 'power.active.total', 0, 3_600_000)).map((r) => r.value)).toEqual([1.5, 1.6, 2]);
    expect((await b.list('m1', 'power.active.total', 1_800_000, 3_600_000)).map((r) => r.value)).toEqual([2]);
    expect((await b.list('m2', 'power.active.total', 0, 3_600_000)).map((r) => r.value)).toEqual([9]);
    expect(await b.list('m1', 'energy.active.import', 0, 3_600_000)).toEqual([]);
  });

  it('a line cut by a crash loses only that line', async () => {
    const path = join(dir, 'revisions.jsonl');
    await new FileRevisionStore(path).append([rev(900_000, 1.5)]);
    await appendFile(path, '{"meterId":"m1","quan');
    await appendFile(path, `\n${JSON.stringify(rev(1_800_000, 2))}\n`);
    expect((await new FileRevisionStore(path).list('m1', 'power.active.total', 0, 3_600_000)).map((r) => r.value)).toEqual([1.5, 2]);
  });
});
