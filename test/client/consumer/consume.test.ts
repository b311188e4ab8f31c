import { describe, expect, it } from 'vitest';
import type { EachMessagePayload } from '../../../src/client/consumer/index.ts';
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
