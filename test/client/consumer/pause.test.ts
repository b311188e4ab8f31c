/**
 * pause / resume / paused (the intent of KafkaJS's pause.spec.js and consumeMessages.spec.js "discards
 * messages received when pausing while fetch is in-flight"; semantics in `subscriptionState.js` and
 * `runner.processEachMessage`): eachMessage breaks out of its batch after the message that paused its
 * partition, paused partitions are left out of fetches and their in-flight fetched batches are dropped,
 * `paused()` lists only assigned partitions, and resuming one partition of a fully paused topic records
 * it as an exception to the pause.
 */
import { describe, expect, it } from 'vitest';
import type { EachBatchPayload } from '../../../src/index.ts';
import {
  collectInto,
  consumerOf,
  ofType,
  produceValues,
  recordEvents,
  startCluster,
  valuesOf,
  watchFetches,
  type Delivery,
} from './support.ts';

/** Two topics of two partitions, as KafkaJS's pause spec sets up: small batches, short long-polls. */
async function twoTopics(options: { maxWaitTimeInMs?: number } = {}) {
  const sim = startCluster({ topics: [{ topic: 't0', numPartitions: 2 }, { topic: 't1', numPartitions: 2 }] });
  const consumer = consumerOf(sim, { groupId: 'pausing', maxWaitTimeInMs: options.maxWaitTimeInMs ?? 20, maxBytesPerPartition: 180 });
  await consumer.connect();
  return { sim, consumer };
}

const tag = (d: Delivery) => `${d.topic}:${d.value}`;

describe('pausing from inside eachMessage', () => {
  it('pause() from the payload, then throwing: the partition waits until the returned resume is called', async () => {
    const { sim, consumer } = await twoTopics();
    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 0, ['m0', 'm1']);
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
    }
    let shouldPause = true;
    const deliveries: Delivery[] = [];
    const resumes: Array<() => void> = [];
    void consumer.run({
      eachMessage: async ({ topic, partition, message, pause }) => {
        if (shouldPause && topic === 't0' && message.value!.toString() === 'm1') {
          resumes.push(pause());
          throw new Error('bailing out');
        }
        deliveries.push({ topic, partition, offset: message.offset, value: message.value!.toString() });
      },
    });
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0] }]);

    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 1, ['m2']);
      await produceValues(sim, topic, 0, ['m3']);
    }
    await sim.runUntil(() => deliveries.length >= 6, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.map(tag).sort()).toEqual(['t0:m0', 't0:m2', 't1:m0', 't1:m1', 't1:m2', 't1:m3']);

    shouldPause = false;
    for (const resume of resumes) resume();
    await sim.runUntil(() => deliveries.length >= 8, { maxMs: 30_000 });
    await sim.sleep(2_000);
    // Exactly the two held-back messages of t0/0: the failed m1 was never resolved, so it comes first.
    expect(deliveries.slice(6).map(tag)).toEqual(['t0:m1', 't0:m3']);
    expect(consumer.paused()).toEqual([]);
    await consumer.disconnect();
  });

  it('consumer.pause() of the current partition, without throwing: eachMessage is not called again for it', async () => {
    const { sim, consumer } = await twoTopics();
    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 0, ['m0', 'm1']);
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
    }
    let shouldPause = true;
    const deliveries: Delivery[] = [];
    void consumer.run({
      eachMessage: collectInto(deliveries, ({ topic, partition, message }) => {
        if (shouldPause && topic === 't0' && message.value!.toString() === 'm0') consumer.pause([{ topic, partitions: [partition] }]);
      }),
    });
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0] }]);

    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 1, ['m2']);
      await produceValues(sim, topic, 0, ['m3']);
    }
    await sim.runUntil(() => deliveries.length >= 6, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.map(tag).sort()).toEqual(['t0:m0', 't0:m2', 't1:m0', 't1:m1', 't1:m2', 't1:m3']);

    shouldPause = false;
    consumer.resume(consumer.paused());
    await sim.runUntil(() => deliveries.length >= 8, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.slice(6).map(tag)).toEqual(['t0:m1', 't0:m3']);
    await consumer.disconnect();
  });

  it('pause() from eachBatch, with eachBatchAutoResolve off: the unresolved rest of the batch comes back on resume', async () => {
    const { sim, consumer } = await twoTopics();
    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 0, ['m0', 'm1', 'm2']);
      await produceValues(sim, topic, 1, ['m3']);
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
    }
    let shouldPause = true;
    const consumed: string[] = [];
    const resumes: Array<() => void> = [];
    void consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, pause, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload) => {
        for (const message of batch.messages) {
          const key = `${batch.topic}:${message.value!.toString()}`;
          if (shouldPause && (key === 't0:m1' || key === 't1:m3')) {
            resumes.push(pause());
            break;
          }
          consumed.push(key);
          resolveOffset(message.offset);
        }
        await commitOffsetsIfNecessary();
      },
    });
    await sim.runUntil(() => consumed.length >= 5, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(consumed.sort()).toEqual(['t0:m0', 't0:m3', 't1:m0', 't1:m1', 't1:m2']);
    expect(consumer.paused()).toContainEqual({ topic: 't0', partitions: [0] });
    expect(consumer.paused()).toContainEqual({ topic: 't1', partitions: [1] });
    shouldPause = false;
    for (const resume of resumes) resume();
    await sim.runUntil(() => consumed.length >= 8, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(consumer.paused()).toEqual([]);
    expect(consumed.slice(5).sort()).toEqual(['t0:m1', 't0:m2', 't1:m3']);
    await consumer.disconnect();
  });
});

