import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CollectionPlan } from './engine';
import type { PlanStore } from './tokens';

/** Plans in one JSON file, replaced atomically (write, then rename): the embedded station's store. */
export class FilePlanStore implements PlanStore {
  constructor(private readonly path: string) {}

  async load(): Promise<CollectionPlan[]> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as CollectionPlan[];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async save(plans: readonly CollectionPlan[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(plans, null, 2));
    await rename(tmp, this.path);
  }
}
