import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type MetadataResponse } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

/** Metadata for these topics (null: all), v12 unless told. */
const metadata = (t: HandlerTestCluster, brokerId: number, topics: string[] | null, options: { version?: number; allowAutoTopicCreation?: boolean } = {}) =>
  t.send(brokerId, ApiKey.Metadata, options.version ?? 12, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });

const topicErrors = (response: MetadataResponse) => response.topics.map((topic) => [topic.name, topic.errorCode]);

const partitionView = (response: MetadataResponse, name: string) =>
  response.topics
    .find((topic) => topic.name === name)!
    .partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }));

describe('Metadata', () => {
  it('topics null lists every topic with its partitions, leaders, replicas and ISR', async () => {
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('alpha', { assignments: [[1, 2], [2, 1]] });
    t.cluster.createTopic('beta', { assignments: [[2]] });
    await t.settle(1_000);
    const response = await metadata(t, 1, null);
    expect(topicErrors(response).sort()).toEqual([
      ['alpha', ErrorCode.NONE],
      ['beta', ErrorCode.NONE],
    ]);
    expect(partitionView(response, 'alpha')).toEqual([
      { partition: 0, errorCode: ErrorCode.NONE, leader: 1, replicas: [1, 2], isr: [1, 2], offline: [] },
      { partition: 1, errorCode: ErrorCode.NONE, leader: 2, replicas: [2, 1], isr: [2, 1], offline: [] },
    ]);
    expect(partitionView(response, 'beta')).toEqual([{ partition: 0, errorCode: ErrorCode.NONE, leader: 2, replicas: [2], isr: [2], offline: [] }]);
    expect(response.topics.find((topic) => topic.name === 'alpha')!.topicId).toBe(t.cluster.metadata.topics.get('alpha')!.topicId);
    expect(response.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2]);
  });

  it('an empty topic list asks for no topics from v1, and for all of them in v0', async () => {
    const t = await startCluster();
    t.cluster.createTopic('only', { partitions: 1 });
    await t.settle();
    expect((await metadata(t, 1, [], { version: 1 })).topics).toEqual([]);
    expect((await metadata(t, 1, [], { version: 12 })).topics).toEqual([]);
    expect(topicErrors(await metadata(t, 1, [], { version: 0 }))).toEqual([['only', ErrorCode.NONE]]);
  });

  it('auto-creation: an unknown topic is created with num.partitions and default.replication.factor and appears once the metadata has propagated', async () => {
    const t = await startCluster({ brokers: 3, brokerConfig: { 'num.partitions': 3, 'default.replication.factor': 2 } });
    await t.settle();
    const first = await metadata(t, 1, ['fresh']);
    expect(first.topics.map((topic) => [topic.name, topic.partitions])).toEqual([['fresh', []]]);
    expect(first.topics[0].errorCode).not.toBe(ErrorCode.NONE);
    const created = t.cluster.metadata.topics.get('fresh');
    expect(created?.partitions.map((p) => p.replicas.length)).toEqual([2, 2, 2]);

    await t.settle();
    const second = await metadata(t, 1, ['fresh']);
    expect(topicErrors(second)).toEqual([['fresh', ErrorCode.NONE]]);
    const partitions = partitionView(second, 'fresh');
    expect(partitions.map((p) => [p.partition, p.errorCode, p.replicas.length, p.leader === p.replicas[0]])).toEqual([
      [0, ErrorCode.NONE, 2, true],
      [1, ErrorCode.NONE, 2, true],
      [2, ErrorCode.NONE, 2, true],
    ]);
  });

  it('metadata reaches brokers after the controller link\'s latency, and at once over a link without latency (what the TCP server uses)', async () => {
    const t = await startCluster({ brokers: 3 });
    t.network.setLatency('controller', 'broker-3', { minMs: 0, maxMs: 0 });
    await t.settle();
    t.cluster.controller.createTopic({ name: 'grown', numPartitions: 1, replicationFactor: 1, configs: new Map() });
    await t.settle();
    t.cluster.controller.createPartitions('grown', 4);
    const partitionsSeenBy = (id: number) => t.cluster.broker(id).image.topics.get('grown')?.partitions.length;
    // Nothing has run yet: the 1 ms links still carry the image, the latency-free one delivered it.
    expect([partitionsSeenBy(1), partitionsSeenBy(2), partitionsSeenBy(3)]).toEqual([1, 1, 4]);
    await t.settle(1);
    expect([partitionsSeenBy(1), partitionsSeenBy(2), partitionsSeenBy(3)]).toEqual([4, 4, 4]);
  });

  it('the first answer for an auto-created topic is UNKNOWN_TOPIC_OR_PARTITION, as a KRaft broker answers while it forwards the creation to the controller', async () => {
    // Kafka 4.0 (KRaft only): AutoTopicCreationManager.sendCreateTopicRequest answers UNKNOWN_TOPIC_OR_PARTITION;
    // LEADER_NOT_AVAILABLE came from the ZooKeeper path (createTopicsInZk), which 4.0 no longer has.
    const t = await startCluster();
    await t.settle();
    expect(topicErrors(await metadata(t, 1, ['fresh']))).toEqual([['fresh', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(t.cluster.metadata.topics.has('fresh')).toBe(true);
  });

  it('v0-3 have no allowAutoTopicCreation field and always auto-create', async () => {
    const t = await startCluster({ brokerConfig: { 'num.partitions': 2 } });
    await t.settle();
    for (const version of [0, 1, 2, 3]) {
      const name = `old-${version}`;
      const first = await metadata(t, 1, [name], { version });
      expect(first.topics.map((topic) => topic.name)).toEqual([name]);
      expect(t.cluster.metadata.topics.get(name)?.partitions).toHaveLength(2);
    }
  });

  it('allowAutoTopicCreation false answers UNKNOWN_TOPIC_OR_PARTITION and creates nothing', async () => {
    const t = await startCluster();
    await t.settle();
    expect(topicErrors(await metadata(t, 1, ['shy'], { allowAutoTopicCreation: false }))).toEqual([['shy', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    await t.settle();
    expect(t.cluster.metadata.topics.has('shy')).toBe(false);
  });

  it('auto.create.topics.enable=false on the broker answers UNKNOWN_TOPIC_OR_PARTITION even when the client allows creation, also in v0', async () => {
    const t = await startCluster({ brokerConfig: { 'auto.create.topics.enable': false } });
    await t.settle();
    expect(topicErrors(await metadata(t, 1, ['denied'], { allowAutoTopicCreation: true }))).toEqual([['denied', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(topicErrors(await metadata(t, 1, ['denied'], { version: 0 }))).toEqual([['denied', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    await t.settle();
    expect(t.cluster.metadata.topics.has('denied')).toBe(false);
  });

  it('an invalid topic name is INVALID_TOPIC_EXCEPTION whether or not creation is allowed, and nothing is created', async () => {
    const t = await startCluster();
    await t.settle();
    expect(topicErrors(await metadata(t, 1, ['bad name!'], { allowAutoTopicCreation: true }))).toEqual([['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
    expect(topicErrors(await metadata(t, 1, ['..'], { allowAutoTopicCreation: false }))).toEqual([['..', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
    await t.settle();
    expect([...t.cluster.metadata.topics.keys()]).toEqual([]);
  });

  it('a crashed broker leaves the brokers list once it is fenced, and its replicas are listed as offline', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('spread', { assignments: [[1, 2, 3]] });
    await t.settle(1_000);
    t.cluster.crashBroker(3);
    await t.settle(12_000); // broker.session.timeout.ms is 9 s
    expect(t.cluster.metadata.brokers.get(3)?.fenced).toBe(true);
    const response = await metadata(t, 1, ['spread']);
    expect(response.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2]);
    expect(partitionView(response, 'spread')).toEqual([{ partition: 0, errorCode: ErrorCode.NONE, leader: 1, replicas: [1, 2, 3], isr: [1, 2], offline: [3] }]);
  });
});
