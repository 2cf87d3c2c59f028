import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { Output, Program, SubmitTaskSetRequest, Task, TaskSet, TaskState } from '@gridstation/contracts';
import { GsError, storeOpenError } from '@gridstation/errors';
import { setIdOfOutput, type CommitBatch, type OutboxEntry, type StoredSet, type TaskStore } from './task-store';

// The task store of the embedded mode, in LevelDB: the same records and indexes as the Redis store,
// each commit one batch written with sync (on disk before the scheduler acts on it). One process owns
// the database (LevelDB's LOCK), so the lease is that process's.
//
// Keys: S/<id> set, D/<id> definition, L/<created>/<id> and V/<service>/<created>/<id> lists,
// O/<id> open, T/<id>/<index> record, X/<id>/<state>/<index> state index, P/<id>/<output id>,
// C/<scenario>/<version>|<task id>, Q/<seq> outbox (k \0 v), G/<name@version> program, H/<name@version> code.

const pad = (n: number, w = 12) => String(n).padStart(w, '0');
const b = (s: string) => Buffer.from(s);

export class LevelTaskStore implements TaskStore {
  readonly kind = 'leveldb' as const;
  private readonly db: ClassicLevel<string, Buffer>;
  private outSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();

  static async openAt(location: string): Promise<LevelTaskStore> {
    const s = new LevelTaskStore(location);
    await s.start();
    return s;
  }

  /** A store that opens in start() (a managed resource of the embedded station). */
  static managed(location: string): LevelTaskStore {
    return new LevelTaskStore(location);
  }

  async start(): Promise<void> {
    try {
      mkdirSync(this.location, { recursive: true });
      await this.db.open();
    } catch (e) {
      throw storeOpenError('the task store (LevelDB)', this.location, e);
    }
    for await (const k of this.db.keys({ gte: 'Q/', lt: 'Q/\xff', reverse: true, limit: 1 })) this.outSeq = Number(k.slice(2));
  }

  private constructor(readonly location: string) {
    this.db = new ClassicLevel<string, Buffer>(location, { valueEncoding: 'buffer', maxOpenFiles: 64, cacheSize: 4 << 20 });
  }

  async acquire(): Promise<boolean> {
    return true;
  }

  /** Nothing to give up: the embedded store has one scheduler, its own process. */
  async release(): Promise<void> {
    return undefined;
  }

