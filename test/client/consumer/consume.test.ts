import { describe, expect, it } from 'vitest';
import type { EachMessagePayload } from '../../../src/client/consumer/index.ts';
import { CompressionTypes } from '../../../src/index.ts';
import { produceValues, quiet, startCluster } from '../support.ts';

const values = (messages: Array<{ partition: number; value: string }>, partition: number) =>
  messages.filter((m) => m.partition === partition).map((m) => m.value);

describe('consumer: subscribe, run, commit', () => {
  it('reads every partition from the beginning, in order per partition, and run() resolves once joined', async () => {
    const sim = startCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await produceValues(sim, 'orders', 0, ['a0', 'a1', 'a2']);
    await produceValues(sim, 'orders', 1, ['b0', 'b1']);
    const consumer = sim.kafka(quiet).consumer({ groupId: 'g1' });
    const joined: unknown[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => joined.push(e.payload));
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    const received: Array<{ partition: number; value: string; offset: string }> = [];
    await consumer.run({
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        received.push({ partition, value: message.value!.toString(), offset: message.offset });
      },
    });
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ groupId: 'g1', isLeader: true, memberAssignment: { orders: [0, 1] }, groupProtocol: 'RoundRobinAssigner' });
    await sim.runUntil(() => received.length === 5, { maxMs: 30_000 });
    expect(values(received, 0)).toEqual(['a0', 'a1', 'a2']);
    expect(values(received, 1)).toEqual(['b0', 'b1']);
    expect(received.filter((m) => m.partition === 0).map((m) => m.offset)).toEqual(['0', '1', '2']);
    await consumer.disconnect();

    // The group committed at the end of each batch: a new member of the group starts after them.
    const again: string[] = [];
    const second = sim.kafka(quiet).consumer({ groupId: 'g1' });
    await second.connect();
    await second.subscribe({ topics: ['orders'], fromBeginning: true });
    await second.run({ eachMessage: async ({ message }) => void again.push(message.value!.toString()) });
    await produceValues(sim, 'orders', 0, ['a3']);
    await sim.runUntil(() => again.length >= 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(again).toEqual(['a3']);
    await second.disconnect();
  });

  it('a new group without fromBeginning starts at the end of the log', async () => {
    const sim = startCluster({ topics: ['events'] });
    await produceValues(sim, 'events', 0, ['old-1', 'old-2']);
    const consumer = sim.kafka(quiet).consumer({ groupId: 'latest' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['events'] });
    const received: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
    await sim.sleep(6_000);
    await produceValues(sim, 'events', 0, ['new-1']);
    await sim.runUntil(() => received.length === 1, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(received).toEqual(['new-1']);
    await consumer.disconnect();
  });

  it('eachBatch gets the whole fetched batch with KafkaJS batch helpers', async () => {
    const sim = startCluster({ topics: ['batches'] });
    await produceValues(sim, 'batches', 0, ['x', 'y', 'z']);
    const consumer = sim.kafka(quiet).consumer({ groupId: 'b' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['batches'], fromBeginning: true });
    const seen: Array<{ size: number; first: string | null; last: string; lag: string; hw: string }> = [];
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen.push({ size: batch.messages.length, first: batch.firstOffset(), last: batch.lastOffset(), lag: batch.offsetLag(), hw: batch.highWatermark });
      },
    });
    await sim.runUntil(() => seen.length === 1, { maxMs: 30_000 });
    expect(seen[0]).toEqual({ size: 3, first: '0', last: '2', lag: '0', hw: '3' });
    await consumer.disconnect();
  });
});