describe('consumer.pause() from outside', () => {
  it('a paused topic is not fetched; paused() lists all its assigned partitions', async () => {
    const { sim, consumer } = await twoTopics();
    for (const topic of ['t0', 't1']) {
      await produceValues(sim, topic, 0, ['first']);
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
    }
    const deliveries: Delivery[] = [];
    void consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    expect(consumer.paused()).toEqual([]);
    consumer.pause([{ topic: 't0' }]);
    for (const topic of ['t0', 't1']) await produceValues(sim, topic, 1, ['second']);
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.filter((d) => d.topic === 't0').map((d) => [d.partition, d.offset])).toEqual([[0, '0']]);
    expect(deliveries.filter((d) => d.topic === 't1').map((d) => [d.partition, d.offset]).sort()).toEqual([[0, '0'], [1, '0']]);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0, 1] }]);
    await consumer.disconnect();
  });

  it('a paused partition is not fetched; the other partition of the topic goes on', async () => {
    const { sim, consumer } = await twoTopics();
    for (const partition of [0, 1]) await produceValues(sim, 't0', partition, [`p${partition}-a`]);
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    const deliveries: Delivery[] = [];
    void consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    consumer.pause([{ topic: 't0', partitions: [0] }]);
    for (const partition of [0, 1]) await produceValues(sim, 't0', partition, [`p${partition}-b`]);
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(valuesOf(deliveries, 0)).toEqual(['p0-a']);
    expect(valuesOf(deliveries, 1)).toEqual(['p1-a', 'p1-b']);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0] }]);

    consumer.resume([{ topic: 't0', partitions: [0] }]);
    await sim.runUntil(() => deliveries.length >= 4, { maxMs: 30_000 });
    expect(valuesOf(deliveries, 0)).toEqual(['p0-a', 'p0-b']);
    expect(consumer.paused()).toEqual([]);
    await consumer.disconnect();
  });

  it('pausing the topic and throwing: no message is processed until resume, then the failed one is retried', async () => {
    const { sim, consumer } = await twoTopics();
    await produceValues(sim, 't0', 0, ['only']);
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    let shouldThrow = true;
    const deliveries: Delivery[] = [];
    void consumer.run({
      eachMessage: collectInto(deliveries, ({ topic }) => {
        if (shouldThrow) {
          consumer.pause([{ topic }]);
          throw new Error('Should fail');
        }
      }),
    });
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(5_000); // the retrier restarts the fetch loop meanwhile; nothing is fetched while paused
    expect(deliveries.map((d) => d.offset)).toEqual(['0']);
    shouldThrow = false;
    consumer.resume([{ topic: 't0' }]);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map((d) => [d.partition, d.offset])).toEqual([[0, '0'], [0, '0']]);
    await consumer.disconnect();
  });

  it('pausing one partition and throwing: the other partition is consumed meanwhile', async () => {
    const { sim, consumer } = await twoTopics();
    await produceValues(sim, 't0', 0, ['p0']);
    await produceValues(sim, 't0', 1, ['p1']);
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    let shouldThrow = true;
    const deliveries: Delivery[] = [];
    void consumer.run({
      eachMessage: collectInto(deliveries, ({ topic, partition }) => {
        if (shouldThrow && partition === 0) {
          consumer.pause([{ topic, partitions: [0] }]);
          throw new Error('Should fail');
        }
      }),
    });
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    await sim.sleep(5_000);
    expect(deliveries.map((d) => d.partition).sort()).toEqual([0, 1]);
    shouldThrow = false;
    consumer.resume([{ topic: 't0', partitions: [0] }]);
    await sim.runUntil(() => deliveries.length >= 3, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(deliveries.map((d) => `${d.partition}@${d.offset}`).sort()).toEqual(['0@0', '0@0', '1@0']);
    await consumer.disconnect();
  });

  it('with every topic paused nothing is fetched: each loop sleeps maxWaitTimeInMs and sends no Fetch', async () => {
    const { sim, consumer } = await twoTopics({ maxWaitTimeInMs: 100 });
    await consumer.subscribe({ topics: ['t0', 't1'], fromBeginning: true });
    const events = recordEvents(sim, consumer, [consumer.events.FETCH]);
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    await sim.sleep(1_000);
    consumer.pause([{ topic: 't0' }, { topic: 't1' }]);
    await sim.sleep(500); // let a fetch that was already in flight come back
    const fetches = watchFetches(sim);
    const before = events.length;
    await produceValues(sim, 't0', 0, ['x']);
    await produceValues(sim, 't1', 0, ['y']);
    await sim.sleep(2_000);
    expect(deliveries).toEqual([]);
    expect(fetches.requests).toBe(0);
    const idle = events.slice(before);
    expect(idle.length).toBeGreaterThanOrEqual(10);
    for (const fetch of idle) expect(fetch.payload.duration).toBe(100);
    await consumer.disconnect();
  });
});