  /** Writes one after the other, each synced: the order of commits is the order of decisions. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  create(_owner: string, set: TaskSet, definition: SubmitTaskSetRequest, event: { key: string; value: Buffer }): Promise<void> {
    return this.serial(async () => {
      if ((await this.db.get(`S/${set.id}`)) !== undefined) throw new GsError('already-exists', 'TASK_SET_EXISTS', `task set ${set.id} already exists`);
      const created = pad(set.createdAtMs, 15);
      await this.db.batch(
        [
          { type: 'put', key: `D/${set.id}`, value: Buffer.from(SubmitTaskSetRequest.encode(definition).finish()) },
          { type: 'put', key: `S/${set.id}`, value: Buffer.from(TaskSet.encode(set).finish()) },
          { type: 'put', key: `L/${created}/${set.id}`, value: b('') },
          { type: 'put', key: `V/${set.service}/${created}/${set.id}`, value: b('') },
          { type: 'put', key: `O/${set.id}`, value: b('') },
          { type: 'put', key: `Q/${pad(++this.outSeq, 16)}`, value: Buffer.concat([b(event.key), Buffer.from([0]), event.value]) },
        ],
        { sync: true },
      );
    });
  }

  commit(_owner: string, c: CommitBatch): Promise<void> {
    return this.serial(async () => {
      const ops: Array<{ type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }> = [];
      for (const s of c.sets) ops.push({ type: 'put', key: `S/${s.id}`, value: Buffer.from(TaskSet.encode(s).finish()) });
      for (const t of c.tasks) {
        const id = t.record.taskSetId;
        const i = pad(t.record.index);
        ops.push({ type: 'put', key: `T/${id}/${i}`, value: Buffer.from(Task.encode(t.record).finish()) });
        if (t.from !== t.record.state) {
          if (t.from !== TaskState.TASK_STATE_PENDING) ops.push({ type: 'del', key: `X/${id}/${t.from}/${i}` });
          ops.push({ type: 'put', key: `X/${id}/${t.record.state}/${i}`, value: b('') });
        }
        if (t.scenario) ops.push({ type: 'put', key: `C/${t.scenario.id}/${t.scenario.version}|${t.record.id}`, value: b('') });
      }
      for (const o of c.outputs) ops.push({ type: 'put', key: `P/${o.taskSetId}/${o.id}`, value: Buffer.from(Output.encode(o).finish()) });
      for (const id of c.closed) ops.push({ type: 'del', key: `O/${id}` });
      for (const e of c.events) ops.push({ type: 'put', key: `Q/${pad(++this.outSeq, 16)}`, value: Buffer.concat([b(e.key), Buffer.from([0]), e.value]) });
      await this.db.batch(ops, { sync: true });
    });
  }

  async openSetIds(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.db.keys({ gte: 'O/', lt: 'O/\xff' })) out.push(k.slice(2));
    return out;
  }

  async getSet(id: string): Promise<StoredSet | undefined> {
    const [set, def] = await this.db.getMany([`S/${id}`, `D/${id}`]);
    if (!set || !def) return undefined;
    return { set: TaskSet.decode(set), definition: SubmitTaskSetRequest.decode(def) };
  }

  async listSets(o: { service: string; limit: number; after: string }): Promise<{ sets: TaskSet[]; next: string }> {
    const prefix = o.service ? `V/${o.service}/` : 'L/';
    let lt = `${prefix}\xff`;
    if (o.after) {
      const s = await this.db.get(`S/${o.after}`);
      if (!s) return { sets: [], next: '' };
      lt = `${prefix}${pad(TaskSet.decode(s).createdAtMs, 15)}/${o.after}`;
    }
    const ids: string[] = [];
    for await (const k of this.db.keys({ gte: prefix, lt, reverse: true, limit: o.limit })) ids.push(k.slice(k.lastIndexOf('/') + 1));
    const raw = ids.length ? await this.db.getMany(ids.map((id) => `S/${id}`)) : [];
    const sets = raw.filter((x): x is Buffer => x !== undefined).map((x) => TaskSet.decode(x));
    return { sets, next: ids.length === o.limit ? ids[ids.length - 1]! : '' };
  }

  async getTasks(setId: string, indexes: readonly number[]): Promise<Array<Task | undefined>> {
    if (indexes.length === 0) return [];
    const raw = await this.db.getMany(indexes.map((i) => `T/${setId}/${pad(i)}`));
    return raw.map((x) => (x ? Task.decode(x) : undefined));
  }

  async indexesIn(setId: string, state: TaskState, after: number, limit: number): Promise<number[]> {
    const prefix = `X/${setId}/${state}/`;
    const out: number[] = [];
    for await (const k of this.db.keys({ gt: after < 0 ? prefix : `${prefix}${pad(after)}`, lt: `${prefix}\xff`, limit })) out.push(Number(k.slice(prefix.length)));
    return out;
  }

  async *records(setId: string): AsyncIterable<Task[]> {
    let chunk: Task[] = [];
    for await (const v of this.db.values({ gte: `T/${setId}/`, lt: `T/${setId}/\xff` })) {
      chunk.push(Task.decode(v));
      if (chunk.length >= 5000) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
  }

  async outputs(setId: string, limit: number): Promise<Output[]> {
    const out: Output[] = [];
    for await (const v of this.db.values({ gte: `P/${setId}/`, lt: `P/${setId}/\xff`, limit })) out.push(Output.decode(v));
    return out;
  }

  async output(id: string): Promise<Output | undefined> {
    const v = await this.db.get(`P/${setIdOfOutput(id)}/${id}`);
    return v ? Output.decode(v) : undefined;
  }

  async scenarioTasks(scenarioId: string, version: string, limit: number): Promise<string[]> {
    const prefix = version ? `C/${scenarioId}/${version}|` : `C/${scenarioId}/`;
    const out: string[] = [];
    for await (const k of this.db.keys({ gte: prefix, lt: `${prefix}\xff`, limit })) out.push(k.slice(k.indexOf('|') + 1));
    return out;
  }

  async putProgram(program: Program, code: Buffer): Promise<void> {
    const ref = `${program.name}@${program.version}`;
    await this.db.batch(
      [
        { type: 'put', key: `H/${ref}`, value: code },
        { type: 'put', key: `G/${ref}`, value: Buffer.from(Program.encode(program).finish()) },
      ],
      { sync: true },
    );
  }

  async programs(): Promise<Array<{ program: Program; code: Buffer }>> {
    const out: Array<{ program: Program; code: Buffer }> = [];
    for await (const [k, v] of this.db.iterator({ gte: 'G/', lt: 'G/\xff' })) out.push({ program: Program.decode(v), code: (await this.db.get(`H/${k.slice(2)}`)) ?? Buffer.alloc(0) });
    return out;
  }

  async outbox(limit: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for await (const [k, v] of this.db.iterator({ gte: 'Q/', lt: 'Q/\xff', limit })) {
      const z = v.indexOf(0);
      out.push({ id: k, key: v.subarray(0, z).toString(), value: v.subarray(z + 1) });
    }
    return out;
  }

  async ackOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.db.batch(ids.map((key) => ({ type: 'del' as const, key })));
  }

  async healthCheck(): Promise<void> {
    if (this.db.status !== 'open') throw new GsError('unavailable', 'TASK_STORE_CLOSED', `the task store at ${this.location} is ${this.db.status}`);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.db.close();
  }
}
