/**
 * send and sendBatch against an in-process cluster: what they answer (KafkaJS's RecordMetadata for the
 * negotiated Produce v7), what lands in the broker's log (read back with Fetch), how messages are
 * partitioned (compared with the installed kafkajs's partitioners), and the Produce requests sent.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { ApiKey, type ProduceRequest } from '../../../src/protocol/index.ts';
import { CLIENT_PROCESS } from '../../../src/client/context.ts';
import type { ClientProcess } from '../../../src/client/process.ts';
import { cluster, kafka, readPartition, require, valuesOf } from './support.ts';

const kafkajs = require('kafkajs') as typeof import('kafkajs');

/** The network node a client lives on (its process name). */
export function nodeOf(client: object): string {
  return (client as { [CLIENT_PROCESS]: ClientProcess })[CLIENT_PROCESS].name;
}

function recordProduces(sim: EmbeddedCluster): ProduceRequest[] {
  const seen: ProduceRequest[] = [];
  sim.network.intercept(
    ApiKey.Produce,
    (context) => {
      seen.push(context.request.body);
      return { action: 'pass' };
    },
    { keep: true },
  );
  return seen;
}

async function connectedProducer(sim: EmbeddedCluster, config: Parameters<ReturnType<typeof kafka>['producer']>[0] = {}) {
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await producer.connect();
  return producer;
}

