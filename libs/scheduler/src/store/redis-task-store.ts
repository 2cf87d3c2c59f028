import { Output, Program, SubmitTaskSetRequest, Task, TaskSet, type TaskState } from '@gridstation/contracts';
import type { Redis } from '@gridstation/cache';
import { GsError } from '@gridstation/errors';
import { setIdOfOutput, type CommitBatch, type OutboxEntry, type StoredSet, type TaskStore } from './task-store';

// The task store in Redis. One Lua script per commit: it checks the lease and applies every write of
// the batch (records, state index, set snapshots, outputs, scenario index, outbox) or none, so a
// commit is atomic and a scheduler that lost its lease writes nothing. Durability comes from the
// server: the scheduler's Redis runs with appendonly yes and appendfsync always (deploy/k8s), so an
// acknowledged commit survives a restart of Redis; the fsync is shared by every command of one event
// loop turn, which is why commits are batched.
//
// Keys (prefix p, default "gs:sched:"):
//   p lease                     owner of the single-writer lease (PX ttl)
//   p set:<id>  p def:<id>      TaskSet, SubmitTaskSetRequest
//   p t:<id>                    hash: task index -> Task (only tasks that left PENDING)
//   p s:<id>:<state>            zset: task indexes in that state (score = index)
//   p out:<id>                  hash: output id -> Output
//   p sets / p sets:<service>   zset: set ids by creation time;  p open: set of unfinished set ids
//   p scn:<scenario>            zset: "<version>|<task id>"
//   p outbox                    stream: k = set id, v = TaskEventBatch
//   p prog / p code             hash: name@version -> Program, code

const COMMIT = `
local p = ARGV[1]
if redis.call('GET', p .. 'lease') ~= ARGV[2] then return redis.error_reply('LEASE_LOST another scheduler holds the task store lease') end
local i = 3
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('SET', p .. 'set:' .. ARGV[i], ARGV[i + 1]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local id, idx, from, to = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  redis.call('HSET', p .. 't:' .. id, idx, ARGV[i + 4])
  if from ~= to then
    if from ~= '1' then redis.call('ZREM', p .. 's:' .. id .. ':' .. from, idx) end
    redis.call('ZADD', p .. 's:' .. id .. ':' .. to, tonumber(idx), idx)
  end
  if ARGV[i + 5] ~= '' then redis.call('ZADD', p .. 'scn:' .. ARGV[i + 5], 0, ARGV[i + 6]) end
  i = i + 7
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HSET', p .. 'out:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2]); i = i + 3 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('SREM', p .. 'open', ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('XADD', p .. 'outbox', '*', 'k', ARGV[i], 'v', ARGV[i + 1]); i = i + 2 end
return n
`;

const CREATE = `
local p = ARGV[1]
if redis.call('GET', p .. 'lease') ~= ARGV[2] then return redis.error_reply('LEASE_LOST another scheduler holds the task store lease') end
local id, created, service = ARGV[3], tonumber(ARGV[4]), ARGV[5]
if redis.call('EXISTS', p .. 'set:' .. id) == 1 then return redis.error_reply('ALREADY_EXISTS task set ' .. id) end
redis.call('SET', p .. 'def:' .. id, ARGV[7])
redis.call('SET', p .. 'set:' .. id, ARGV[6])
redis.call('ZADD', p .. 'sets', created, id)
redis.call('ZADD', p .. 'sets:' .. service, created, id)
redis.call('SADD', p .. 'open', id)
redis.call('XADD', p .. 'outbox', '*', 'k', id, 'v', ARGV[8])
return 1
`;

const LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Most task writes per script call (each is seven arguments). */
const CHUNK = 10_000;

type Commands = Redis & {
  gsTaskCommit(...args: Array<string | Buffer>): Promise<number>;
  gsTaskCreate(...args: Array<string | Buffer>): Promise<number>;
  gsTaskLease(key: string, owner: string, ttl: number): Promise<number>;
  gsTaskRelease(key: string, owner: string): Promise<number>;
};

