/**
 * The idempotent producer (KIP-98 as KafkaJS does it): InitProducerId at connect, per-partition sequences
 * taken before a request and given back when it fails, one produce at a time per broker, and the effect
 * that matters: a Produce whose answer is lost is retried and the log still holds each record once.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src/client/cluster.ts';
import { createLogger, logLevel } from '../../../src/client/logger.ts';
import { EosManager } from '../../../src/client/producer/eos-manager.ts';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { ApiKey, type InitProducerIdRequest } from '../../../src/protocol/index.ts';
import { ClientProcess } from '../../../src/client/process.ts';
import type { RequestEvent } from '../../../src/client/producer/index.ts';
import { cluster, failWith, kafka, readPartition, valuesOf } from './support.ts';


/** The client-side lifetime [sentAt, sentAt + duration] of every Produce, from the producer's request events. */
function produceSpans(producer: { on: (e: 'producer.network.request', l: (e: RequestEvent) => void) => unknown }): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  producer.on('producer.network.request', ({ payload }) => {
    if (payload.apiName === 'Produce') spans.push([payload.sentAt, payload.sentAt + payload.duration]);
  });
  return spans;
}

function overlaps(spans: Array<[number, number]>): boolean {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  return sorted.some((span, i) => i > 0 && span[0] < sorted[i - 1][1]);
}

async function idempotentProducer(sim: EmbeddedCluster, config: Record<string, unknown> = {}, kafkaConfig: Record<string, unknown> = {}) {
  const producer = kafka(sim, kafkaConfig).producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await producer.connect();
  return producer;
}

