/**
 * admin topics: createTopics, deleteTopics, createPartitions, listTopics, fetchTopicMetadata and
 * describeCluster against a simulated cluster (the intent of KafkaJS's createTopics, deleteTopics,
 * createPartitions, listTopics, fetchTopicMetadata and describeCluster specs).
 */
import { describe, expect, it } from 'vitest';
import { createCluster, KafkaJSAggregateError } from '../../../src/index.ts';
import { ApiKey, type MetadataResponse } from '../../../src/protocol/index.ts';
import { adminOf } from './support.ts';

const errorOf = async (promise: Promise<unknown>): Promise<Record<string, unknown>> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Record<string, unknown>,
  );

describe('admin.createTopics', () => {
  it('creates the topics, waits for their leaders and resolves true', async () => {
    const sim = createCluster({ brokers: 3 });
    const admin = adminOf(sim);
    await admin.connect();
    const created = await admin.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'payments' },
      ],
    });
    expect(created).toBe(true);
    // Leaders are known as soon as createTopics resolves.
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(topics[0].partitions).toHaveLength(3);
    for (const partition of topics[0].partitions) {
      expect(partition.partitionErrorCode).toBe(0);
      expect(partition.replicas).toHaveLength(2);
      expect(partition.replicas).toContain(partition.leader);
    }
    expect((await admin.listTopics()).sort()).toEqual(['orders', 'payments']);
    const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['cleanup.policy'] }] });
    expect(resources[0].configEntries[0]).toMatchObject({ configName: 'cleanup.policy', configValue: 'compact' });
    await admin.disconnect();
  });

  it('resolves false when every topic already exists', async () => {
    const sim = createCluster({ topics: ['orders', 'payments'] });
    const admin = adminOf(sim);
    expect(await admin.createTopics({ topics: [{ topic: 'orders' }, { topic: 'payments' }] })).toBe(false);
  });

  it('rejects with a KafkaJSAggregateError of KafkaJSCreateTopicError, sorted by topic, when some topics fail', async () => {
    const sim = createCluster({ topics: ['existing'] });
    const admin = adminOf(sim);
    const error = await errorOf(
      admin.createTopics({ topics: [{ topic: 'zebra', replicationFactor: 3 }, { topic: 'existing' }, { topic: 'fresh' }] }),
    );
    expect(error).toBeInstanceOf(KafkaJSAggregateError);
    expect(error).toMatchObject({ name: 'KafkaJSAggregateError', message: 'Topic creation errors' });
    const errors = error.errors as Array<Record<string, unknown>>;
    expect(errors.map((e) => [e.name, e.topic, e.type, e.retriable])).toEqual([
      ['KafkaJSCreateTopicError', 'existing', 'TOPIC_ALREADY_EXISTS', false],
      ['KafkaJSCreateTopicError', 'zebra', 'INVALID_REPLICATION_FACTOR', false],
    ]);
    // The broker created what it could: KafkaJS does not wait for its leaders, the topic exists anyway.
    expect(await admin.listTopics()).toContain('fresh');
  });

  it('validateOnly creates nothing; without waitForLeaders: false it fails on the metadata of topics that do not exist', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run' }] })).toBe(true);
    expect(await admin.listTopics()).not.toContain('dry-run');
    const error = await errorOf(admin.createTopics({ validateOnly: true, topics: [{ topic: 'dry-run' }] }));
    expect(error).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('does not retry a topic answered NOT_CONTROLLER: KafkaJS folds topic errors into the aggregate error', async () => {
    const sim = createCluster({ brokers: 2 });
    const admin = adminOf(sim);
    const notController = sim.network.intercept(ApiKey.CreateTopics, ({ request }) => ({
      action: 'respond',
      body: { throttleTimeMs: 0, topics: request.body.topics.map(({ name }) => ({ name, errorCode: 41, errorMessage: 'moved' })) },
    }));
    const error = await errorOf(admin.createTopics({ topics: [{ topic: 'orders' }] }));
    expect(error).toBeInstanceOf(KafkaJSAggregateError);
    expect(error.errors).toMatchObject([{ name: 'KafkaJSCreateTopicError', topic: 'orders', type: 'NOT_CONTROLLER', retriable: true }]);
    expect(notController.hits).toBe(1);
  });

  it('gives up waiting for leaders after `timeout`, and after 10 s when no timeout is given (KafkaJS waitFor default)', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    // Every answer about the new topics says LEADER_NOT_AVAILABLE.
    sim.network.intercept(
      ApiKey.Metadata,
      ({ request, response }) => {
        const body = response as MetadataResponse;
        if (!request.body.topics?.some((t) => t.name?.startsWith('slow'))) return { action: 'pass' };
        return { action: 'respond', body: { ...body, topics: body.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, errorCode: 5 })) })) } };
      },
      { keep: true, direction: 'response' },
    );
    let start = sim.now();
    const error = await errorOf(admin.createTopics({ topics: [{ topic: 'slow-1' }], timeout: 1000 }));
    expect(error).toMatchObject({ name: 'KafkaJSTimeout', message: 'Timed out while waiting for topic leaders' });
    expect(sim.now() - start).toBeGreaterThanOrEqual(1000);
    expect(sim.now() - start).toBeLessThan(1200);

    start = sim.now();
    await expect(admin.createTopics({ topics: [{ topic: 'slow-2' }] })).rejects.toMatchObject({ name: 'KafkaJSTimeout' });
    expect(sim.now() - start).toBeGreaterThanOrEqual(10_000);
    expect(sim.now() - start).toBeLessThan(10_200);
  });
});