function leaseError(e: unknown): unknown {
  if (e instanceof Error && /LEASE_LOST/.test(e.message)) return new GsError('failed-precondition', 'LEASE_LOST', 'another scheduler holds the task store lease', { cause: e });
  if (e instanceof Error && /ALREADY_EXISTS/.test(e.message)) return new GsError('already-exists', 'TASK_SET_EXISTS', `${e.message.replace(/^.*ALREADY_EXISTS /, '')} already exists`, { cause: e });
  return e;
}

export class RedisTaskStore implements TaskStore {
  readonly kind = 'redis' as const;
  private readonly r: Commands;

  constructor(
    redis: Redis,
    private readonly p = 'gs:sched:',
  ) {
    this.r = redis as Commands;
    redis.defineCommand('gsTaskCommit', { numberOfKeys: 0, lua: COMMIT });
    redis.defineCommand('gsTaskCreate', { numberOfKeys: 0, lua: CREATE });
    redis.defineCommand('gsTaskLease', { numberOfKeys: 1, lua: LEASE });
    redis.defineCommand('gsTaskRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  async acquire(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.r.gsTaskLease(`${this.p}lease`, owner, ttlMs)) === 1;
  }

  async release(owner: string): Promise<void> {
    await this.r.gsTaskRelease(`${this.p}lease`, owner);
  }

  async create(owner: string, set: TaskSet, definition: SubmitTaskSetRequest, event: { key: string; value: Buffer }): Promise<void> {
    const args = [this.p, owner, set.id, String(set.createdAtMs), set.service, Buffer.from(TaskSet.encode(set).finish()), Buffer.from(SubmitTaskSetRequest.encode(definition).finish()), event.value];
    await this.r.gsTaskCreate(...args).catch((e: unknown) => {
      throw leaseError(e);
    });
  }

  async commit(owner: string, b: CommitBatch): Promise<void> {
    // Large batches go in chunks; each chunk is atomic, and the set snapshots and outbox ride with the
    // last one, so a crash between chunks leaves records ahead of their set's counts, never behind.
    for (let at = 0; at < b.tasks.length || at === 0; at += CHUNK) {
      const last = at + CHUNK >= b.tasks.length;
      const tasks = b.tasks.slice(at, at + CHUNK);
      const args: Array<string | Buffer> = [this.p, owner];
      const sets = last ? b.sets : [];
      args.push(String(sets.length));
      for (const s of sets) args.push(s.id, Buffer.from(TaskSet.encode(s).finish()));
      args.push(String(tasks.length));
      for (const t of tasks) {
        const scn = t.scenario ? `${t.scenario.id}` : '';
        args.push(t.record.taskSetId, String(t.record.index), String(t.from), String(t.record.state), Buffer.from(Task.encode(t.record).finish()), scn, t.scenario ? `${t.scenario.version}|${t.record.id}` : '');
      }
      const outputs = last ? b.outputs : [];
      args.push(String(outputs.length));
      for (const o of outputs) args.push(o.taskSetId, o.id, Buffer.from(Output.encode(o).finish()));
      const closed = last ? b.closed : [];
      args.push(String(closed.length), ...closed);
      const events = last ? b.events : [];
      args.push(String(events.length));
      for (const e of events) args.push(e.key, e.value);
      await this.r.gsTaskCommit(...args).catch((e: unknown) => {
        throw leaseError(e);
      });
      if (last) break;
    }
  }

  async openSetIds(): Promise<string[]> {
    return this.r.smembers(`${this.p}open`);
  }

  async getSet(id: string): Promise<StoredSet | undefined> {
    const [set, def] = await Promise.all([this.r.getBuffer(`${this.p}set:${id}`), this.r.getBuffer(`${this.p}def:${id}`)]);
    if (!set || !def) return undefined;
    return { set: TaskSet.decode(set), definition: SubmitTaskSetRequest.decode(def) };
  }

  async listSets(o: { service: string; limit: number; after: string }): Promise<{ sets: TaskSet[]; next: string }> {
    const key = o.service ? `${this.p}sets:${o.service}` : `${this.p}sets`;
    let start = 0;
    if (o.after) {
      const rank = await this.r.zrevrank(key, o.after);
      if (rank === null) return { sets: [], next: '' };
      start = rank + 1;
    }
    const ids = await this.r.zrevrange(key, start, start + o.limit - 1);
    const raw = ids.length ? await this.r.mgetBuffer(...ids.map((id) => `${this.p}set:${id}`)) : [];
    const sets = raw.filter((x): x is Buffer => x !== null).map((x) => TaskSet.decode(x));
    return { sets, next: ids.length === o.limit ? ids[ids.length - 1]! : '' };
  }

  async getTasks(setId: string, indexes: readonly number[]): Promise<Array<Task | undefined>> {
    if (indexes.length === 0) return [];
    const raw = await this.r.hmgetBuffer(`${this.p}t:${setId}`, ...indexes.map(String));
    return raw.map((x) => (x ? Task.decode(x) : undefined));
  }

  async indexesIn(setId: string, state: TaskState, after: number, limit: number): Promise<number[]> {
    const ids = await this.r.zrangebyscore(`${this.p}s:${setId}:${state}`, `(${after}`, '+inf', 'LIMIT', 0, limit);
    return ids.map(Number);
  }

  async *records(setId: string): AsyncIterable<Task[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.r.hscanBuffer(`${this.p}t:${setId}`, cursor, 'COUNT', 5000);
      cursor = next.toString();
      const out: Task[] = [];
      for (let i = 1; i < flat.length; i += 2) out.push(Task.decode(flat[i]!));
      if (out.length) yield out;
    } while (cursor !== '0');
  }

