import { DeadLetter } from '@gridstation/contracts';
import { DependencyUnavailableError, invalidArgument } from '@gridstation/errors';
import { sleep, uniqueName, waitFor } from '@gridstation/testing';
import {
  ConsumerPipeline,
  OK,
  TOPICS,
  consumerLag,
  step,
  deadLetter,
  retry,
  type InboundMessage,
  type MessageBus,
  type Outcome,
  type OutboundMessage,
  type Subscription,
} from '../src';

// The behaviour every MessageBus adapter must have. Run against the in-process adapter (unit target)
// and against real Kafka (integration target) with the same cases.

interface BusHarness {
  bus: MessageBus;
  /** A fresh topic with `partitions` partitions. */
  topic(partitions: number): Promise<string>;
  group(): string;
  /** Allows for slower group joins on a real broker. */
  timeoutMs: number;
}

const msg = (key: string, value: string): OutboundMessage => ({ key, value: Buffer.from(value) });
const text = (m: InboundMessage) => m.value.toString();

async function collectDeadLetters(h: BusHarness, into: DeadLetter[]): Promise<Subscription> {
  return h.bus.subscribe({
    groupId: h.group(),
    topics: [TOPICS.deadLetter],
    fromBeginning: true,
    handler: async (b) => {
      for (const m of b.messages) into.push(DeadLetter.decode(m.value));
      return OK;
    },
  });
}

