import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, ZERO_UUID } from '../../../src/protocol/index.ts';
import { startCluster } from './support.ts';

describe('DeleteTopics', () => {
  it('deletes a topic by name; every broker drops its replicas once the image reaches it', async () => {
    const { cluster, send, settle } = await startCluster({ brokers: 3 });
    const created = cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
    cluster.createTopic('keep', { partitions: 1, replicationFactor: 1 });
    await settle();
    expect(cluster.broker(2).replicas.has('orders-0')).toBe(true);

    const response = await send(1, ApiKey.DeleteTopics, 5, { topicNames: ['orders'], timeoutMs: 30_000 });
    expect(response.responses).toEqual([{ name: 'orders', topicId: ZERO_UUID, errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(cluster.metadata.topics.has('orders')).toBe(false);
    expect(cluster.metadata.topics.has('keep')).toBe(true);

    await settle();
    for (const id of [1, 2, 3]) {
      expect(cluster.broker(id).image.topics.has('orders')).toBe(false);
      expect(cluster.broker(id).replicas.has('orders-0')).toBe(false);
    }
    expect(created.topicId).not.toBe(ZERO_UUID);
  });

  it('answers an unknown name with UNKNOWN_TOPIC_OR_PARTITION and Kafka\'s message (v5+), and no message before v5', async () => {
    const { send } = await startCluster();
    const v5 = await send(1, ApiKey.DeleteTopics, 5, { topicNames: ['nope'], timeoutMs: 1000 });
    expect(v5.responses).toEqual([
      { name: 'nope', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' },
    ]);
    const v1 = await send(1, ApiKey.DeleteTopics, 1, { topicNames: ['nope'], timeoutMs: 1000 });
    expect(v1.responses).toEqual([{ name: 'nope', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }]);
  });

  it('v6 deletes by topic id and answers with the topic\'s name', async () => {
    const { cluster, send } = await startCluster();
    const topic = cluster.createTopic('by-id', { partitions: 1 });
    const response = await send(1, ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId: topic.topicId }], timeoutMs: 1000 });
    expect(response.responses).toEqual([{ name: 'by-id', topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(cluster.metadata.topics.has('by-id')).toBe(false);
  });

  it('v6 rejects an unknown id, a name with an id, neither, and duplicates, deleting nothing', async () => {
    const { cluster, send } = await startCluster();
    const a = cluster.createTopic('a', { partitions: 1 });
    cluster.createTopic('b', { partitions: 1 });
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const response = await send(1, ApiKey.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: unknownId },
        { name: 'a', topicId: a.topicId },
        { name: null, topicId: ZERO_UUID },
        { name: 'b', topicId: ZERO_UUID },
        { name: 'b', topicId: ZERO_UUID },
      ],
      timeoutMs: 1000,
    });
    expect(response.responses).toEqual([
      { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
      { name: 'a', topicId: a.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' },
      { name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither topic name nor id were specified.' },
      { name: 'b', topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
    ]);
    expect([...cluster.metadata.topics.keys()].sort()).toEqual(['a', 'b']);
  });

  it('v6 refuses a name that resolves to an id given in the same request, and leaves that id unanswered', async () => {
    const { cluster, send } = await startCluster();
    const topic = cluster.createTopic('twice', { partitions: 1 });
    const response = await send(1, ApiKey.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: topic.topicId },
        { name: 'twice', topicId: ZERO_UUID },
      ],
      timeoutMs: 1000,
    });
    expect(response.responses).toEqual([
      { name: 'twice', topicId: topic.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' },
    ]);
    expect(cluster.metadata.topics.has('twice')).toBe(true);
  });

  it('with delete.topic.enable=false answers TOPIC_DELETION_DISABLED from v3 and INVALID_REQUEST before, deleting nothing', async () => {
    const { cluster, send } = await startCluster({ brokerConfig: { 'delete.topic.enable': false } });
    cluster.createTopic('kept', { partitions: 1 });
    const v3 = await send(1, ApiKey.DeleteTopics, 3, { topicNames: ['kept', 'nope'], timeoutMs: 1000 });
    expect(v3.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['kept', ErrorCode.TOPIC_DELETION_DISABLED],
      ['nope', ErrorCode.TOPIC_DELETION_DISABLED],
    ]);
    const v2 = await send(1, ApiKey.DeleteTopics, 2, { topicNames: ['kept'], timeoutMs: 1000 });
    expect(v2.responses.map((r) => [r.name, r.errorCode])).toEqual([['kept', ErrorCode.INVALID_REQUEST]]);
    const v6 = await send(1, ApiKey.DeleteTopics, 6, { topics: [{ name: 'kept', topicId: ZERO_UUID }], timeoutMs: 1000 });
    expect(v6.responses).toEqual([{ name: 'kept', topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: null }]);
    expect(cluster.metadata.topics.has('kept')).toBe(true);
  });

  it('a topic recreated under the same name starts with an empty log', async () => {
    const { cluster, send, settle, produce, earliestOffset } = await startCluster();
    cluster.createTopic('again', { partitions: 1 });
    await settle();
    await produce('again', 0, ['a', 'b', 'c']);
    await send(1, ApiKey.DeleteTopics, 4, { topicNames: ['again'], timeoutMs: 1000 });
    await settle();
    cluster.createTopic('again', { partitions: 1 });
    await settle();
    expect(cluster.partitionState('again', 0).logEndOffset).toBe(0n);
    expect(await earliestOffset('again', 0)).toBe(0n);
  });
});
