/**
 * The producer's retry loop (KafkaJS's sendMessages.js) against brokers made to fail through network
 * interceptors: retriable errors are retried (stale-metadata ones after a metadata refresh), only brokers
 * that failed are asked again, non-retriable errors reject unwrapped at once, exhausted retries reject with
 * KafkaJSNumberOfRetriesExceeded, and the broker's log holds every record exactly once.
 */
import { describe, expect, it } from 'vitest';
import { Partitioners, type EmbeddedCluster } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { cluster, failWith, kafka, valuesOf } from './support.ts';


function count(sim: EmbeddedCluster, apiKey: number): { readonly value: number; readonly nodes: string[] } {
  const state = { value: 0, nodes: [] as string[] };
  sim.network.intercept(apiKey as typeof ApiKey.Produce, (context) => ((state.value += 1), state.nodes.push(context.node), { action: 'pass' }), { keep: true });
  return state;
}

async function setup(options: { brokers?: number; partitions?: number; retry?: { retries?: number } } = {}) {
  const sim = cluster({ brokers: options.brokers ?? 1, topics: [{ topic: 't', numPartitions: options.partitions ?? 1, replicationFactor: 1 }] });
  const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: options.retry });
  await producer.connect();
  return { sim, producer };
}

describe('producer retries', () => {
  it('retries a stale-metadata error after refreshing metadata, and the log holds the record once', async () => {
    const { sim, producer } = await setup();
    await producer.send({ topic: 't', messages: [{ value: 'warm-up' }] });
    const metadata = count(sim, ApiKey.Metadata);
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, failWith(6)); // NOT_LEADER_OR_FOLLOWER, once
    const result = await producer.send({ topic: 't', messages: [{ value: 'once' }] });
    expect(result).toEqual([{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '1', logAppendTime: '-1', logStartOffset: '0' }]);
    expect(produces.value).toBe(2);
    expect(metadata.value).toBeGreaterThanOrEqual(1);
    expect(await valuesOf(sim, 't', 0)).toEqual(['warm-up', 'once']);
  });

  it('retries other retriable protocol errors (REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS)', async () => {
    const { sim, producer } = await setup();
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, failWith(7));
    sim.network.intercept(ApiKey.Produce, failWith(19));
    await producer.send({ topic: 't', messages: [{ value: 'x' }] });
    expect(produces.value).toBe(3);
    expect(await valuesOf(sim, 't', 0)).toEqual(['x']);
  });

  it('rejects a non-retriable error at once, unwrapped', async () => {
    const { sim, producer } = await setup();
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, failWith(10)); // MESSAGE_TOO_LARGE
    const error = await producer.send({ topic: 't', messages: [{ value: 'big' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
    expect(produces.value).toBe(1);
    expect(await valuesOf(sim, 't', 0)).toEqual([]);
  });

  it('gives up with KafkaJSNumberOfRetriesExceeded after `retries` retries', async () => {
    const { sim, producer } = await setup({ retry: { retries: 2 } });
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, failWith(7), { keep: true });
    const error = await producer.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 2, retriable: false });
    expect((error as { cause: { type: string } }).cause.type).toBe('REQUEST_TIMED_OUT');
    expect(produces.value).toBe(3);
  });

  it('uses 15 retries under NODE_ENV=test when none are configured, as KafkaJS under Jest', async () => {
    const { sim, producer } = await setup();
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, failWith(7), { keep: true });
    await expect(producer.send({ topic: 't', messages: [{ value: 'x' }] })).rejects.toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 15 });
    expect(produces.value).toBe(16);
  });

  it('resends only to the broker that failed; the others keep their answer', async () => {
    const { sim, producer } = await setup({ brokers: 3, partitions: 3 });
    const leaders = [0, 1, 2].map((p) => sim.partitionState('t', p).leader);
    expect(new Set(leaders).size).toBe(3);
    const produces = count(sim, ApiKey.Produce);
    const failing = sim.model.broker(leaders[1]).node;
    sim.network.intercept(ApiKey.Produce, failWith(6), { node: failing });
    const result = await producer.send({ topic: 't', messages: [0, 1, 2].map((partition) => ({ partition, value: `p${partition}` })) });
    expect(produces.value).toBe(4);
    expect(produces.nodes.filter((n) => n === failing)).toHaveLength(2);
    expect(result.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
    for (const p of [0, 1, 2]) expect(await valuesOf(sim, 't', p)).toEqual([`p${p}`]);
  });

  it('a connection closed under a Produce drops the broker, reconnects and retries', async () => {
    const { sim, producer } = await setup();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    const produces = count(sim, ApiKey.Produce);
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'close' }));
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    expect(produces.value).toBe(2);
    expect(await valuesOf(sim, 't', 0)).toEqual(['a', 'b']);
  });

  it('a request that times out is retried (the broker never saw it)', async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = kafka(sim, { requestTimeout: 2000 }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }));
    const start = sim.now();
    await producer.send({ topic: 't', messages: [{ value: 'late' }] });
    expect(sim.now() - start).toBeGreaterThanOrEqual(2000);
    expect(await valuesOf(sim, 't', 0)).toEqual(['late']);
  });

  it("the send's timeout is not added to the request timeout, as in KafkaJS: a slow answer times out and is retried", async () => {
    const sim = cluster({ topics: ['t'] });
    const producer = kafka(sim, { requestTimeout: 1000 }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const timeouts: unknown[] = [];
    producer.on(producer.events.REQUEST_TIMEOUT, (event) => void timeouts.push(event));
    sim.network.intercept(ApiKey.Produce, () => ({ action: 'delay', ms: 1500 }), { direction: 'response' });
    await producer.send({ topic: 't', timeout: 5000, messages: [{ value: 'slow' }] });
    expect(timeouts).toHaveLength(1);
    // The broker had appended the first attempt: a non-idempotent retry duplicates it.
    expect(await valuesOf(sim, 't', 0)).toEqual(['slow', 'slow']);
  });

  it('metadata without the topic is KafkaJSMetadataNotLoaded, refreshed and retried', async () => {
    const sim = cluster({ topics: ['t'] });
    const logs: string[] = [];
    const logCreator = () => (entry: { log: { message: string } }) => void logs.push(entry.log.message);
    const producer = kafka(sim, { logLevel: 5, logCreator }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    // A stale-metadata answer makes the producer refresh; that refresh, and the one the next attempt makes
    // because the topic is missing, come back without the topic.
    sim.network.intercept(ApiKey.Produce, failWith(6));
    let hidden = 0;
    sim.network.intercept(
      ApiKey.Metadata,
      (context) => {
        const response = context.response!;
        if (hidden === 2 || !response.topics.some((t) => t.name === 't')) return { action: 'pass' };
        hidden += 1;
        return { action: 'respond', body: { ...response, topics: response.topics.filter((t) => t.name !== 't') } };
      },
      { direction: 'response', keep: true },
    );
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    expect(logs).toContain('Producing to topic without metadata');
    expect(logs).toContain('Failed to send messages: Producing to topic without metadata');
    expect(await valuesOf(sim, 't', 0)).toEqual(['a', 'b']);
  });

  it('NOT_ENOUGH_REPLICAS (min.insync.replicas=3, a replica down) is retried until the replica is back', async () => {
    const sim = cluster({
      brokers: 3,
      topics: [{ topic: 'safe', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }],
    });
    const producer = kafka(sim).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'safe', messages: [{ value: 'a' }] });
    const leader = sim.partitionState('safe', 0).leader;
    const victim = [1, 2, 3].find((b) => b !== leader)!;
    sim.crashBroker(victim);
    await sim.runUntil(() => sim.partitionState('safe', 0).isr.length === 2, { maxMs: 60_000 });

    const refused = await producer.send({ topic: 'safe', messages: [{ value: 'refused' }] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 15 });
    expect((refused as { cause: { type: string } }).cause.type).toBe('NOT_ENOUGH_REPLICAS');
    // acks=1 only needs the leader.
    expect(await producer.send({ topic: 'safe', acks: 1, messages: [{ value: 'leader-only' }] })).toHaveLength(1);

    const pending = producer.send({ topic: 'safe', messages: [{ value: 'waited' }] });
    await sim.sleep(2000);
    sim.restartBroker(victim);
    await pending;
    expect(sim.partitionState('safe', 0).isr).toHaveLength(3);
    expect(await valuesOf(sim, 'safe', 0)).toEqual(['a', 'leader-only', 'waited']);
  });

  it('an invalid topic name is refused, and the producer still sends to valid topics afterwards', async () => {
    const { sim, producer } = await setup();
    await expect(producer.send({ topic: 't-abc)(*&^%', messages: [{ value: 'x' }] })).rejects.toThrow(
      'The request attempted to perform an operation on an invalid topic',
    );
    await producer.send({ topic: 't', messages: [{ value: 'ok' }] });
    expect(await valuesOf(sim, 't', 0)).toEqual(['ok']);
  });

  it('an unknown topic without auto-creation exhausts the retries', async () => {
    const sim = cluster();
    const producer = kafka(sim, { retry: { retries: 2 } }).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const error = await producer.send({ topic: 'missing', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 2 });
    expect((error as { cause: { type: string } }).cause.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });
});