/** `timeoutMs` allows for slower group joins on a real broker. */
export function busContract(name: string, open: () => Promise<MessageBus>, timeoutMs: number): void {
  describe(`MessageBus contract: ${name}`, () => {
    let h: BusHarness;
    const subs: Subscription[] = [];
    const track = (s: Subscription) => (subs.push(s), s);

    beforeAll(async () => {
      const bus = await open();
      const topic = async (partitions: number) => {
        const t = uniqueName('contract');
        await bus.ensureTopics([{ name: t, partitions }]);
        return t;
      };
      h = { bus, topic, group: () => uniqueName('group'), timeoutMs };
      await h.bus.ensureTopics([{ name: TOPICS.deadLetter, partitions: 3 }]);
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.close()));
    });
    afterAll(() => h.bus.close());

    it('keeps records of one key in order and delivers every record', async () => {
      const topic = await h.topic(3);
      const keys = ['t-1', 't-2', 't-3', 't-4', 't-5'];
      const seen = new Map<string, number[]>();
      track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          maxBatchSize: 7,
          handler: async (b) => {
            for (const m of b.messages) {
              const [k, n] = text(m).split(':') as [string, string];
              seen.set(k, [...(seen.get(k) ?? []), Number(n)]);
            }
            return OK;
          },
        }),
      );
      for (let round = 0; round < 10; round++) {
        await h.bus.publish(topic, keys.flatMap((k) => Array.from({ length: 10 }, (_, i) => msg(k, `${k}:${round * 10 + i}`))));
      }
      await waitFor(() => keys.every((k) => (seen.get(k)?.length ?? 0) >= 100), 'all 500 records', h.timeoutMs);
      for (const k of keys) expect(seen.get(k)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });

    it('redelivers a record whose handler asked for a retry, without settling anything after it', async () => {
      const topic = await h.topic(1);
      const order: string[] = [];
      let refusals = 0;
      track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          retryDelayMs: 20,
          handler: async (b) => {
            const outcomes: Outcome[] = [];
            for (const m of b.messages) {
              if (text(m) === 'b' && refusals < 2) {
                refusals++;
                // Outcomes after a retry are ignored by the bus; a handler stops at the first one.
                while (outcomes.length < b.messages.length) outcomes.push(retry('store unavailable', 20));
                return outcomes;
              }
              order.push(text(m));
              outcomes.push(OK);
            }
            return outcomes;
          },
        }),
      );
      await h.bus.publish(topic, ['a', 'b', 'c', 'd'].map((v) => msg('k', v)));
      await waitFor(() => order.length >= 4, 'a..d settled', h.timeoutMs);
      expect(refusals).toBe(2);
      expect(order).toEqual(['a', 'b', 'c', 'd']);
    });

    it('retries while a thrown error says a dependency is unavailable, however often, then carries on', async () => {
      const topic = await h.topic(1);
      let calls = 0;
      const got: string[] = [];
      const dls: DeadLetter[] = [];
      track(await collectDeadLetters(h, dls));
      track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          retryDelayMs: 5,
          maxRetryDelayMs: 10,
          handler: async (b) => {
            if (calls++ < 8) throw new DependencyUnavailableError('store', 'connection refused');
            got.push(...b.messages.map(text));
            return OK;
          },
        }),
      );
      await h.bus.publish(topic, [msg('k', 'x'), msg('k', 'y')]);
      await waitFor(() => got.includes('y'), 'x and y after eight failures', h.timeoutMs);
      expect(got.slice(0, 2)).toEqual(['x', 'y']);
      expect(calls).toBe(9);
      expect(dls.filter((d) => d.sourceTopic === topic)).toEqual([]);
    });

    it('redelivers to the next member what a consumer that died before committing had taken', async () => {
      const topic = await h.topic(2);
      const groupId = h.group();
      let firstSaw = 0;
      const hung = await h.bus.subscribe({
        groupId,
        topics: [topic],
        handler: async (b) => {
          firstSaw += b.messages.length;
          return new Promise<Outcome>(() => undefined); // never settles: the process "dies" mid-batch
        },
      });
      await h.bus.publish(topic, Array.from({ length: 20 }, (_, i) => msg(`k${i % 4}`, String(i))));
      await waitFor(() => firstSaw > 0, 'the first consumer to take records', h.timeoutMs);
      await hung.abort();
      const got = new Set<string>();
      track(
        await h.bus.subscribe({
          groupId,
          topics: [topic],
          handler: async (b) => {
            b.messages.forEach((m) => got.add(text(m)));
            return OK;
          },
        }),
      );
      await waitFor(() => got.size === 20, 'all 20 records at the second consumer', h.timeoutMs);
    });

    it('routes rejected records to the dead-letter topic with the reason and the original bytes', async () => {
      const topic = await h.topic(1);
      const dls: DeadLetter[] = [];
      track(await collectDeadLetters(h, dls));
      const good: string[] = [];
      track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          handler: async (b) =>
            b.messages.map((m) => {
              if (text(m).startsWith('bad')) return deadLetter('CHECKSUM', `checksum mismatch at byte 12 of ${text(m)}`, { byteOffset: 12, frameId: 'f-1' });
              good.push(text(m));
              return OK;
            }),
        }),
      );
      await h.bus.publish(topic, [msg('m1', 'ok1'), msg('m1', 'bad1'), msg('m1', 'ok2')]);
      await waitFor(() => good.length === 2 && dls.some((d) => d.sourceTopic === topic), 'good records and the dead letter', h.timeoutMs);
      const dl = dls.find((d) => d.sourceTopic === topic)!;
      expect(dl.code).toBe('CHECKSUM');
      expect(dl.reason).toContain('byte 12');
      expect(dl.byteOffset).toBe(12);
      expect(dl.frameId).toBe('f-1');
      expect(dl.payload.toString()).toBe('bad1');
      expect(dl.key.toString()).toBe('m1');
      expect(dl.sourceOffset).toBe(1);
      expect(good).toEqual(['ok1', 'ok2']);
    });

    it('dead-letters the one record that makes the handler fail for good, at once, and the partition moves on', async () => {
      const topic = await h.topic(1);
      const dls: DeadLetter[] = [];
      track(await collectDeadLetters(h, dls));
      const good: string[] = [];
      track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          retryDelayMs: 60_000,
          handler: async (b) => {
            if (b.messages.some((m) => text(m) === 'poison')) throw new TypeError('cannot read property of undefined');
            good.push(...b.messages.map(text));
            return OK;
          },
        }),
      );
      await h.bus.publish(topic, [msg('k', 'p1'), msg('k', 'poison'), msg('k', 'p2')]);
      await waitFor(() => good.includes('p2') && dls.some((d) => d.sourceTopic === topic), 'p2 and the poison dead letter', h.timeoutMs);
      const dl = dls.find((d) => d.sourceTopic === topic)!;
      expect(dl.code).toBe('HANDLER_ERROR');
      expect(dl.reason).toContain('cannot read property of undefined');
      expect(dl.payload.toString()).toBe('poison');
      expect(good.filter((g) => g !== 'poison').sort()).toEqual(['p1', 'p2']);
    });

    it('a store that rejects one record for good: the pipeline isolates it, dead-letters it with the reason, stores the rest', async () => {
      const topic = await h.topic(1);
      const dls: DeadLetter[] = [];
      track(await collectDeadLetters(h, dls));
      const stored: string[] = [];
      const pipeline = ConsumerPipeline.decode('contract', (m) => step.ok(text(m))).effect('store', async (items) => {
        // Like HBase refusing a whole multi-put for one oversized row key: the error does not say which.
        if (items.some((i) => i.value.length > 10)) throw invalidArgument('ROW_TOO_LARGE', 'row key longer than the store allows');
        stored.push(...items.map((i) => i.value));
      });
      track(await h.bus.subscribe({ groupId: h.group(), topics: [topic], retryDelayMs: 60_000, handler: pipeline.handler() }));
      await h.bus.publish(topic, ['r1', 'r2', 'x'.repeat(40), 'r3'].map((v) => msg('k', v)));
      await waitFor(() => stored.includes('r3') && dls.some((d) => d.sourceTopic === topic), 'r3 stored and the oversized record dead-lettered', h.timeoutMs);
      const dl = dls.find((d) => d.sourceTopic === topic)!;
      expect({ code: dl.code, payload: dl.payload.toString(), offset: dl.sourceOffset }).toEqual({ code: 'ROW_TOO_LARGE', payload: 'x'.repeat(40), offset: 2 });
      expect(dl.reason).toContain('row key longer than the store allows');
      expect([...new Set(stored)].sort()).toEqual(['r1', 'r2', 'r3']);
    });

    it('reports a subscription whose handler is stuck as stalled, in its health check, until it recovers', async () => {
      const topic = await h.topic(1);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const sub = track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          stallAfterMs: 300,
          handler: async () => {
            await gate;
            return OK;
          },
        }),
      );
      await h.bus.healthCheck();
      try {
        await h.bus.publish(topic, [msg('k', 'stuck')]);
        await waitFor(() => /handler running for [\d.]+ s on/.test(sub.stalled() ?? ''), 'the stuck handler to be noticed', h.timeoutMs);
        await expect(h.bus.healthCheck()).rejects.toThrow(/handler running for [\d.]+ s on/);
      } finally {
        release();
      }
      await waitFor(() => sub.stalled() === undefined, 'the subscription to make progress again', h.timeoutMs);
      await h.bus.healthCheck();
    });

    it('bounds in-flight work and pauses fetching while saturated', async () => {
      const topic = await h.topic(3);
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      const sub = track(
        await h.bus.subscribe({
          groupId: h.group(),
          topics: [topic],
          maxInFlight: 4,
          handler: async (b) => {
            inFlight += b.messages.length;
            peak = Math.max(peak, inFlight);
            await sleep(15);
            inFlight -= b.messages.length;
            done += b.messages.length;
            return OK;
          },
        }),
      );
      await h.bus.publish(topic, Array.from({ length: 60 }, (_, i) => msg(`k${i % 6}`, String(i))));
      await waitFor(() => done >= 60, '60 records through a 4-record window', h.timeoutMs);
      expect(peak).toBeLessThanOrEqual(4);
      expect(sub.stats().pauses).toBeGreaterThan(0);
      expect(sub.stats().committed).toBe(60);
    });

    it('reports consumer lag while records wait, and zero once they are committed', async () => {
      const topic = await h.topic(1);
      const groupId = h.group();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      track(
        await h.bus.subscribe({
          groupId,
          topics: [topic],
          handler: async () => {
            await gate;
            return OK;
          },
        }),
      );
      await h.bus.publish(topic, Array.from({ length: 10 }, (_, i) => msg('k', String(i))));
      await waitFor(() => consumerLag.get(groupId, topic, 0) === 10, 'a lag of 10 while the handler holds the batch', h.timeoutMs);
      release();
      await waitFor(() => consumerLag.get(groupId, topic, 0) === 0, 'a lag of 0 after the commit', h.timeoutMs);
    });

    it('shares partitions between two members and hands them over when one leaves', async () => {
      const topic = await h.topic(4);
      const groupId = h.group();
      const byMember: [Set<string>, Set<string>] = [new Set(), new Set()];
      const member = (i: 0 | 1) =>
        h.bus.subscribe({
          groupId,
          topics: [topic],
          handler: async (b) => {
            b.messages.forEach((m) => byMember[i].add(text(m)));
            return OK;
          },
        });
      const a = await member(0);
      const b = track(await member(1));
      await waitFor(() => a.stats().assigned.length > 0 && b.stats().assigned.length > 0 && a.stats().assigned.length + b.stats().assigned.length === 4, 'both members to own partitions', h.timeoutMs);
      await h.bus.publish(topic, Array.from({ length: 40 }, (_, i) => msg(`key-${i}`, `first-${i}`)));
      await waitFor(() => byMember[0].size + byMember[1].size >= 40, 'first 40 records', h.timeoutMs);
      expect(byMember[0].size).toBeGreaterThan(0);
      expect(byMember[1].size).toBeGreaterThan(0);
      await a.close();
      await waitFor(() => b.stats().assigned.length === 4, 'the remaining member to own all partitions', h.timeoutMs);
      await h.bus.publish(topic, Array.from({ length: 40 }, (_, i) => msg(`key-${i}`, `second-${i}`)));
      await waitFor(() => [...byMember[1]].filter((v) => v.startsWith('second')).length === 40, 'all second-round records at the remaining member', h.timeoutMs);
    });

    it('drains in-flight work on close and commits it, so a successor does not see it again', async () => {
      const topic = await h.topic(1);
      const groupId = h.group();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started = false;
      let finished = 0;
      const first = await h.bus.subscribe({
        groupId,
        topics: [topic],
        handler: async (b) => {
          started = true;
          await gate;
          finished += b.messages.length;
          return OK;
        },
      });
      await h.bus.publish(topic, [msg('k', 'one'), msg('k', 'two')]);
      await waitFor(() => started, 'the handler to start', h.timeoutMs);
      const closing = first.close();
      await sleep(50);
      release();
      await closing;
      expect(finished).toBe(2);
      const again: string[] = [];
      track(
        await h.bus.subscribe({
          groupId,
          topics: [topic],
          handler: async (b) => {
            again.push(...b.messages.map(text));
            return OK;
          },
        }),
      );
      await h.bus.publish(topic, [msg('k', 'three')]);
      await waitFor(() => again.includes('three'), 'the record published after the handover', h.timeoutMs);
      expect(again).toEqual(['three']);
    });
  });
}
