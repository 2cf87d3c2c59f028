import { ConsumerPipeline, protoDecoder, step, TOPICS, type MessageBus, type Subscription } from '@gridstation/bus';
import { EdgeTaskResult } from '@gridstation/contracts';
import type { Redis } from '@gridstation/cache';
import type { ResultIndex } from './delivery';

// gs.edge-results.v1 -> the results index (its own consumer group; at least once: a result is stored
// under (task, grid task, rank, seq), so a redelivered or resent one replaces itself). A record that
// is not an EdgeTaskResult, names no task, or carries a payload that is not a JSON object is
// dead-lettered with the reason; the partition goes on.

export function validResult(r: EdgeTaskResult): ReturnType<typeof step.ok<EdgeTaskResult>> | ReturnType<typeof step.deadLetter> {
  if (!r.taskId) return step.deadLetter('EDGE_RESULT_NO_TASK', 'an edge task result must name its task (task_id)');
  if (!r.gridTask) return step.deadLetter('EDGE_RESULT_NO_GRIDTASK', `result of task ${r.taskId} names no GridTask`);
  let payload: unknown;
  try {
    payload = JSON.parse(r.payloadJson);
  } catch (e) {
    return step.deadLetter('EDGE_RESULT_PAYLOAD', `result of task ${r.taskId} rank ${r.rank}: payload_json is not JSON (${(e as Error).message})`);
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return step.deadLetter('EDGE_RESULT_PAYLOAD', `result of task ${r.taskId} rank ${r.rank}: payload_json must be a JSON object`);
  return step.ok(r);
}

export class EdgeResultsConsumer {
  private subscription?: Subscription;
  private readonly pipeline = ConsumerPipeline.decode('edge-results', protoDecoder(EdgeTaskResult, 'UNDECODABLE', 'gridstation.v1.EdgeTaskResult'))
    .map('validate', (r) => validResult(r))
    .effect('index', (items) => this.index.add(items.map((i) => i.value)));

  constructor(
    private readonly bus: MessageBus,
    private readonly index: ResultIndex,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ groupId: this.groupId, topics: [TOPICS.edgeResults], handler: this.pipeline.handler() });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }
}

/** Results per task in a Redis hash (field grid task/rank/seq), kept for `ttlSeconds` after the last one. */
export class RedisResultIndex implements ResultIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = 7 * 86_400,
  ) {}

  async add(results: readonly EdgeTaskResult[]): Promise<void> {
    if (results.length === 0) return;
    const m = this.redis.multi();
    for (const r of results) {
      const key = `${this.prefix}${r.taskId}`;
      m.hset(key, `${r.gridTask}/${r.rank}/${r.seq}`, Buffer.from(EdgeTaskResult.encode(r).finish()));
      m.expire(key, this.ttlSeconds);
    }
    const out = await m.exec();
    const failed = out?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async of(taskId: string): Promise<EdgeTaskResult[]> {
    const h = await this.redis.hgetallBuffer(`${this.prefix}${taskId}`);
    return Object.values(h).map((b) => EdgeTaskResult.decode(b));
  }
}
