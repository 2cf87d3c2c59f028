import { classifyError } from '@gridstation/errors';
import { gsMeter } from '@gridstation/telemetry';
import { deadLetter, drop, isolate, OK, retry, type BatchHandler, type InboundBatch, type InboundMessage, type Outcome } from './types';

// Consumers are built from steps: decode -> pure domain steps -> side effects (store, publish). A step
// says what became of each message (ok with a value, dead letter with a reason, drop, retry), so no
// consumer hand-writes the decode/try/catch/retry loop again. A step that throws is judged by the one
// classifier (libs/errors): a dependency that is unavailable retries the batch with back-off, anything
// else isolates it (redelivered one message at a time) and the message that still fails alone is
// dead-lettered with the reason. A permanent error therefore never stalls a partition, and a store that
// is down never turns good records into dead letters.

export type StepResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'dead-letter'; readonly code: string; readonly reason: string; readonly frameId?: string; readonly byteOffset?: number }
  | { readonly kind: 'drop'; readonly reason: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly delayMs?: number };

export const step = {
  ok: <T>(value: T): StepResult<T> => ({ kind: 'ok', value }),
  deadLetter: (code: string, reason: string, extra: { frameId?: string; byteOffset?: number } = {}): StepResult<never> => ({ kind: 'dead-letter', code, reason, ...extra }),
  drop: (reason: string): StepResult<never> => ({ kind: 'drop', reason }),
  retry: (reason: string, delayMs?: number): StepResult<never> => (delayMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, delayMs }),
};

/** One message on its way through the steps, with what the steps made of it so far. */
export interface Item<T> {
  readonly message: InboundMessage;
  readonly value: T;
}

/** Works on one message at a time. */
export type MessageStep<I, O> = (value: I, message: InboundMessage) => StepResult<O> | Promise<StepResult<O>>;
/** Works on every message still going, at once (one lookup for all, one aggregation); one result per item, same order. */
export type BatchStep<I, O> = (items: readonly Item<I>[]) => readonly StepResult<O>[] | Promise<readonly StepResult<O>[]>;
/** A side effect over every message still going (a store write, a publish); it succeeds for all or throws. */
export type Effect<I> = (items: readonly Item<I>[]) => Promise<void>;

type Stage =
  | { name: string; type: 'map'; fn: MessageStep<unknown, unknown> }
  | { name: string; type: 'batch'; fn: BatchStep<unknown, unknown> }
  | { name: string; type: 'effect'; fn: Effect<unknown> };

const stepResults = gsMeter('bus').createCounter('gs_consumer_step_results_total', { description: 'What consumer steps made of records, by consumer, step and result' });

interface Live {
  index: number;
  message: InboundMessage;
  value: unknown;
}

export class ConsumerPipeline<T> {
  private constructor(
    readonly consumer: string,
    private readonly stages: readonly Stage[],
  ) {}

  /** The first step: turn a record's bytes into a value (or say why it cannot be). */
  static decode<T>(consumer: string, fn: (message: InboundMessage) => StepResult<T>): ConsumerPipeline<T> {
    return new ConsumerPipeline<T>(consumer, [{ name: 'decode', type: 'map', fn: (_v, m) => fn(m) }]);
  }

  map<O>(name: string, fn: MessageStep<T, O>): ConsumerPipeline<O> {
    return new ConsumerPipeline<O>(this.consumer, [...this.stages, { name, type: 'map', fn: fn as MessageStep<unknown, unknown> }]);
  }

  batch<O>(name: string, fn: BatchStep<T, O>): ConsumerPipeline<O> {
    return new ConsumerPipeline<O>(this.consumer, [...this.stages, { name, type: 'batch', fn: fn as BatchStep<unknown, unknown> }]);
  }

  effect(name: string, fn: Effect<T>): ConsumerPipeline<T> {
    return new ConsumerPipeline<T>(this.consumer, [...this.stages, { name, type: 'effect', fn: fn as Effect<unknown> }]);
  }

  /** The bus handler that runs the steps over each delivered batch. */
  handler(): BatchHandler {
    return (batch) => this.run(batch);
  }

  async run(batch: InboundBatch): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(batch.messages.length).fill(OK);
    let live: Live[] = batch.messages.map((message, index) => ({ index, message, value: undefined }));
    for (const stage of this.stages) {
      if (live.length === 0) break;
      live = await this.runStage(stage, live, outcomes);
    }
    return outcomes;
  }

  private async runStage(stage: Stage, live: Live[], outcomes: Outcome[]): Promise<Live[]> {
    let results: readonly StepResult<unknown>[];
    try {
      switch (stage.type) {
        case 'map':
          results = [];
          for (const item of live) (results as StepResult<unknown>[]).push(await stage.fn(item.value, item.message));
          break;
        case 'batch':
          results = await stage.fn(live);
          if (results.length !== live.length) throw new Error(`step ${stage.name} returned ${results.length} results for ${live.length} records`);
          break;
        case 'effect':
          await stage.fn(live);
          this.count(stage.name, 'ok', live.length);
          return live;
      }
    } catch (e) {
      const c = classifyError(e);
      const outcome: Outcome = c.retriable
        ? retry(`${stage.name}: ${c.reason}`)
        : live.length > 1
          ? isolate(`${stage.name}: ${c.reason}`)
          : deadLetter(c.code, `${this.consumer} ${stage.name}: ${c.reason}`);
      this.count(stage.name, outcome.status, live.length);
      for (const item of live) outcomes[item.index] = outcome;
      return [];
    }
    const next: Live[] = [];
    for (let i = 0; i < live.length; i++) {
      const item = live[i]!;
      const r = results[i]!;
      this.count(stage.name, r.kind, 1);
      switch (r.kind) {
        case 'ok':
          next.push({ index: item.index, message: item.message, value: r.value });
          break;
        case 'drop':
          outcomes[item.index] = drop(r.reason);
          break;
        case 'dead-letter':
          outcomes[item.index] = deadLetter(r.code, r.reason, { ...(r.frameId === undefined ? {} : { frameId: r.frameId }), ...(r.byteOffset === undefined ? {} : { byteOffset: r.byteOffset }) });
          break;
        case 'retry':
          // Nothing after a retried record may settle before it: the rest of the batch waits with it.
          for (let j = i; j < live.length; j++) outcomes[live[j]!.index] = retry(r.reason, r.delayMs);
          return next;
      }
    }
    return next;
  }

  private count(name: string, result: string, n: number): void {
    if (n > 0) stepResults.add(n, { consumer: this.consumer, step: name, result });
  }
}

/** The decode step for a protobuf payload (a ts-proto message type): undecodable bytes are dead-lettered with `code`. */
export function protoDecoder<T>(type: { decode(input: Uint8Array): T; name?: string }, code: string, what: string): (m: InboundMessage) => StepResult<T> {
  return (m) => {
    try {
      return step.ok(type.decode(m.value));
    } catch (e) {
      return step.deadLetter(code, `not a ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