describe('producer send', () => {
  it('answers one RecordMetadata per partition written, with string offsets in KafkaJS field order', async () => {
    const sim = cluster({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    const producer = await connectedProducer(sim);
    const messages = Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: `key-${i}`, value: `value-${i}` }));

    const first = await producer.send({ topic: 'orders', messages });
    expect(first).toEqual([{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' }]);
    expect(Object.keys(first[0])).toEqual(['topicName', 'partition', 'errorCode', 'baseOffset', 'logAppendTime', 'logStartOffset']);
    const second = await producer.send({ topic: 'orders', acks: 1, messages });
    expect(second).toEqual([{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '10', logAppendTime: '-1', logStartOffset: '0' }]);

    const stored = await readPartition(sim, 'orders', 0);
    expect(stored.map((r) => [r.offset, r.key, r.value])).toEqual(
      [...messages, ...messages].map((m, i) => [BigInt(i), m.key, m.value]),
    );
    await producer.disconnect();
  });

  it('stores keys, values, tombstones, headers (strings, Buffers, arrays) and timestamps as given', async () => {
    const sim = cluster({ topics: [{ topic: 'events', numPartitions: 1 }] });
    const producer = await connectedProducer(sim);
    await sim.sleep(1234);
    const sentAt = BigInt(sim.now());
    const done = await producer.send({
      topic: 'events',
      messages: [
        { key: Buffer.from('bin-key'), value: Buffer.from([0x68, 0x69]), headers: { a: 'x', b: Buffer.from('y'), c: ['1', Buffer.from('2')] } },
        { key: null, value: null },
        { value: 'with-ts', timestamp: '1600000000000' },
      ],
    });
    const doneAt = BigInt(sim.now());
    expect(done).toHaveLength(1);
    const stored = await readPartition(sim, 'events', 0);
    expect(stored.map(({ key, value, headers }) => ({ key, value, headers }))).toEqual([
      { key: 'bin-key', value: 'hi', headers: { a: ['x'], b: ['y'], c: ['1', '2'] } },
      { key: null, value: null, headers: {} },
      { key: null, value: 'with-ts', headers: {} },
    ]);
    // KafkaJS: messages without a timestamp get "now" (the runtime's clock) of the request, those with one keep it.
    expect(stored[0].timestamp >= sentAt && stored[0].timestamp <= doneAt).toBe(true);
    expect(stored[1].timestamp).toBe(stored[0].timestamp);
    expect(stored[2].timestamp).toBe(1600000000000n);
    expect(stored.every((r) => r.producerId === -1n && r.producerEpoch === 0 && r.baseSequence === 0 && !r.isTransactional)).toBe(true);
  });

  it('refuses key and value types KafkaJS cannot size, with the same TypeError, without retrying', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await connectedProducer(sim);
    const produces = recordProduces(sim);
    let expected: Error | undefined;
    try {
      Buffer.byteLength(42 as never);
    } catch (e) {
      expected = e as Error;
    }
    await expect(producer.send({ topic: 't', messages: [{ key: 42 as never, value: 'v' }] })).rejects.toThrow(expected!.message);
    await expect(producer.send({ topic: 't', messages: [{ value: 'v', headers: { h: null as never } }] })).rejects.toBeInstanceOf(TypeError);
    expect(produces).toHaveLength(0);
  });

  it('sendBatch merges entries of the same topic into one batch per partition, in call order', async () => {
    const sim = cluster({ topics: [{ topic: 'a', numPartitions: 1 }, { topic: 'b', numPartitions: 1 }] });
    const producer = await connectedProducer(sim);
    const produces = recordProduces(sim);
    const result = await producer.sendBatch({
      topicMessages: [
        { topic: 'a', messages: [{ value: 'a1' }] },
        { topic: 'b', messages: [{ value: 'b1' }] },
        { topic: 'a', messages: [{ value: 'a2' }, { value: 'a3' }] },
      ],
    });
    expect(result).toEqual([
      { topicName: 'a', partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
      { topicName: 'b', partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' },
    ]);
    expect(produces).toHaveLength(1);
    expect(produces[0].topicData.map((t) => [t.name, t.partitionData.length])).toEqual([['a', 1], ['b', 1]]);
    expect(await valuesOf(sim, 'a', 0)).toEqual(['a1', 'a2', 'a3']);
    expect(await valuesOf(sim, 'b', 0)).toEqual(['b1']);
  });

  it('sends one Produce per leader broker, in parallel, and flattens the answers', async () => {
    const sim = cluster({ brokers: 3, topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 1 }] });
    const producer = await connectedProducer(sim);
    const produces = recordProduces(sim);
    const messages = Array.from({ length: 6 }, (_, partition) => ({ partition, value: `p${partition}` }));
    const result = await producer.send({ topic: 'spread', messages });
    const leaders = new Set([0, 1, 2, 3, 4, 5].map((p) => sim.partitionState('spread', p).leader));
    expect(produces).toHaveLength(leaders.size);
    expect(result.map((r) => r.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of [0, 1, 2, 3, 4, 5]) expect(await valuesOf(sim, 'spread', p)).toEqual([`p${p}`]);
  });

  it('puts keyed messages where the installed kafkajs DefaultPartitioner and LegacyPartitioner would', async () => {
    const sim = cluster({ topics: [{ topic: 'keyed', numPartitions: 7 }, { topic: 'legacy', numPartitions: 7 }] });
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i * 7919}`);
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    const cases = [
      { topic: 'keyed', ours: Partitioners.DefaultPartitioner, theirs: kafkajs.Partitioners.DefaultPartitioner },
      { topic: 'legacy', ours: Partitioners.LegacyPartitioner, theirs: kafkajs.Partitioners.LegacyPartitioner },
    ];
    for (const { topic, ours, theirs } of cases) {
      const producer = await connectedProducer(sim, { createPartitioner: ours });
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
      const partitioner = theirs();
      const expected = new Map(keys.map((key) => [key, partitioner({ topic, partitionMetadata, message: { key, value: key } })]));
      for (let p = 0; p < 7; p++) {
        for (const record of await readPartition(sim, topic, p)) expect([record.key, p]).toEqual([record.key, expected.get(record.key!)]);
      }
      const stored = (await Promise.all([0, 1, 2, 3, 4, 5, 6].map((p) => readPartition(sim, topic, p)))).flat();
      expect(stored).toHaveLength(keys.length);
    }
  });

  it('spreads null-key messages round-robin, continuing across sends', async () => {
    const sim = cluster({ topics: [{ topic: 'rr', numPartitions: 3 }] });
    const producer = await connectedProducer(sim);
    const partitions: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [metadata] = await producer.send({ topic: 'rr', messages: [{ value: `m${i}` }] });
      partitions.push(metadata.partition);
    }
    for (let i = 1; i < 6; i++) expect(partitions[i]).toBe((partitions[i - 1] + 1) % 3);
    await producer.send({ topic: 'rr', messages: Array.from({ length: 6 }, (_, i) => ({ value: `batch-${i}` })) });
    for (let p = 0; p < 3; p++) expect((await valuesOf(sim, 'rr', p)).filter((v) => v!.startsWith('batch'))).toHaveLength(2);
  });

  it('sends acks and timeout in the Produce request; acks=0 answers [] and still writes', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await connectedProducer(sim);
    const produces = recordProduces(sim);
    await producer.send({ topic: 't', messages: [{ value: 'default' }] });
    await producer.send({ topic: 't', acks: 1, timeout: 5000, messages: [{ value: 'leader-only' }] });
    expect(await producer.send({ topic: 't', acks: 0, messages: [{ value: 'fire-and-forget' }] })).toEqual([]);
    await sim.sleep(100);
    expect(produces.map((r) => [r.acks, r.timeoutMs, r.transactionalId])).toEqual([
      [-1, 30000, null],
      [1, 5000, null],
      [0, 30000, null],
    ]);
    expect(await valuesOf(sim, 't', 0)).toEqual(['default', 'leader-only', 'fire-and-forget']);
  });

  it('an empty messages array sends nothing and answers []', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await connectedProducer(sim);
    const produces = recordProduces(sim);
    expect(await producer.send({ topic: 't', messages: [] })).toEqual([]);
    expect(produces).toHaveLength(0);
  });

  it('auto-creates a topic it does not know when allowed', async () => {
    const sim = cluster({ brokerConfig: { 'num.partitions': 2 } });
    const producer = await connectedProducer(sim);
    const result = await producer.send({ topic: 'fresh', messages: [{ partition: 1, value: 'x' }] });
    expect(result).toEqual([{ topicName: 'fresh', partition: 1, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' }]);
    expect(await valuesOf(sim, 'fresh', 1)).toEqual(['x']);
  });

  it('reconnects the cluster when it was disconnected under it (KafkaJS "reconnects the cluster if disconnected")', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await connectedProducer(sim);
    await producer.send({ topic: 't', messages: [{ value: '1' }] });
    // What KafkaJS's test does with `cluster.disconnect()`: every connection of the producer drops.
    sim.network.disconnect(nodeOf(producer));
    expect(sim.network.connections(nodeOf(producer))).toEqual([]);
    await producer.send({ topic: 't', messages: [{ value: '2' }] });
    expect(await valuesOf(sim, 't', 0)).toEqual(['1', '2']);
  });
});
