import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type CreateTopicsRequestCreatableTopicInput, type CreateTopicsResponse } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

type TopicSpec = Partial<CreateTopicsRequestCreatableTopicInput> & { name: string };

/** CreateTopics (v7 unless told); unspecified topics get 1 partition, replication factor 1. */
const createTopics = (t: HandlerTestCluster, topics: TopicSpec[], options: { version?: number; validateOnly?: boolean } = {}) =>
  t.send(1, ApiKey.CreateTopics, options.version ?? 7, {
    topics: topics.map((topic) => ({ numPartitions: 1, replicationFactor: 1, assignments: [], configs: [], ...topic })),
    timeoutMs: 5_000,
    validateOnly: options.validateOnly ?? false,
  });

const outcomes = (response: CreateTopicsResponse) => response.topics.map((topic) => [topic.name, topic.errorCode]);

const topicNames = (t: HandlerTestCluster) => [...t.cluster.metadata.topics.keys()].sort();

describe('CreateTopics', () => {
  it('refuses Kafka\'s illegal names with INVALID_TOPIC_EXCEPTION: empty, ".", "..", 250 characters, a character outside [a-zA-Z0-9._-]; 249 characters is legal', async () => {
    const t = await startCluster();
    const longest = 'x'.repeat(249);
    const response = await createTopics(t, [{ name: '' }, { name: '.' }, { name: '..' }, { name: 'y'.repeat(250) }, { name: 'no spaces' }, { name: 'caf\u00e9' }, { name: longest }]);
    expect(outcomes(response)).toEqual([
      ['', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['.', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['..', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['y'.repeat(250), ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['no spaces', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['caf\u00e9', ErrorCode.INVALID_TOPIC_EXCEPTION],
      [longest, ErrorCode.NONE],
    ]);
    expect(topicNames(t)).toEqual([longest]);
  });

  it('an existing name is TOPIC_ALREADY_EXISTS and the topic is left as it was', async () => {
    const t = await startCluster();
    t.cluster.createTopic('taken', { partitions: 2 });
    const response = await createTopics(t, [{ name: 'taken', numPartitions: 5 }]);
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.errorMessage])).toEqual([['taken', ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'taken' already exists."]]);
    expect(t.cluster.metadata.topics.get('taken')!.partitions).toHaveLength(2);
  });

  it('"a.b" collides with an existing "a_b" (and the other way round): INVALID_TOPIC_EXCEPTION', async () => {
    const t = await startCluster();
    t.cluster.createTopic('a_b', { partitions: 1 });
    t.cluster.createTopic('c.d', { partitions: 1 });
    const response = await createTopics(t, [{ name: 'a.b' }, { name: 'c_d' }]);
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.errorMessage])).toEqual([
      ['a.b', ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'a.b' collides with existing topic: a_b"],
      ['c_d', ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'c_d' collides with existing topic: c.d"],
    ]);
    expect(topicNames(t)).toEqual(['a_b', 'c.d']);
  });

  it('zero partitions is INVALID_PARTITIONS; replication factor 4 on 3 brokers is INVALID_REPLICATION_FACTOR', async () => {
    const t = await startCluster({ brokers: 3 });
    const response = await createTopics(t, [
      { name: 'none', numPartitions: 0 },
      { name: 'wide', numPartitions: 1, replicationFactor: 4 },
    ]);
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.errorMessage])).toEqual([
      ['none', ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
      [
        'wide',
        ErrorCode.INVALID_REPLICATION_FACTOR,
        'Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.',
      ],
    ]);
    expect(topicNames(t)).toEqual([]);
  });

  it('-1 partitions and -1 replication factor take the broker\'s num.partitions and default.replication.factor', async () => {
    const t = await startCluster({ brokers: 3, brokerConfig: { 'num.partitions': 4, 'default.replication.factor': 2 } });
    const response = await createTopics(t, [{ name: 'defaults', numPartitions: -1, replicationFactor: -1 }]);
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.numPartitions, topic.replicationFactor])).toEqual([['defaults', ErrorCode.NONE, 4, 2]]);
    const partitions = t.cluster.metadata.topics.get('defaults')!.partitions;
    expect(partitions.map((p) => new Set(p.replicas).size)).toEqual([2, 2, 2, 2]);
  });

  it('an unknown config name or a bad config value is INVALID_CONFIG and creates nothing', async () => {
    const t = await startCluster();
    const response = await createTopics(t, [
      { name: 'unknown-config', configs: [{ name: 'retention.forever', value: 'yes' }] },
      { name: 'bad-number', configs: [{ name: 'retention.ms', value: 'soon' }] },
      { name: 'bad-choice', configs: [{ name: 'cleanup.policy', value: 'shred' }] },
    ]);
    expect(outcomes(response)).toEqual([
      ['unknown-config', ErrorCode.INVALID_CONFIG],
      ['bad-number', ErrorCode.INVALID_CONFIG],
      ['bad-choice', ErrorCode.INVALID_CONFIG],
    ]);
    expect(response.topics[0].errorMessage).toBe('Unknown topic config name: retention.forever');
    expect(topicNames(t)).toEqual([]);
  });

  it('validateOnly checks everything and answers as a creation would, but creates nothing', async () => {
    const t = await startCluster({ brokers: 3 });
    const response = await createTopics(
      t,
      [
        { name: 'dry-run', numPartitions: 3, replicationFactor: 2 },
        { name: 'dry-bad', numPartitions: 0 },
      ],
      { validateOnly: true },
    );
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.numPartitions, topic.replicationFactor])).toEqual([
      ['dry-run', ErrorCode.NONE, 3, 2],
      ['dry-bad', ErrorCode.INVALID_PARTITIONS, -1, -1],
    ]);
    await t.settle();
    expect(topicNames(t)).toEqual([]);
  });

  it('v5+ answers carry the partition count, replication factor and effective configs sorted by name (overrides DYNAMIC_TOPIC_CONFIG, the rest DEFAULT_CONFIG)', async () => {
    const t = await startCluster({ brokers: 2 });
    const response = await createTopics(t, [{ name: 'described', numPartitions: 3, replicationFactor: 2, configs: [{ name: 'retention.ms', value: '60000' }] }], { version: 5 });
    const [result] = response.topics;
    expect([result.errorCode, result.numPartitions, result.replicationFactor]).toEqual([ErrorCode.NONE, 3, 2]);
    const configs = result.configs ?? [];
    const names = configs.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(configs.find((c) => c.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '60000', readOnly: false, configSource: 1, isSensitive: false });
    expect(configs.find((c) => c.name === 'cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false });
    // v7 adds the topic id.
    const v7 = await createTopics(t, [{ name: 'identified' }], { version: 7 });
    expect(v7.topics[0].topicId).toBe(t.cluster.metadata.topics.get('identified')!.topicId);
  });

  it('the same name twice in one request is INVALID_REQUEST and neither is created', async () => {
    const t = await startCluster();
    const response = await createTopics(t, [{ name: 'twin' }, { name: 'single' }, { name: 'twin', numPartitions: 2 }]);
    const twins = response.topics.filter((topic) => topic.name === 'twin');
    expect(twins.length).toBeGreaterThan(0);
    expect(twins.every((topic) => topic.errorCode === ErrorCode.INVALID_REQUEST)).toBe(true);
    expect(response.topics.find((topic) => topic.name === 'single')?.errorCode).toBe(ErrorCode.NONE);
    expect(topicNames(t)).toEqual(['single']);
  });

  it('that duplicate is answered once, after the other topics, with "Duplicate topic name." (Kafka 4.0\'s ControllerApis.createTopics)', async () => {
    // ControllerApis collects duplicates in a set and appends one CreatableTopicResult per name after the controller's answer.
    const t = await startCluster();
    const response = await createTopics(t, [{ name: 'twin' }, { name: 'single' }, { name: 'twin', numPartitions: 2 }]);
    expect(response.topics.map((topic) => [topic.name, topic.errorCode, topic.errorMessage])).toEqual([
      ['single', ErrorCode.NONE, null],
      ['twin', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ]);
  });

  it('explicit replica assignments are honoured: replicas in the given order, the first one leading', async () => {
    const t = await startCluster({ brokers: 3 });
    const response = await createTopics(t, [
      {
        name: 'placed',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [3, 1] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
      },
    ]);
    expect(outcomes(response)).toEqual([['placed', ErrorCode.NONE]]);
    await t.settle();
    const partitions = t.cluster.metadata.topics.get('placed')!.partitions;
    expect(partitions.map((p) => ({ replicas: p.replicas, leader: p.leader }))).toEqual([
      { replicas: [3, 1], leader: 3 },
      { replicas: [2, 3], leader: 2 },
    ]);
  });

  it('a partition count of 2^31-1 is refused with INVALID_PARTITIONS before anything is allocated (kafkasim\'s documented 10 000 limit)', async () => {
    const t = await startCluster();
    const heapBefore = process.memoryUsage().heapUsed;
    const response = await createTopics(t, [{ name: 'huge', numPartitions: 2 ** 31 - 1 }]);
    expect(outcomes(response)).toEqual([['huge', ErrorCode.INVALID_PARTITIONS]]);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(topicNames(t)).toEqual([]);
  });
});