describe('admin.deleteTopics', () => {
  it('deletes the topics', async () => {
    const sim = createCluster({ topics: ['a', 'b', 'c'] });
    const admin = adminOf(sim);
    await admin.connect();
    await admin.deleteTopics({ topics: ['a', 'b'] });
    expect(await admin.listTopics()).toEqual(['c']);
  });

  it('retries when the controller answers NOT_CONTROLLER', async () => {
    const sim = createCluster({ brokers: 2, topics: ['a'] });
    const admin = adminOf(sim);
    const notController = sim.network.intercept(ApiKey.DeleteTopics, ({ request }) => ({
      action: 'respond',
      body: { throttleTimeMs: 0, responses: request.body.topicNames.map((name) => ({ name, errorCode: 41 })) },
    }));
    await admin.deleteTopics({ topics: ['a'] });
    expect(notController.hits).toBe(1);
    expect(await admin.listTopics()).toEqual([]);
  });

  it('retries UNKNOWN_TOPIC_OR_PARTITION and gives up after the admin retries', async () => {
    const sim = createCluster();
    const admin = adminOf(sim, { retry: { retries: 2, initialRetryTime: 100 } });
    const requests: string[] = [];
    admin.on(admin.events.REQUEST, (event) => requests.push(event.payload.apiName));
    const error = await errorOf(admin.deleteTopics({ topics: ['nope'] }));
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 2 });
    expect(error.cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(requests.filter((name) => name === 'DeleteTopics')).toHaveLength(3);
  });
});

describe('admin.createPartitions', () => {
  it('adds partitions and resolves undefined (KafkaJS declares boolean)', async () => {
    const sim = createCluster({ brokers: 2, topics: [{ topic: 'orders', numPartitions: 1 }] });
    const admin = adminOf(sim);
    expect(await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] })).toBeUndefined();
    await sim.sleep(100);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
  });

  it('places new partitions on the brokers given in assignments', async () => {
    const sim = createCluster({ brokers: 3, topics: [{ topic: 'orders', numPartitions: 1 }] });
    const admin = adminOf(sim);
    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 3, assignments: [[3], [2]] }] });
    await sim.sleep(100);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    const replicas = Object.fromEntries(topics[0].partitions.map((p) => [p.partitionId, p.replicas]));
    expect(replicas[1]).toEqual([3]);
    expect(replicas[2]).toEqual([2]);
  });

  it('retries when the controller answers NOT_CONTROLLER', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    const admin = adminOf(sim);
    const notController = sim.network.intercept(ApiKey.CreatePartitions, ({ request }) => ({
      action: 'respond',
      body: { throttleTimeMs: 0, results: request.body.topics.map(({ name }) => ({ name, errorCode: 41, errorMessage: null })) },
    }));
    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] });
    expect(notController.hits).toBe(1);
    await sim.sleep(100);
    expect((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions).toHaveLength(2);
  });

  it('validateOnly changes nothing', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const admin = adminOf(sim);
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'orders', count: 5 }] });
    await sim.sleep(100);
    expect((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions).toHaveLength(2);
  });

  it('rejects with the broker error itself: fewer partitions, unknown topic', async () => {
    const sim = createCluster({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    const admin = adminOf(sim);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] })).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'INVALID_PARTITIONS',
    });
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'nope', count: 2 }] })).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });
});

describe('admin.fetchTopicMetadata, listTopics, describeCluster', () => {
  it('fetchTopicMetadata answers KafkaJS partition metadata for the topics asked, or for all', async () => {
    const sim = createCluster({ brokers: 2, topics: [{ topic: 'a', numPartitions: 2, replicationFactor: 2 }, 'b'] });
    const admin = adminOf(sim);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['a'] });
    expect(topics).toHaveLength(1);
    expect(topics[0].name).toBe('a');
    expect(Object.keys(topics[0].partitions[0])).toEqual(['partitionErrorCode', 'partitionId', 'leader', 'replicas', 'isr', 'offlineReplicas']);
    expect(topics[0].partitions.map((p) => [p.partitionId, p.replicas.length, p.isr.length])).toEqual([
      [0, 2, 2],
      [1, 2, 2],
    ]);
    expect((await admin.fetchTopicMetadata()).topics.map((t) => t.name).sort()).toEqual(['a', 'b']);
  });

  it('fetchTopicMetadata of an unknown topic rejects and does not create it (the admin never auto-creates)', async () => {
    const sim = createCluster();
    const admin = adminOf(sim);
    await expect(admin.fetchTopicMetadata({ topics: ['ghost'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await sim.sleep(1000);
    expect(await admin.listTopics()).toEqual([]);
  });

  it('describeCluster lists the brokers, the controller and the cluster id', async () => {
    const sim = createCluster({ brokers: 3 });
    const admin = adminOf(sim);
    const description = await admin.describeCluster();
    expect(description).toEqual({
      brokers: [
        { nodeId: 1, host: 'localhost', port: 9092 },
        { nodeId: 2, host: 'localhost', port: 9093 },
        { nodeId: 3, host: 'localhost', port: 9094 },
      ],
      controller: expect.any(Number),
      clusterId: 'kafkasim-cluster',
    });
    // KRaft brokers name a random live broker as controller; it must be one of them.
    expect([1, 2, 3]).toContain(description.controller);
  });
});

describe('admin after the broker Metadata names as controller crashes', () => {
  it('createTopics still works: Metadata names another live broker', async () => {
    const sim = createCluster({ brokers: 3 });
    const admin = adminOf(sim);
    const { controller } = await admin.describeCluster();
    sim.crashBroker(controller!);
    await sim.sleep(20_000);
    const fresh = adminOf(sim);
    expect(await fresh.createTopics({ topics: [{ topic: 'after-crash', numPartitions: 2, replicationFactor: 2 }] })).toBe(true);
    expect((await fresh.describeCluster()).controller).not.toBe(controller);
  });
});
