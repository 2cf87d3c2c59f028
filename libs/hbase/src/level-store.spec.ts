import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wideColumnContract } from '../test/wide-column-contract';
import { LevelWideColumnStore } from './level-store';

// The embedded engine runs in-process, so its contract runs with the unit tests (on real files).
const dir = mkdtempSync(join(tmpdir(), 'gs-level-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

wideColumnContract('LevelDB (classic-level)', () => LevelWideColumnStore.openAt(join(dir, `level-${++n}`)), () => `t${++n}`);
