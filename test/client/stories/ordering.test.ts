/**
 * What order Kafka keeps, told with KafkaJS 2.2.4's producer:
 *
 * - Within a partition, the log order is the consumed order. Records with the same key go to the same
 *   partition (murmur2 of the key), so one key's records are consumed in the order they were sent, as long as
 *   each send finished before the next began.
 * - Across partitions there is no order: the consumer interleaves partitions its own way (per fetched
 *   batch), so the overall consumed order differs from the send order.
 * - Retries can reorder. When the first of two concurrent sends fails with a retriable error, the second is
 *   written while the first waits out its retry backoff, and the first lands after it. The fault here is one
 *   Produce answered NOT_ENOUGH_REPLICAS (nothing written), or one Produce whose answer is lost (written,
 *   then written again by the retry).
 *
 * EXPECTATION THAT DOES NOT HOLD (marked below): with the Java client, `max.in.flight.requests.per.connection=1`
 * or `enable.idempotence=true` keep send order under the same fault, because its accumulator retries a
 * failed batch before any later batch of the partition and the broker refuses out-of-sequence batches.
 * KafkaJS has neither mechanism: every `send()` is its own retry loop, `maxInFlightRequests` only limits the
 * requests on a connection (the failed request frees the slot, the second send takes it while the first is
 * in backoff), and the idempotent producer gives a failed batch's sequence numbers back, so the second send
 * takes them and the broker sees nothing out of sequence. The simulator reproduces KafkaJS here, so these
 * tests assert the reordering. In KafkaJS, order across sends is kept only by awaiting each send (or by
 * putting the records in one `send()`, one batch per partition).
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster, type ProducerConfig } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { cluster, failWith, kafka, valuesOf } from '../producer/support.ts';

const NOT_ENOUGH_REPLICAS = 19; // retriable: the leader refused the batch, nothing was written

const USERS = ['alice', 'bob', 'carol', 'dave'];

/** Each user's events 1..4, sent one at a time (awaited) in the interleaved order alice-1, bob-1, ..., dave-4. */
async function sendUserEvents(sim: EmbeddedCluster): Promise<{ sent: string[]; partitionOf: Map<string, Set<number>> }> {
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sent: string[] = [];
  const partitionOf = new Map<string, Set<number>>();
  for (let i = 1; i <= 4; i++) {
    for (const user of USERS) {
      const [meta] = await producer.send({ topic: 'user-events', messages: [{ key: user, value: `${user}-${i}` }] });
      sent.push(`${user}-${i}`);
      if (!partitionOf.has(user)) partitionOf.set(user, new Set());
      partitionOf.get(user)!.add(meta.partition);
    }
  }
  await producer.disconnect();
  return { sent, partitionOf };
}