describe('consumer.resume()', () => {
  it('resumes a topic paused before the group was joined', async () => {
    const { sim, consumer } = await twoTopics();
    await consumer.subscribe({ topics: ['t0', 't1'], fromBeginning: true });
    const deliveries: Delivery[] = [];
    const running = consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.pause([{ topic: 't0' }]); // the consumer group exists as soon as run() is called
    await running;
    await produceValues(sim, 't0', 0, ['paused-topic']);
    await produceValues(sim, 't1', 0, ['active-topic']);
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.map(tag)).toEqual(['t1:active-topic']);
    consumer.resume([{ topic: 't0' }]);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    expect(deliveries.map(tag)).toEqual(['t1:active-topic', 't0:paused-topic']);
    expect(consumer.paused()).toEqual([]);
    await consumer.disconnect();
  });

  it('resuming one partition of a fully paused topic leaves the rest of the topic paused', async () => {
    const { sim, consumer } = await twoTopics();
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    const deliveries: Delivery[] = [];
    await consumer.run({ eachMessage: collectInto(deliveries) });
    consumer.pause([{ topic: 't0' }]);
    consumer.resume([{ topic: 't0', partitions: [1] }]);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0] }]);
    await produceValues(sim, 't0', 0, ['p0']);
    await produceValues(sim, 't0', 1, ['p1']);
    await sim.runUntil(() => deliveries.length >= 1, { maxMs: 30_000 });
    await sim.sleep(2_000);
    expect(deliveries.map((d) => d.partition)).toEqual([1]);

    // Pausing the whole topic again forgets the exception; resuming the topic clears everything.
    consumer.pause([{ topic: 't0' }]);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0, 1] }]);
    consumer.resume([{ topic: 't0' }]);
    await sim.runUntil(() => deliveries.length >= 2, { maxMs: 30_000 });
    expect(deliveries.map((d) => d.partition)).toEqual([1, 0]);
    await consumer.disconnect();
  });

  it('KafkaJS quirk: pausing listed partitions of a fully paused topic replaces the pause-all', async () => {
    const { consumer } = await twoTopics();
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    consumer.pause([{ topic: 't0' }]);
    consumer.pause([{ topic: 't0', partitions: [1] }]);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [1] }]);
    await consumer.disconnect();
  });

  it('paused() lists only partitions assigned to this member', async () => {
    const { consumer } = await twoTopics();
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    consumer.pause([{ topic: 't1' }, { topic: 't0', partitions: [0, 7] }]);
    expect(consumer.paused()).toEqual([{ topic: 't0', partitions: [0] }]);
    await consumer.disconnect();
  });
});

describe('a fetch in flight when its partition is paused', () => {
  it('comes back with records that are discarded; they are delivered once after resume', async () => {
    const { sim, consumer } = await twoTopics({ maxWaitTimeInMs: 200 });
    await produceValues(sim, 't0', 0, ['a0', 'a1', 'a2']);
    await consumer.subscribe({ topics: ['t0'], fromBeginning: true });
    const offsets: string[] = [];
    const events = recordEvents(sim, consumer, [consumer.events.FETCH]);
    void consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) offsets.push(message.offset);
        await heartbeat();
      },
    });
    await sim.runUntil(() => offsets.length === 3, { maxMs: 30_000 });
    const fetches = watchFetches(sim);
    await sim.runUntil(() => fetches.requests > 0, { maxMs: 30_000 }); // a long poll now waits at the broker
    consumer.pause([{ topic: 't0' }]);
    const fetchesBefore = ofType(events, consumer.events.FETCH).length;
    await produceValues(sim, 't0', 0, ['b0', 'b1', 'b2']); // completes the long poll
    await sim.runUntil(() => ofType(events, consumer.events.FETCH).length > fetchesBefore, { maxMs: 30_000 });
    expect(fetches.withRecords).toContain('t0/0');
    expect(offsets).toEqual(['0', '1', '2']);
    await sim.sleep(1_000);
    expect(offsets).toEqual(['0', '1', '2']);

    consumer.resume([{ topic: 't0' }]);
    await sim.runUntil(() => offsets.length >= 6, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(offsets).toEqual(['0', '1', '2', '3', '4', '5']);
    await consumer.disconnect();
  });
});