describe('idempotent producer', () => {
  it('gets a producer id from the controller at connect, once', async () => {
    const sim = cluster({ brokers: 3, topics: ['t'] });
    const inits: Array<{ request: InitProducerIdRequest; node: string }> = [];
    const controllers: number[] = [];
    sim.network.intercept(ApiKey.Metadata, (c) => (controllers.push(c.response!.controllerId), { action: 'pass' }), { keep: true, direction: 'response' });
    sim.network.intercept(ApiKey.InitProducerId, (c) => (inits.push({ request: c.request.body, node: c.node }), { action: 'pass' }), { keep: true });
    const producer = await idempotentProducer(sim);
    await producer.connect();
    expect(inits).toHaveLength(1);
    expect(inits[0].request).toMatchObject({ transactionalId: null, transactionTimeoutMs: 60000 });
    // KafkaJS asks the broker the last Metadata answer named as controller (KRaft brokers name any broker).
    expect(inits[0].node).toBe(sim.model.broker(controllers[controllers.length - 1]).node);
  });

  it('writes producer id, epoch 0 and per-partition sequences into the batches', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 2 }] });
    const producer = await idempotentProducer(sim);
    await producer.send({ topic: 't', messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }] });
    await producer.send({ topic: 't', messages: [{ partition: 0, value: 'd' }, { partition: 1, value: 'e' }] });
    const p0 = await readPartition(sim, 't', 0);
    const p1 = await readPartition(sim, 't', 1);
    expect(p0.map((r) => [r.value, r.baseSequence])).toEqual([['a', 0], ['b', 0], ['d', 2]]);
    expect(p1.map((r) => [r.value, r.baseSequence])).toEqual([['c', 0], ['e', 1]]);
    const ids = new Set([...p0, ...p1].map((r) => r.producerId));
    expect(ids.size).toBe(1);
    expect([...ids][0] >= 0n).toBe(true);
    expect([...p0, ...p1].every((r) => r.producerEpoch === 0)).toBe(true);
  });

  it('a Produce whose answer is lost is retried and the log holds the records once', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim, {}, { requestTimeout: 3000 });
    await producer.send({ topic: 't', messages: [{ value: 'first' }] });
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }), { direction: 'response' });
    const result = await producer.send({ topic: 't', messages: [{ value: 'x' }, { value: 'y' }] });
    const stored = await readPartition(sim, 't', 0);
    expect(stored.map((r) => r.value)).toEqual(['first', 'x', 'y']);
    // Kafka answers a duplicate batch with its first offset and, as logAppendTime, the batch's timestamp.
    expect(result).toEqual([
      { topicName: 't', partition: 0, errorCode: 0, baseOffset: '1', logAppendTime: String(stored[1].timestamp), logStartOffset: '0' },
    ]);
    await producer.send({ topic: 't', messages: [{ value: 'z' }] });
    expect((await readPartition(sim, 't', 0)).map((r) => [r.value, r.baseSequence])).toEqual([['first', 0], ['x', 1], ['y', 1], ['z', 3]]);
  });

  // KafkaJS gives a failed request's sequence back even when the broker did write the batch (the answer was
  // lost). The next queued send then reuses that sequence, the broker takes it for a duplicate of the written
  // batch and acknowledges it without writing it, and the retry writes the first record again under the next
  // sequence: one record silently lost, one duplicated, every send resolved (compare kafkajs#1005). Kept
  // because the client is KafkaJS's; this test pins the behaviour so a change is deliberate.
  it('concurrent sends, one answer lost after the write: as in KafkaJS, one record is silently replaced by a duplicate', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim, {}, { requestTimeout: 3000 });
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }), { direction: 'response' });
    const results = await Promise.all(['0', '1', '2', '3'].map((value) => producer.send({ topic: 't', messages: [{ value }] })));
    // '1' is acknowledged with the offset of '0'; '0' is written again after '2' and '3'.
    expect(results.map((r) => r[0].baseOffset)).toEqual(['3', '0', '1', '2']);
    expect(await valuesOf(sim, 't', 0)).toEqual(['0', '2', '3', '0']);
  });

  it('without idempotence the same lost answer duplicates the records', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = kafka(sim, { requestTimeout: 3000 }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }), { direction: 'response' });
    await producer.send({ topic: 't', messages: [{ value: 'x' }] });
    expect(await valuesOf(sim, 't', 0)).toEqual(['x', 'x']);
  });

  it('gives the sequence back when a request fails, so the next batch continues where the log is', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim);
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    sim.network.intercept(ApiKey.Produce, failWith(10)); // MESSAGE_TOO_LARGE: not retried
    await expect(producer.send({ topic: 't', messages: [{ value: 'lost' }, { value: 'lost' }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    expect((await readPartition(sim, 't', 0)).map((r) => [r.value, r.baseSequence])).toEqual([['a', 0], ['b', 1]]);
  });

  it('retries 15 times under NODE_ENV=test, not MAX_SAFE_INTEGER: Kafka.producer() always passes a retry object', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim);
    let produces = 0;
    sim.network.intercept(ApiKey.Produce, (context) => ((produces += 1), failWith(7)(context)), { keep: true });
    await expect(producer.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      retryCount: 15,
    });
    expect(produces).toBe(16);
  });

  it('broker sequence errors are not retried', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim);
    sim.network.intercept(ApiKey.Produce, failWith(45));
    await expect(producer.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      retriable: false,
    });
  });

  it('serializes produce requests per broker once it has a producer id; a plain producer does not', async () => {
    const sim = cluster({ topics: [{ topic: 't', numPartitions: 4 }] });
    const idempotent = await idempotentProducer(sim);
    const spans = produceSpans(idempotent);
    await Promise.all(Array.from({ length: 8 }, (_, i) => idempotent.send({ topic: 't', messages: [{ partition: i % 4, value: `i${i}` }] })));
    expect(spans).toHaveLength(8);
    expect(overlaps(spans)).toBe(false);

    const plain = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await plain.connect();
    const plainSpans = produceSpans(plain);
    await Promise.all(Array.from({ length: 8 }, (_, i) => plain.send({ topic: 't', messages: [{ partition: i % 4, value: `p${i}` }] })));
    expect(plainSpans).toHaveLength(8);
    expect(overlaps(plainSpans)).toBe(true);
  });

  it('concurrent sends keep consistent sequences even when one of them is retried', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = await idempotentProducer(sim);
    sim.network.intercept(ApiKey.Produce, failWith(7)); // REQUEST_TIMED_OUT once, retriable
    await Promise.all(['a', 'b', 'c', 'd'].map((value) => producer.send({ topic: 't', messages: [{ value }] })));
    const stored = await readPartition(sim, 't', 0);
    expect(stored.map((r) => r.value).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(stored.map((r) => r.baseSequence)).toEqual([0, 1, 2, 3]);
  });

  it('wraps a partition sequence to 0 at int32 max and does nothing before a producer id exists', () => {
    const sim = cluster();
    const process = new ClientProcess(sim.clientEnvironment.runtime, sim.clientEnvironment.transport, 'unit');
    const logger = createLogger({ level: logLevel.NOTHING, now: () => 0 });
    const manager = new EosManager({ logger, cluster: {} as Cluster, runtime: process, transactional: false });
    manager.updateSequence('t', 0, 5);
    expect(manager.getSequence('t', 0)).toBe(0);
    (manager as unknown as { producerId: bigint }).producerId = 7n;
    manager.updateSequence('t', 0, 2 ** 31 - 3);
    expect(manager.getSequence('t', 0)).toBe(2 ** 31 - 3);
    manager.updateSequence('t', 0, 2);
    expect(manager.getSequence('t', 0)).toBe(0);
    manager.updateSequence('t', 1, 4);
    manager.updateSequence('t', 1, -4);
    expect(manager.getSequence('t', 1)).toBe(0);
  });
});
