/**
 * What a consumer sees of transactions (the intent of KafkaJS's consumeMessages.spec.js "transactions"
 * block): messages of idempotent producers and committed transactions, no aborted messages under the
 * default READ_COMMITTED (`readUncommitted: false`), aborted ones with `readUncommitted: true`, and the
 * consume-transform-produce flow, where the offsets a transaction sends count only once it commits.
 */
import { describe, expect, it } from 'vitest';
import type { Offsets, Producer } from '../../../src/index.ts';
import { consumerOf, quiet, range, startCluster, type SimCluster } from './support.ts';

const messages = (prefix: string, n: number) => range(n, '').map((i) => ({ key: `key-${prefix}-${i}`, value: `value-${prefix}-${i}` }));

async function transactionalProducer(sim: SimCluster, id: string): Promise<Producer> {
  const producer = sim.kafka(quiet).producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

async function reader(sim: SimCluster, options: { readUncommitted?: boolean; groupId?: string } = {}) {
  const consumer = consumerOf(sim, { groupId: options.groupId ?? 'readers', maxWaitTimeInMs: 100, readUncommitted: options.readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topics: ['txns'], fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  return { consumer, values };
}

describe('consumer and transactions', () => {
  it('reads what an idempotent producer wrote', async () => {
    const sim = startCluster({ topics: ['txns'] });
    const { consumer, values } = await reader(sim);
    const producer = sim.kafka(quiet).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'txns', messages: messages('idempotent', 100) });
    await sim.runUntil(() => values.length >= 100, { maxMs: 30_000 });
    expect(values).toEqual(messages('idempotent', 100).map((m) => m.value));
    await producer.disconnect();
    await consumer.disconnect();
  });

  it('reads committed transactions and non-transactional messages of the same producer, in log order', async () => {
    const sim = startCluster({ topics: ['txns'] });
    const { consumer, values } = await reader(sim);
    const producer = await transactionalProducer(sim, 'committer');
    await producer.send({ topic: 'txns', messages: messages('plain1', 1) });
    for (const name of ['txn1', 'txn2']) {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'txns', messages: messages(name, 10) });
      await transaction.commit();
    }
    await producer.send({ topic: 'txns', messages: messages('plain2', 1) });
    await sim.runUntil(() => values.length >= 22, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(values).toEqual([...messages('plain1', 1), ...messages('txn1', 10), ...messages('txn2', 10), ...messages('plain2', 1)].map((m) => m.value));
    await producer.disconnect();
    await consumer.disconnect();
  });

  it('skips aborted transactions by default, and reads them with readUncommitted', async () => {
    const sim = startCluster({ topics: ['txns'] });
    const committed = await reader(sim, { groupId: 'committed-reader' });
    const uncommitted = await reader(sim, { groupId: 'uncommitted-reader', readUncommitted: true });
    const producer = await transactionalProducer(sim, 'aborter');
    const abort1 = await producer.transaction();
    await abort1.send({ topic: 'txns', messages: messages('aborted1', 5) });
    await abort1.abort();
    await producer.send({ topic: 'txns', messages: messages('plain', 1) });
    const abort2 = await producer.transaction();
    await abort2.send({ topic: 'txns', messages: messages('aborted2', 5) });
    await abort2.abort();
    const commit = await producer.transaction();
    await commit.send({ topic: 'txns', messages: messages('committed', 3) });
    await commit.commit();
    await sim.runUntil(() => committed.values.length >= 4 && uncommitted.values.length >= 14, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(committed.values).toEqual([...messages('plain', 1), ...messages('committed', 3)].map((m) => m.value));
    expect(uncommitted.values).toEqual(
      [...messages('aborted1', 5), ...messages('plain', 1), ...messages('aborted2', 5), ...messages('committed', 3)].map((m) => m.value),
    );
    await producer.disconnect();
    await committed.consumer.disconnect();
    await uncommitted.consumer.disconnect();
  });
});

describe('consume-transform-produce', () => {
  /** Reads `txns` with autoCommit off, recording uncommittedOffsets() after each resolved message. */
  async function transformer(sim: SimCluster, groupId: string) {
    const consumer = consumerOf(sim, { groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['txns'], fromBeginning: true });
    const state = { values: [] as string[], uncommitted: [] as Offsets[], current: (): Offsets => ({ topics: [] }) };
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, heartbeat }) => {
        for (const message of batch.messages) {
          state.values.push(message.value!.toString());
          resolveOffset(message.offset);
          state.uncommitted.push(uncommittedOffsets());
          state.current = uncommittedOffsets;
        }
        await heartbeat();
      },
    });
    return { consumer, state };
  }

  async function seed(sim: SimCluster) {
    const producer = sim.kafka(quiet).producer();
    await producer.connect();
    await producer.send({ topic: 'txns', messages: messages('in', 10).map((m) => ({ ...m, partition: 0 })) });
    await producer.disconnect();
  }

  // uncommittedOffsets() gives string partitions (as KafkaJS's does) and sendOffsets must accept them, as
  // KafkaJS's encoder coerces them.
  it('offsets sent in a committed transaction are where the group resumes', async () => {
    const sim = startCluster({ topics: ['txns'] });
    await seed(sim);
    const groupId = 'transformers';
    const first = await transformer(sim, groupId);
    await sim.runUntil(() => first.state.values.length >= 10, { maxMs: 30_000 });
    expect(first.state.uncommitted).toHaveLength(10);
    const producer = await transactionalProducer(sim, 'transformer');
    const transaction = await producer.transaction();
    await transaction.sendOffsets({ consumerGroupId: groupId, topics: first.state.uncommitted[7].topics });
    await transaction.commit();
    await first.consumer.stop();

    const second = await transformer(sim, groupId);
    await sim.runUntil(() => second.state.values.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(second.state.values).toEqual(['value-in-8', 'value-in-9']);
    expect(second.state.current()).toEqual({ topics: [{ topic: 'txns', partitions: [{ partition: '0', offset: '10' }] }] });
    const last = await producer.transaction();
    await last.sendOffsets({ consumerGroupId: groupId, topics: second.state.current().topics });
    await last.commit();
    await producer.disconnect();
    await second.consumer.disconnect();
  });

  it('offsets sent in an aborted transaction are not committed: the group starts over', async () => {
    const sim = startCluster({ topics: ['txns'] });
    await seed(sim);
    const groupId = 'aborting-transformers';
    const first = await transformer(sim, groupId);
    await sim.runUntil(() => first.state.values.length >= 10, { maxMs: 30_000 });
    await first.consumer.stop();
    const producer = await transactionalProducer(sim, 'aborting-transformer');
    const transaction = await producer.transaction();
    await transaction.sendOffsets({ consumerGroupId: groupId, topics: first.state.uncommitted[8].topics });
    await transaction.abort();

    const second = await transformer(sim, groupId);
    await sim.runUntil(() => second.state.values.length >= 10, { maxMs: 30_000 });
    expect(second.state.values[0]).toBe('value-in-0');
    expect(second.state.current()).toEqual({ topics: [{ topic: 'txns', partitions: [{ partition: '0', offset: '10' }] }] });
    await producer.disconnect();
    await second.consumer.disconnect();
  });

  it('the same flow works when the partitions are turned into numbers first', async () => {
    const sim = startCluster({ topics: ['txns'] });
    await seed(sim);
    const groupId = 'numeric-transformers';
    const first = await transformer(sim, groupId);
    await sim.runUntil(() => first.state.values.length >= 10, { maxMs: 30_000 });
    const numeric = first.state.uncommitted[7].topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({ partition: Number(partition), offset })),
    }));
    const producer = await transactionalProducer(sim, 'numeric-transformer');
    const transaction = await producer.transaction();
    await transaction.sendOffsets({ consumerGroupId: groupId, topics: numeric });
    await transaction.commit();
    await first.consumer.stop();
    const second = await transformer(sim, groupId);
    await sim.runUntil(() => second.state.values.length >= 2, { maxMs: 30_000 });
    await sim.sleep(1_000);
    expect(second.state.values).toEqual(['value-in-8', 'value-in-9']);
    await producer.disconnect();
    await second.consumer.disconnect();
  });

  it('the aborted flow, with the partitions turned into numbers first, starts over', async () => {
    const sim = startCluster({ topics: ['txns'] });
    await seed(sim);
    const groupId = 'numeric-aborting-transformers';
    const first = await transformer(sim, groupId);
    await sim.runUntil(() => first.state.values.length >= 10, { maxMs: 30_000 });
    await first.consumer.stop();
    const producer = await transactionalProducer(sim, 'numeric-aborting-transformer');
    const transaction = await producer.transaction();
    const numeric = first.state.uncommitted[8].topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({ partition: Number(partition), offset })),
    }));
    await transaction.sendOffsets({ consumerGroupId: groupId, topics: numeric });
    await transaction.abort();
    const second = await transformer(sim, groupId);
    await sim.runUntil(() => second.state.values.length >= 10, { maxMs: 30_000 });
    expect(second.state.values[0]).toBe('value-in-0');
    expect(second.state.current()).toEqual({ topics: [{ topic: 'txns', partitions: [{ partition: '0', offset: '10' }] }] });
    await producer.disconnect();
    await second.consumer.disconnect();
  });
});
