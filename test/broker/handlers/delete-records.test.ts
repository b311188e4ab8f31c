import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

async function deleteRecords(t: HandlerTestCluster, brokerId: number, topic: string, partitions: Array<[number, bigint]>, timeoutMs = 30_000) {
  const response = await t.send(brokerId, ApiKey.DeleteRecords, 2, {
    topics: [{ name: topic, partitions: partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) }],
    timeoutMs,
  });
  return response.topics.flatMap((r) => r.partitions.map((p) => ({ topic: r.name, ...p })));
}

describe('DeleteRecords', () => {
  it('moves the log start offset on the leader and answers it as the low watermark; reads below it are out of range', async () => {
    const t = await startCluster();
    t.cluster.createTopic('log', { partitions: 1 });
    await t.settle();
    await t.produce('log', 0, ['a', 'b', 'c', 'd', 'e']);

    expect(await deleteRecords(t, 1, 'log', [[0, 3n]])).toEqual([{ topic: 'log', partitionIndex: 0, lowWatermark: 3n, errorCode: ErrorCode.NONE }]);
    expect(await t.earliestOffset('log', 0)).toBe(3n);
    const fetched = await t.run(t.client.fetchAll('log', 0, 0n));
    expect(fetched.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const rest = await t.run(t.client.fetchAll('log', 0, 3n));
    expect(rest.records.map((r) => r.value)).toEqual(['d', 'e']);
  });

  it('takes -1 as the high watermark and never moves the log start offset backwards', async () => {
    const t = await startCluster();
    t.cluster.createTopic('log', { partitions: 1 });
    await t.settle();
    await t.produce('log', 0, ['a', 'b', 'c', 'd']);
    expect(await deleteRecords(t, 1, 'log', [[0, -1n]])).toEqual([{ topic: 'log', partitionIndex: 0, lowWatermark: 4n, errorCode: ErrorCode.NONE }]);
    expect(await deleteRecords(t, 1, 'log', [[0, 1n]])).toEqual([{ topic: 'log', partitionIndex: 0, lowWatermark: 4n, errorCode: ErrorCode.NONE }]);
    expect(await t.earliestOffset('log', 0)).toBe(4n);
  });

  it('answers OFFSET_OUT_OF_RANGE above the high watermark or for a negative offset, deleting nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('log', { partitions: 1 });
    await t.settle();
    await t.produce('log', 0, ['a', 'b']);
    expect(await deleteRecords(t, 1, 'log', [[0, 3n]])).toEqual([{ topic: 'log', partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }]);
    expect(await deleteRecords(t, 1, 'log', [[0, -2n]])).toEqual([{ topic: 'log', partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }]);
    expect(await t.earliestOffset('log', 0)).toBe(0n);
  });

  it('answers per partition: unknown partitions, followers and compacted topics fail, the others delete', async () => {
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('mixed', { assignments: [[1, 2], [2, 1]] });
    t.cluster.createTopic('compacted', { assignments: [[1]], configs: { 'cleanup.policy': 'compact' } });
    await t.settle();
    await t.produce('mixed', 0, ['a', 'b']);
    await t.settle();
    expect(await deleteRecords(t, 1, 'mixed', [[0, 1n], [1, 0n], [7, 0n]])).toEqual([
      { topic: 'mixed', partitionIndex: 0, lowWatermark: 1n, errorCode: ErrorCode.NONE },
      { topic: 'mixed', partitionIndex: 1, lowWatermark: -1n, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER },
      { topic: 'mixed', partitionIndex: 7, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    expect(await deleteRecords(t, 1, 'compacted', [[0, 0n]])).toEqual([{ topic: 'compacted', partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.POLICY_VIOLATION }]);
    expect(await deleteRecords(t, 1, 'nope', [[0, 0n]])).toEqual([{ topic: 'nope', partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }]);
  });

  it('refuses internal topics with INVALID_TOPIC_EXCEPTION', async () => {
    const t = await startCluster();
    t.cluster.createTopic('__consumer_offsets', { partitions: 1 });
    await t.settle();
    expect(await deleteRecords(t, 1, '__consumer_offsets', [[0, 0n]])).toEqual([
      { topic: '__consumer_offsets', partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION },
    ]);
  });

  it('with three replicas every follower ends at the new log start offset', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('replicated', { partitions: 1, replicationFactor: 3 });
    await t.settle();
    await t.produce('replicated', 0, ['a', 'b', 'c', 'd', 'e', 'f']);
    await t.settle(1_000);
    const leader = t.cluster.metadata.topics.get('replicated')!.partitions[0].leader;
    const [result] = await deleteRecords(t, leader, 'replicated', [[0, 4n]]);
    expect(result).toEqual({ topic: 'replicated', partitionIndex: 0, lowWatermark: 4n, errorCode: ErrorCode.NONE });
    await t.settle(2_000);
    expect(t.cluster.partitionState('replicated', 0).replicaStates.map((r) => r.logStartOffset)).toEqual([4n, 4n, 4n]);
    t.cluster.checkInvariants();
  });

  it('waits for live followers to drop the records: an isolated one times the answer out until it is fenced', async (ctx) => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('slow', { assignments: [[1, 2, 3]] });
    await t.settle();
    await t.produce('slow', 0, ['a', 'b', 'c', 'd']);
    await t.settle(1_000);
    const followers = [...t.cluster.broker(1).replicas.get('slow-0')!.followers.values()];
    // The leader learns a follower's log start offset from its Fetch requests once the fetch handler records it.
    if (!followers.every((state) => 'logStartOffset' in state)) ctx.skip();

    t.network.isolate('broker-3');
    expect(await deleteRecords(t, 1, 'slow', [[0, 2n]], 1_000)).toEqual([
      { topic: 'slow', partitionIndex: 0, lowWatermark: 0n, errorCode: ErrorCode.REQUEST_TIMED_OUT },
    ]);
    expect(t.cluster.partitionState('slow', 0).logStartOffset).toBe(2n);

    await t.runtime.advance(10_000);
    expect(t.cluster.metadata.brokers.get(3)?.fenced).toBe(true);
    expect(await deleteRecords(t, 1, 'slow', [[0, 3n]])).toEqual([{ topic: 'slow', partitionIndex: 0, lowWatermark: 3n, errorCode: ErrorCode.NONE }]);
  });
});