/** What one consumer of a new group reads from the beginning, in delivery order. */
async function consumeAll(sim: EmbeddedCluster, topic: string, count: number): Promise<Array<{ partition: number; value: string }>> {
  const received: Array<{ partition: number; value: string }> = [];
  const consumer = kafka(sim).consumer({ groupId: `reader-of-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void received.push({ partition, value: message.value!.toString() }) });
  await sim.runUntil(() => received.length >= count, { maxMs: 60_000 });
  await sim.sleep(1_000);
  await consumer.disconnect();
  return received;
}

function userEventsCluster(): EmbeddedCluster {
  return cluster({ seed: 1, brokerConfig: { 'group.initial.rebalance.delay.ms': 0 }, topics: [{ topic: 'user-events', numPartitions: 3 }] });
}

/**
 * After a warm-up record (connection and metadata in place), `fault` is armed and two sends start together
 * (neither awaited before the other), each of one record to partition 0; answers `value@baseOffset` in the
 * order the sends resolved.
 */
async function twoConcurrentSends(sim: EmbeddedCluster, config: ProducerConfig, fault: (sim: EmbeddedCluster) => void): Promise<string[]> {
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ value: 'warm-up' }] });
  fault(sim);
  const acked: string[] = [];
  await Promise.all(
    ['first', 'second'].map((value) =>
      producer.send({ topic: 'orders', messages: [{ value }] }).then(([meta]) => void acked.push(`${value}@${meta.baseOffset}`)),
    ),
  );
  return acked;
}

function ordersCluster(): EmbeddedCluster {
  return cluster({ seed: 1, topics: ['orders'] });
}

function failFirstProduce(sim: EmbeddedCluster): void {
  sim.network.intercept(ApiKey.Produce, failWith(NOT_ENOUGH_REPLICAS));
}

function loseFirstProduceAnswer(sim: EmbeddedCluster): void {
  sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }), { direction: 'response' });
}

describe('ordering', () => {
  it('records with the same key land on one partition and are consumed in the order they were sent', async () => {
    const sim = userEventsCluster();
    const { partitionOf } = await sendUserEvents(sim);
    for (const user of USERS) expect(partitionOf.get(user)!.size).toBe(1);
    const received = await consumeAll(sim, 'user-events', 16);
    for (const user of USERS) {
      const own = received.filter((r) => r.value.startsWith(`${user}-`));
      expect(own.map((r) => r.value)).toEqual([1, 2, 3, 4].map((i) => `${user}-${i}`));
      expect(new Set(own.map((r) => r.partition))).toEqual(partitionOf.get(user));
    }
  });

  it('across partitions the consumed order is not the send order (seed 1: partition by partition)', async () => {
    const sim = userEventsCluster();
    const { sent, partitionOf } = await sendUserEvents(sim);
    // The keys spread over more than one partition, so there is something to interleave.
    expect(new Set([...partitionOf.values()].flatMap((p) => [...p])).size).toBeGreaterThan(1);
    const received = (await consumeAll(sim, 'user-events', 16)).map((r) => r.value);
    expect(received).toHaveLength(sent.length);
    expect(received).not.toEqual(sent);
    // alice and bob share a partition; the consumer delivers each fetched partition's batch whole.
    expect(received).toEqual([
      ...['alice-1', 'bob-1', 'alice-2', 'bob-2', 'alice-3', 'bob-3', 'alice-4', 'bob-4'],
      ...['dave-1', 'dave-2', 'dave-3', 'dave-4'],
      ...['carol-1', 'carol-2', 'carol-3', 'carol-4'],
    ]);
  });

  describe('a retried batch can land after a later one', () => {
    it('non-idempotent producer, concurrent sends: the first send, refused once (NOT_ENOUGH_REPLICAS), lands after the second', async () => {
      const sim = ordersCluster();
      const acked = await twoConcurrentSends(sim, { maxInFlightRequests: 5 }, failFirstProduce);
      expect(acked).toEqual(['second@1', 'first@2']);
      expect(await valuesOf(sim, 'orders', 0)).toEqual(['warm-up', 'second', 'first']);
    });

    it('non-idempotent producer, first answer lost: the first is written, then the second, then the first again', async () => {
      const sim = ordersCluster();
      const acked = await twoConcurrentSends(sim, { maxInFlightRequests: 5 }, loseFirstProduceAnswer);
      // The lost answer times out after requestTimeout (30 s); the retry writes a second copy after 'second'.
      expect(acked).toEqual(['second@2', 'first@3']);
      expect(await valuesOf(sim, 'orders', 0)).toEqual(['warm-up', 'first', 'second', 'first']);
    });

    // EXPECTATION THAT DOES NOT HOLD (Java keeps order with max.in.flight=1; KafkaJS does not, see the header).
    it('KafkaJS: maxInFlightRequests: 1 does not keep the order of concurrent sends: the second takes the slot the failed first freed', async () => {
      const sim = ordersCluster();
      const acked = await twoConcurrentSends(sim, { maxInFlightRequests: 1 }, failFirstProduce);
      expect(acked).toEqual(['second@1', 'first@2']);
      expect(await valuesOf(sim, 'orders', 0)).toEqual(['warm-up', 'second', 'first']);
    });

    // EXPECTATION THAT DOES NOT HOLD (Java's idempotent producer keeps order; KafkaJS's does not, see the header).
    it('KafkaJS: idempotent: true does not keep it either: the failed batch gives its sequence back and the second send takes it', async () => {
      const sim = ordersCluster();
      const acked = await twoConcurrentSends(sim, { idempotent: true }, failFirstProduce);
      expect(acked).toEqual(['second@1', 'first@2']);
      expect(await valuesOf(sim, 'orders', 0)).toEqual(['warm-up', 'second', 'first']);
    });

    // With a lost answer it is worse: the second send reuses the written batch's sequence, the broker takes it
    // for a duplicate and acknowledges it with the first's offset, and the second record is never written.
    it('KafkaJS: idempotent: true with the first answer lost acknowledges the second send without writing it', async () => {
      const sim = ordersCluster();
      const acked = await twoConcurrentSends(sim, { idempotent: true }, loseFirstProduceAnswer);
      expect(acked).toEqual(['second@1', 'first@2']);
      expect(await valuesOf(sim, 'orders', 0)).toEqual(['warm-up', 'first', 'first']);
    });

    it('what keeps the order in KafkaJS under the same fault: awaiting each send, or one send carrying both records', async () => {
      const awaited = ordersCluster();
      failFirstProduce(awaited);
      const producer = kafka(awaited).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic: 'orders', messages: [{ value: 'first' }] });
      await producer.send({ topic: 'orders', messages: [{ value: 'second' }] });
      expect(await valuesOf(awaited, 'orders', 0)).toEqual(['first', 'second']);

      const batched = ordersCluster();
      failFirstProduce(batched);
      const batcher = kafka(batched).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await batcher.connect();
      await batcher.send({ topic: 'orders', messages: [{ value: 'first' }, { value: 'second' }] });
      expect(await valuesOf(batched, 'orders', 0)).toEqual(['first', 'second']);
    });
  });
});
