import { Output, ProgramKind, ProgramStage, SubmitTaskSetRequest, Task, TaskState, type Program, type TaskSet } from '@gridstation/contracts';
import type { TaskStore } from '../src/store/task-store';

const S = TaskState;

const setOf = (id: string, created: number, service = 'svc'): TaskSet => ({ id, name: id, service, context: { traceId: 'a'.repeat(32), user: 'u', project: 'p', scene: 's' }, stages: [], createdAtMs: created, finishedAtMs: 0, cancelled: false, counts: { PENDING: 3 }, total: 3, deadlineMisses: 0, seq: 1 });
const def = SubmitTaskSetRequest.fromPartial({ name: 'x', service: 'svc', generators: [{ prefix: 't', count: 3, template: { program: 'noop@1' } }] });
const rec = (setId: string, index: number, state: TaskState, attempt: number, seq: number): Task => Task.fromPartial({ id: `${setId}/t${index}`, taskSetId: setId, index, state, attempt, seq, worker: 'w1' });
const ev = (key: string, n: number) => ({ key, value: Buffer.from(`event-${n}`) });

/** The behaviour every task store adapter must have (run against Redis and LevelDB). */
export function taskStoreContract(name: string, open: () => Promise<{ store: TaskStore; prefix: string; cleanup: () => Promise<void> }>, o: { exclusiveLease: boolean }): void {
  describe(`task store contract: ${name}`, () => {
    let store: TaskStore;
    let p: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, prefix: p, cleanup } = await open());
      expect(await store.acquire('owner-a', 10_000)).toBe(true);
    });
    afterAll(async () => {
      await store.release('owner-a');
      await cleanup();
    });

    it('creates a set with its definition; a second create of the same id is refused', async () => {
      await store.create('owner-a', setOf(`${p}s1`, 1000), def, ev(`${p}s1`, 1));
      const got = await store.getSet(`${p}s1`);
      expect(got?.set.total).toBe(3);
      expect(got?.definition.generators[0]!.count).toBe(3);
      expect(await store.openSetIds()).toContain(`${p}s1`);
      await expect(store.create('owner-a', setOf(`${p}s1`, 1000), def, ev(`${p}s1`, 1))).rejects.toThrow(/exists/);
    });

    it('commits records, the state index, outputs, the scenario index and events atomically', async () => {
      const id = `${p}s1`;
      const out = Output.fromPartial({ id: `${id}/t0@1#0`, taskId: `${id}/t0`, taskSetId: id, businessType: 'result', inlineJson: '{"v":1}', scenarioId: 'scn', dataVersion: 'v2' });
      await store.commit('owner-a', {
        sets: [{ ...setOf(id, 1000), seq: 3 }],
        tasks: [
          { record: rec(id, 0, S.TASK_STATE_EXECUTING, 1, 2), from: S.TASK_STATE_PENDING },
          { record: rec(id, 1, S.TASK_STATE_EXECUTING, 1, 3), from: S.TASK_STATE_PENDING },
        ],
        outputs: [],
        closed: [],
        events: [ev(id, 2)],
      });
      await store.commit('owner-a', { sets: [{ ...setOf(id, 1000), seq: 4 }], tasks: [{ record: rec(id, 0, S.TASK_STATE_SUCCESS, 1, 4), from: S.TASK_STATE_EXECUTING, scenario: { id: 'scn', version: 'v2' } }], outputs: [out], closed: [], events: [ev(id, 3)] });
      expect(await store.indexesIn(id, S.TASK_STATE_SUCCESS, -1, 10)).toEqual([0]);
      expect(await store.indexesIn(id, S.TASK_STATE_EXECUTING, -1, 10)).toEqual([1]);
      expect(await store.indexesIn(id, S.TASK_STATE_EXECUTING, 1, 10)).toEqual([]);
      const [t0, t1, t2] = await store.getTasks(id, [0, 1, 2]);
      expect(t0?.state).toBe(S.TASK_STATE_SUCCESS);
      expect(t1?.state).toBe(S.TASK_STATE_EXECUTING);
      expect(t2).toBeUndefined(); // PENDING tasks have no record
      expect((await store.getSet(id))?.set.seq).toBe(4);
      expect((await store.output(out.id))?.inlineJson).toBe('{"v":1}');
      expect((await store.outputs(id, 10)).map((x) => x.id)).toEqual([out.id]);
      expect(await store.scenarioTasks('scn', 'v2', 10)).toEqual([`${id}/t0`]);
      expect(await store.scenarioTasks('scn', 'v3', 10)).toEqual([]);
      const records: Task[] = [];
      for await (const chunk of store.records(id)) records.push(...chunk);
      expect(records.map((r) => r.index).sort()).toEqual([0, 1]);
    });

    it('keeps the outbox in commit order until acknowledged', async () => {
      const mine = (await store.outbox(1000)).filter((e) => e.key === `${p}s1`);
      expect(mine.map((e) => e.value.toString())).toEqual(['event-1', 'event-2', 'event-3']);
      await store.ackOutbox(mine.slice(0, 2).map((e) => e.id));
      expect((await store.outbox(1000)).filter((e) => e.key === `${p}s1`).map((e) => e.value.toString())).toEqual(['event-3']);
    });

    it('lists sets newest first, by service, in pages; a closed set is no longer open', async () => {
      await store.create('owner-a', setOf(`${p}s2`, 2000, 'other'), def, ev(`${p}s2`, 1));
      await store.create('owner-a', setOf(`${p}s3`, 3000), def, ev(`${p}s3`, 1));
      const first = await store.listSets({ service: 'svc', limit: 1, after: '' });
      const mineFirst = first.sets.map((s) => s.id);
      expect(mineFirst).toHaveLength(1);
      const all: string[] = [];
      for (let after = ''; ; ) {
        const page = await store.listSets({ service: 'svc', limit: 1, after });
        all.push(...page.sets.map((s) => s.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(all.filter((id) => id.startsWith(p))).toEqual([`${p}s3`, `${p}s1`]);
      await store.commit('owner-a', { sets: [], tasks: [], outputs: [], closed: [`${p}s3`], events: [] });
      expect(await store.openSetIds()).not.toContain(`${p}s3`);
    });

    it('keeps programs and their code', async () => {
      const prog: Program = { name: `${p.replace(/[^a-z0-9]/g, '')}prog`, version: '1', slot: 'compute.generic', type: 0, kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT, private: false, owner: 'o', stage: ProgramStage.PROGRAM_STAGE_VALIDATED, validation: undefined, storageAddress: '', sha256: 'x', registeredAtMs: 1, services: [], description: '', entry: 'run' };
      await store.putProgram(prog, Buffer.from('exports.run = () => ({})'));
      const found = (await store.programs()).find((x) => x.program.name === prog.name);
      expect(found?.code.toString()).toBe('exports.run = () => ({})');
    });

    if (o.exclusiveLease) {
      it('one writer: another owner cannot take the lease or commit while it is held', async () => {
        expect(await store.acquire('owner-b', 10_000)).toBe(false);
        await expect(store.commit('owner-b', { sets: [], tasks: [{ record: rec(`${p}s1`, 2, S.TASK_STATE_EXECUTING, 1, 9), from: S.TASK_STATE_PENDING }], outputs: [], closed: [], events: [] })).rejects.toThrow(/lease/);
        expect((await store.getTasks(`${p}s1`, [2]))[0]).toBeUndefined();
        await store.release('owner-a');
        expect(await store.acquire('owner-b', 10_000)).toBe(true);
        await store.release('owner-b');
        expect(await store.acquire('owner-a', 10_000)).toBe(true);
      });
    }
  });
}