describe('consumer: messages and batches (the intent of KafkaJS consumeMessages.spec.js)', () => {
  it('consumes 100 messages in order with their keys, values and every offset', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = sim.kafka(quiet).consumer({ groupId: 'hundred', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    const messages = Array.from({ length: 100 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` }));
    await produceValues(sim, 'orders', 0, messages);
    await sim.runUntil(() => received.length === 100, { maxMs: 30_000 });
    expect(received[0]).toEqual(
      expect.objectContaining({
        topic: 'orders',
        partition: 0,
        message: expect.objectContaining({ key: Buffer.from('key-0'), value: Buffer.from('value-0'), offset: '0', magicByte: 2 }),
      }),
    );
    expect(received[99].message).toEqual(expect.objectContaining({ key: Buffer.from('key-99'), value: Buffer.from('value-99'), offset: '99' }));
    expect(received.map((m) => m.message.offset)).toEqual(messages.map((_, i) => `${i}`));
    await consumer.disconnect();
  });

  it('consumes GZIP-compressed messages with headers sent by the producer, on two topics', async () => {
    const sim = startCluster({ topics: ['gz-1', 'gz-2'] });
    const consumer = sim.kafka(quiet).consumer({ groupId: 'gzip', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['gz-1', 'gz-2'], fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    const messagesOf = (topic: string) =>
      Array.from({ length: 3 }, (_, i) => ({ key: `${topic}-k${i}`, value: `${topic}-v${i}`, headers: { 'header-a': `a-${i}`, 'header-b': `b-${i}` } }));
    await producer.sendBatch({
      compression: CompressionTypes.GZIP,
      topicMessages: ['gz-1', 'gz-2'].map((topic) => ({ topic, messages: messagesOf(topic) })),
    });
    await sim.runUntil(() => received.length === 6, { maxMs: 30_000 });
    for (const topic of ['gz-1', 'gz-2']) {
      const ofTopic = received.filter((r) => r.topic === topic);
      expect(ofTopic.map((r) => r.message.offset)).toEqual(['0', '1', '2']);
      expect(ofTopic[2].message).toEqual(
        expect.objectContaining({
          key: Buffer.from(`${topic}-k2`),
          value: Buffer.from(`${topic}-v2`),
          headers: { 'header-a': Buffer.from('a-2'), 'header-b': Buffer.from('b-2') },
          magicByte: 2,
        }),
      );
    }
    await producer.disconnect();
    await consumer.disconnect();
  });

  it('stops consuming once disconnect() is called: the message in hand finishes, no other starts', async () => {
    const sim = startCluster({ topics: ['orders'] });
    const consumer = sim.kafka(quiet).consumer({ groupId: 'stopper', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    let calls = 0;
    let finished = 0;
    await consumer.run({
      eachMessage: async () => {
        calls++;
        await sim.sleep(100);
        finished++;
      },
    });
    await produceValues(sim, 'orders', 0, ['m0', 'm1']);
    await sim.runUntil(() => calls > 0, { maxMs: 30_000 });
    await consumer.disconnect();
    await sim.sleep(1_000);
    expect([calls, finished]).toEqual([1, 1]);
  });
});

describe('consumer: partitionsConsumedConcurrently', () => {
  it('processes up to that many partitions at once and keeps the order within each partition', async () => {
    const partitions = 4;
    const concurrency = 3;
    const sim = startCluster({ topics: [{ topic: 'parallel', numPartitions: partitions }] });
    for (let p = 0; p < partitions; p++) await produceValues(sim, 'parallel', p, Array.from({ length: 30 }, (_, i) => `p${p}-${i}`));
    const consumer = sim.kafka(quiet).consumer({ groupId: 'parallel', maxWaitTimeInMs: 100, maxBytesPerPartition: 512 });
    let inProgress = 0;
    let maxInProgress = 0;
    consumer.on(consumer.events.START_BATCH_PROCESS, () => {
      inProgress++;
      maxInProgress = Math.max(maxInProgress, inProgress);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, () => void inProgress--);
    await consumer.connect();
    await consumer.subscribe({ topics: ['parallel'], fromBeginning: true });
    const received: Array<{ partition: number; offset: string }> = [];
    const handling = new Set<number>();
    let overlapped = false;
    await consumer.run({
      partitionsConsumedConcurrently: concurrency,
      eachMessage: async ({ partition, message }) => {
        handling.add(partition);
        if (handling.size > 1) overlapped = true;
        // Uneven work per message, so that partitions overtake one another.
        await sim.sleep(1 + ((Number(message.offset) * 7 + partition * 3) % 5));
        handling.delete(partition);
        received.push({ partition, offset: message.offset });
      },
    });
    await sim.runUntil(() => received.length === partitions * 30, { maxMs: 60_000 });
    expect(overlapped).toBe(true);
    expect(maxInProgress).toBe(concurrency);
    for (let p = 0; p < partitions; p++) {
      expect(received.filter((r) => r.partition === p).map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}`));
    }
    await consumer.disconnect();
  });
});
