import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster } from './support.ts';

const partitionCount = (cluster: { metadata: { topics: ReadonlyMap<string, { partitions: readonly unknown[] }> } }, topic: string) =>
  cluster.metadata.topics.get(topic)!.partitions.length;

describe('CreatePartitions', () => {
  it('adds partitions with the topic\'s replication factor; brokers start leading them once the image arrives', async () => {
    const { cluster, send, settle } = await startCluster({ brokers: 3 });
    cluster.createTopic('grow', { partitions: 1, replicationFactor: 2 });
    await settle();
    const response = await send(1, ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(response.results).toEqual([{ name: 'grow', errorCode: ErrorCode.NONE, errorMessage: null }]);
    const partitions = cluster.metadata.topics.get('grow')!.partitions;
    expect(partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of partitions) {
      expect(p.replicas).toHaveLength(2);
      expect(new Set(p.replicas).size).toBe(2);
    }
    await settle();
    for (const p of partitions.slice(1)) {
      expect(cluster.broker(p.leader).replicas.get(`grow-${p.partition}`)?.isLeader).toBe(true);
    }
  });

  it('refuses a count that is not an increase, with Kafka 4.0\'s messages, and changes nothing', async () => {
    const { cluster, send } = await startCluster();
    cluster.createTopic('three', { partitions: 3 });
    const response = await send(1, ApiKey.CreatePartitions, 1, {
      topics: [
        { name: 'three', count: 2, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(response.results).toEqual([
      { name: 'three', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'The topic three currently has 3 partition(s); 2 would not be an increase.' },
    ]);
    const same = await send(1, ApiKey.CreatePartitions, 1, { topics: [{ name: 'three', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(same.results).toEqual([{ name: 'three', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' }]);
    expect(partitionCount(cluster, 'three')).toBe(3);
  });

  it('answers an unknown topic with UNKNOWN_TOPIC_OR_PARTITION and a topic named twice with INVALID_REQUEST', async () => {
    const { cluster, send } = await startCluster();
    cluster.createTopic('twice', { partitions: 1 });
    const response = await send(1, ApiKey.CreatePartitions, 2, {
      topics: [
        { name: 'nope', count: 2, assignments: null },
        { name: 'twice', count: 2, assignments: null },
        { name: 'twice', count: 3, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(response.results).toEqual([
      { name: 'nope', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
      { name: 'twice', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
    ]);
    expect(partitionCount(cluster, 'twice')).toBe(1);
  });

  it('places explicit assignments as given and rejects bad ones with INVALID_REPLICA_ASSIGNMENT', async () => {
    const { cluster, send } = await startCluster({ brokers: 3 });
    cluster.createTopic('manual', { assignments: [[1, 2]] });
    const attempt = async (assignments: number[][], count = 1 + assignments.length) => {
      const response = await send(1, ApiKey.CreatePartitions, 3, {
        topics: [{ name: 'manual', count, assignments: assignments.map((brokerIds) => ({ brokerIds })) }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      return response.results[0];
    };
    expect(await attempt([[2, 3]], 3)).toEqual({
      name: 'manual',
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
    });
    expect((await attempt([[]])).errorMessage).toBe('The manual partition assignment includes an empty replica list.');
    expect((await attempt([[2, 9]])).errorMessage).toBe('The manual partition assignment includes broker 9, but no such broker is registered.');
    expect((await attempt([[3, 3]])).errorMessage).toBe('The manual partition assignment includes the broker 3 more than once.');
    expect((await attempt([[1, 2, 3]])).errorMessage).toBe(
      'The manual partition assignment includes a partition with 3 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).',
    );
    expect(partitionCount(cluster, 'manual')).toBe(1);

    expect(await attempt([[3, 1], [2, 3]])).toEqual({ name: 'manual', errorCode: ErrorCode.NONE, errorMessage: null });
    const partitions = cluster.metadata.topics.get('manual')!.partitions;
    expect(partitions.map((p) => [...p.replicas])).toEqual([
      [1, 2],
      [3, 1],
      [2, 3],
    ]);
    expect(partitions[1].leader).toBe(3);
  });

  it('validateOnly checks everything and adds nothing', async () => {
    const { cluster, send } = await startCluster();
    cluster.createTopic('dry', { partitions: 1 });
    const ok = await send(1, ApiKey.CreatePartitions, 0, { topics: [{ name: 'dry', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: true });
    expect(ok.results).toEqual([{ name: 'dry', errorCode: ErrorCode.NONE, errorMessage: null }]);
    const bad = await send(1, ApiKey.CreatePartitions, 0, { topics: [{ name: 'dry', count: 1, assignments: null }], timeoutMs: 1000, validateOnly: true });
    expect(bad.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(partitionCount(cluster, 'dry')).toBe(1);
  });

  it('cannot place new partitions when too few brokers are unfenced (this model\'s placer uses unfenced brokers only)', async () => {
    const { cluster, send, runtime } = await startCluster({ brokers: 2 });
    cluster.createTopic('rf2', { partitions: 1, replicationFactor: 2 });
    cluster.crashBroker(2);
    await runtime.advance(10_000);
    expect(cluster.metadata.brokers.get(2)?.fenced).toBe(true);
    const response = await send(1, ApiKey.CreatePartitions, 3, { topics: [{ name: 'rf2', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(response.results[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(partitionCount(cluster, 'rf2')).toBe(1);
    // An explicit assignment naming a live broker is fine even though the other replica is fenced.
    const manual = await send(1, ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'rf2', count: 2, assignments: [{ brokerIds: [2, 1] }] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(manual.results[0].errorCode).toBe(ErrorCode.NONE);
    expect(cluster.metadata.topics.get('rf2')!.partitions[1].leader).toBe(1);
  });

  it('refuses an explicit assignment whose replicas are all fenced', async () => {
    const { cluster, send, runtime } = await startCluster({ brokers: 3 });
    cluster.createTopic('dark', { assignments: [[1, 2]] });
    cluster.crashBroker(2);
    cluster.crashBroker(3);
    await runtime.advance(10_000);
    const response = await send(1, ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'dark', count: 2, assignments: [{ brokerIds: [2, 3] }] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(response.results).toEqual([
      {
        name: 'dark',
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: 'All brokers specified in the manual partition assignment for partition 1 are fenced or in controlled shutdown.',
      },
    ]);
    expect(partitionCount(cluster, 'dark')).toBe(1);
  });
});
