/**
 * The genuine KafkaJS 2.2.4 against the wire server over TCP: if these pass, a user's unmodified KafkaJS
 * application can point at `npm start` instead of a Kafka broker. Each test starts its own cluster on
 * ephemeral loopback ports and closes it afterwards. Consumers here only verify what was written, so the
 * group's initial rebalance delay is 0 and fetches wait at most 200 ms (KafkaJS's disconnect waits for the
 * fetch in flight), which keeps each test to a second or two.
 */
import { describe, expect, it } from 'vitest';
import { kafkaFor, kafkajs, onCleanup, startServer, waitFor } from './support.ts';

const { CompressionTypes } = kafkajs;
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': 0 };

async function consumeAll(
  kafka: ReturnType<typeof kafkaFor>,
  topic: string,
  expected: number,
  config: Partial<import('kafkajs').ConsumerConfig> = {},
): Promise<Array<{ partition: number; offset: string; key: string | null; value: string | null }>> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${config.readUncommitted ? 'u' : 'c'}`, maxWaitTimeInMs: 200, ...config });
  onCleanup(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const seen: Array<{ partition: number; offset: string; key: string | null; value: string | null }> = [];
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
    },
  });
  await waitFor(() => seen.length >= expected, `${expected} messages on ${topic}`, 30_000);
  await consumer.disconnect();
  return seen;
}

describe('the genuine KafkaJS over TCP', () => {
  it('admin: createTopics, listTopics and fetchTopicMetadata see every broker at its own listener', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    const admin = kafkaFor(server).admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] })).toBe(false);
    expect(await admin.listTopics()).toContain('orders');
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(topics[0].partitions).toHaveLength(6);
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...server.bootstrapServers].sort());
  });

  it('producer: acks -1 and 1, gzip, snappy, lz4 and zstd batches all come back to a consumer intact', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mixed', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();
    const sends: Array<[string, number, number]> = [
      ['plain-all', -1, CompressionTypes.None],
      ['plain-leader', 1, CompressionTypes.None],
      ['gzip', -1, CompressionTypes.GZIP],
      ['snappy', -1, CompressionTypes.Snappy],
      ['lz4', 1, CompressionTypes.LZ4],
      ['zstd', -1, CompressionTypes.ZSTD],
    ];
    for (const [label, acks, compression] of sends) {
      const result = await producer.send({
        topic: 'mixed',
        acks,
        compression,
        messages: Array.from({ length: 20 }, (_, i) => ({ key: `${label}-${i % 4}`, value: `${label}:${i}` })),
      });
      expect(result.every((r) => r.errorCode === 0)).toBe(true);
    }
    const offsets = await admin.fetchTopicOffsets('mixed');
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sends.length * 20);
    const seen = await consumeAll(kafka, 'mixed', sends.length * 20);
    for (const [label] of sends) {
      const values = seen.filter((m) => m.value?.startsWith(`${label}:`)).map((m) => Number(m.value!.split(':')[1]));
      expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    // Per key, order is kept: same key, same partition, increasing offsets.
    for (const m of seen) expect(seen.filter((o) => o.key === m.key).every((o) => o.partition === m.partition)).toBe(true);
  });

  it('idempotent producer: sequence numbers accepted, no duplicates', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    onCleanup(() => producer.disconnect());
    await producer.connect();
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `${batch}-${i}` })) });
    }
    const [offsets] = await admin.fetchTopicOffsets('idem');
    expect(offsets.high).toBe('50');
    const state = server.cluster.partitionState('idem', 0);
    expect(state.highWatermark).toBe(50n);
  });

  it('transactions: a committed transaction is read, an aborted one is not (read_committed)', async () => {
    const server = await startServer({ brokers: 3, brokerConfig: FAST_GROUPS });
    const kafka = kafkaFor(server);
    const admin = kafka.admin();
    onCleanup(() => admin.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    const producer = kafka.producer({
      transactionalId: 'wire-txn',
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    onCleanup(() => producer.disconnect());
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: 'txn', messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: 'txn', messages: [{ key: 'a', value: 'aborted-1' }, { key: 'b', value: 'aborted-2' }] });
    await aborted.abort();

    const last = await producer.transaction();
    await last.send({ topic: 'txn', messages: [{ key: 'a', value: 'committed-3' }] });
    await last.commit();

    const seen = await consumeAll(kafka, 'txn', 3, { readUncommitted: false });
    expect(seen.map((m) => m.value).sort()).toEqual(['committed-1', 'committed-2', 'committed-3']);
    const uncommitted = await consumeAll(kafka, 'txn', 5, { readUncommitted: true });
    expect(uncommitted.map((m) => m.value).sort()).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2', 'committed-3']);
  });
});