  async outputs(setId: string, limit: number): Promise<Output[]> {
    const out: Output[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.r.hscanBuffer(`${this.p}out:${setId}`, cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (let i = 1; i < flat.length && out.length < limit; i += 2) out.push(Output.decode(flat[i]!));
    } while (cursor !== '0' && out.length < limit);
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async output(id: string): Promise<Output | undefined> {
    const raw = await this.r.hgetBuffer(`${this.p}out:${setIdOfOutput(id)}`, id);
    return raw ? Output.decode(raw) : undefined;
  }

  async scenarioTasks(scenarioId: string, version: string, limit: number): Promise<string[]> {
    const key = `${this.p}scn:${scenarioId}`;
    const members = version ? await this.r.zrangebylex(key, `[${version}|`, `[${version}|\xff`, 'LIMIT', 0, limit) : await this.r.zrange(key, 0, limit - 1);
    return members.map((m) => m.slice(m.indexOf('|') + 1));
  }

  async putProgram(program: Program, code: Buffer): Promise<void> {
    const ref = `${program.name}@${program.version}`;
    await this.r.multi().hset(`${this.p}code`, ref, code).hset(`${this.p}prog`, ref, Buffer.from(Program.encode(program).finish())).exec();
  }

  async programs(): Promise<Array<{ program: Program; code: Buffer }>> {
    const [progs, codes] = await Promise.all([this.r.hgetallBuffer(`${this.p}prog`), this.r.hgetallBuffer(`${this.p}code`)]);
    return Object.entries(progs).map(([ref, p]) => ({ program: Program.decode(p), code: codes[ref] ?? Buffer.alloc(0) }));
  }

  async outbox(limit: number): Promise<OutboxEntry[]> {
    const rows = (await this.r.xrangeBuffer(`${this.p}outbox`, '-', '+', 'COUNT', limit)) as Array<[Buffer, Buffer[]]>;
    return rows.map(([id, fields]) => {
      const f = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!);
      return { id: id.toString(), key: f.get('k')!.toString(), value: f.get('v')! };
    });
  }

  async ackOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.r.xdel(`${this.p}outbox`, ...ids);
  }

  async healthCheck(): Promise<void> {
    await this.r.ping();
  }

  async close(): Promise<void> {
    // The Redis client belongs to the adapters module, which closes it.
  }
}
