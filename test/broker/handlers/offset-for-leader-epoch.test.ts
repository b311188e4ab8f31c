import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

async function endOffset(t: HandlerTestCluster, brokerId: number, topic: string, partition: number, leaderEpoch: number, currentLeaderEpoch = -1, version = 4) {
  const response = await t.send(brokerId, ApiKey.OffsetForLeaderEpoch, version, {
    replicaId: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }],
  });
  return response.topics[0].partitions[0];
}

describe('OffsetForLeaderEpoch', () => {
  it('answers the log end offset for the current epoch and the next epoch\'s start offset for an older one', async () => {
    const t = await startCluster({ brokers: 2, brokerConfig: { 'replica.lag.time.max.ms': 10_000 } });
    t.cluster.createTopic('epochs', { assignments: [[1, 2]] });
    await t.settle();
    await t.produce('epochs', 0, ['a', 'b', 'c']);
    await t.settle(1_000);
    expect(await endOffset(t, 1, 'epochs', 0, 0)).toEqual({ errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: 0, endOffset: 3n });

    // A controlled shutdown moves leadership to broker 2 at epoch 1; two more records land there.
    t.cluster.shutdownBroker(1);
    await t.settle();
    expect(t.cluster.metadata.topics.get('epochs')!.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 1 });
    await t.produce('epochs', 0, ['d', 'e']);
    expect(await endOffset(t, 2, 'epochs', 0, 0)).toEqual({ errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: 0, endOffset: 3n });
    expect(await endOffset(t, 2, 'epochs', 0, 1)).toEqual({ errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: 1, endOffset: 5n });
    // An epoch above every epoch in the cache has no end offset.
    expect(await endOffset(t, 2, 'epochs', 0, 7)).toEqual({ errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: -1, endOffset: -1n });
  });

  it('checks currentLeaderEpoch before leadership: older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH', async () => {
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('fenced', { assignments: [[1, 2]] });
    await t.settle();
    t.cluster.shutdownBroker(1);
    t.cluster.restartBroker(1);
    await t.settle(1_000);
    const partition = t.cluster.metadata.topics.get('fenced')!.partitions[0];
    expect(partition.leaderEpoch).toBeGreaterThan(0);
    const leader = partition.leader;
    const follower = leader === 1 ? 2 : 1;
    const epoch = partition.leaderEpoch;
    expect((await endOffset(t, leader, 'fenced', 0, epoch, epoch - 1)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await endOffset(t, leader, 'fenced', 0, epoch, epoch + 1)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await endOffset(t, leader, 'fenced', 0, epoch, epoch)).errorCode).toBe(ErrorCode.NONE);
    // The follower knows the epoch too: a stale epoch is fenced there, the current one is NOT_LEADER_OR_FOLLOWER.
    expect((await endOffset(t, follower, 'fenced', 0, epoch, epoch - 1)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await endOffset(t, follower, 'fenced', 0, epoch, epoch)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('only the leader answers, even to a follower\'s replicaId; unhosted partitions are NOT_LEADER_OR_FOLLOWER, unknown ones UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('placed', { assignments: [[1, 2]] });
    await t.settle();
    const fromFollower = await t.send(2, ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: 3,
      topics: [{ topic: 'placed', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    });
    expect(fromFollower.topics[0].partitions[0]).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, partition: 0, leaderEpoch: -1, endOffset: -1n });
    expect((await endOffset(t, 3, 'placed', 0, 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await endOffset(t, 1, 'placed', 5, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await endOffset(t, 1, 'nope', 0, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('v0 answers without leader epochs', async () => {
    const t = await startCluster();
    t.cluster.createTopic('old', { partitions: 1 });
    await t.settle();
    await t.produce('old', 0, ['a', 'b']);
    const response = await t.send(1, ApiKey.OffsetForLeaderEpoch, 0, { topics: [{ topic: 'old', partitions: [{ partition: 0, leaderEpoch: 0 }] }] });
    expect(response.topics).toEqual([{ topic: 'old', partitions: [{ errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: -1, endOffset: 2n }] }]);
  });
});
