import { describe, expect, it } from 'vitest';
import { ApiKey, ControlRecordType, encodeEndTxnMarkerBatch, ErrorCode, readBatchHeader } from '../../../src/protocol/index.ts';
import { TxnProducer } from '../txn/support.ts';
import { stableGroup, startGroupCluster, type GroupTestCluster } from './support.ts';

const PRODUCER_ID = 4_000n;

/** Raw TxnOffsetCommits without a transaction coordinator behind them: KIP-890 verification is off here. */
async function setup(brokers = 1) {
  const t = await startGroupCluster({ brokers, brokerConfig: { 'transaction.partition.verification.enable': false } });
  t.cluster.createTopic('orders', { partitions: 2, replicationFactor: brokers });
  await t.settle();
  const coordinator = await t.findCoordinator('tg');
  return { t, coordinator };
}

function txnCommit(
  t: GroupTestCluster,
  coordinator: number,
  offsets: Array<{ partition: number; offset: bigint }>,
  options: { version?: number; producerEpoch?: number; groupId?: string; generationId?: number; memberId?: string; topic?: string } = {},
) {
  return t.call('producer', coordinator, ApiKey.TxnOffsetCommit, options.version ?? 2, {
    transactionalId: 'tx',
    groupId: options.groupId ?? 'tg',
    producerId: PRODUCER_ID,
    producerEpoch: options.producerEpoch ?? 0,
    generationId: options.generationId ?? -1,
    memberId: options.memberId ?? '',
    groupInstanceId: null,
    topics: [{ name: options.topic ?? 'orders', partitions: offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: 'txn' })) }],
  });
}

/** What the transaction coordinator does at EndTxn: the marker into the offsets partition, then `completeTransaction`. */
function endTransaction(t: GroupTestCluster, coordinator: number, groupId: string, commit: boolean, producerEpoch = 0): void {
  const partition = t.coordinatorPartitionOf(groupId);
  const broker = t.cluster.broker(coordinator);
  const replica = broker.replicas.get(`__consumer_offsets-${partition}`)!;
  const marker = encodeEndTxnMarkerBatch({
    type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    coordinatorEpoch: 0,
    producerId: PRODUCER_ID,
    producerEpoch,
    timestamp: BigInt(t.runtime.now()),
  });
  const appended = replica.log.appendAsLeader(marker, { leaderEpoch: replica.leaderEpoch, nowMs: t.runtime.now(), origin: 'coordinator' });
  expect(appended.errorCode).toBe(ErrorCode.NONE);
  replica.producerState.update(readBatchHeader(marker), appended.firstOffset, appended.lastOffset);
  replica.afterLeaderAppend();
  broker.groupCoordinator.completeTransaction(partition, PRODUCER_ID, producerEpoch, commit);
}

const partitionErrors = (response: { topics: Array<{ partitions: Array<{ partitionIndex: number; errorCode: number }> }> }) =>
  response.topics.flatMap((topic) => topic.partitions.map((p) => [p.partitionIndex, p.errorCode]));

describe('TxnOffsetCommit', () => {
  it('pending offsets are invisible (UNSTABLE_OFFSET_COMMIT with requireStable) until the transaction commits', async () => {
    const { t, coordinator } = await setup();
    await t.commit('admin', coordinator, 'tg', [{ topic: 'orders', partition: 0, offset: 1n }]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 10n }, { partition: 1, offset: 20n }]))).toEqual([
      [0, ErrorCode.NONE],
      [1, ErrorCode.NONE],
    ]);
    const unstable = await t.fetchOffsets(coordinator, 'tg', [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }], { requireStable: true });
    expect(unstable.offsets.map((o) => [o.partition, o.offset, o.errorCode])).toEqual([
      [0, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
      [1, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
    ]);
    const readUncommitted = await t.fetchOffsets(coordinator, 'tg', [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    expect(readUncommitted.offsets.map((o) => o.offset)).toEqual([1n, -1n]);

    endTransaction(t, coordinator, 'tg', true);
    const committed = await t.fetchOffsets(coordinator, 'tg', null, { requireStable: true });
    expect(committed.offsets.map((o) => [o.partition, o.offset, o.metadata, o.errorCode])).toEqual([
      [0, 10n, 'txn', ErrorCode.NONE],
      [1, 20n, 'txn', ErrorCode.NONE],
    ]);
  });

  it('an aborted transaction drops its offsets', async () => {
    const { t, coordinator } = await setup();
    await t.commit('admin', coordinator, 'tg', [{ topic: 'orders', partition: 0, offset: 1n }]);
    await txnCommit(t, coordinator, [{ partition: 0, offset: 10n }]);
    endTransaction(t, coordinator, 'tg', false);
    const after = await t.fetchOffsets(coordinator, 'tg', [{ topic: 'orders', partition: 0 }], { requireStable: true });
    expect(after.offsets.map((o) => [o.offset, o.errorCode])).toEqual([[1n, ErrorCode.NONE]]);
  });

  it('an older producer epoch is INVALID_PRODUCER_EPOCH; unknown partitions UNKNOWN_TOPIC_OR_PARTITION; the empty group id INVALID_GROUP_ID', async () => {
    const { t, coordinator } = await setup();
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 1n }], { producerEpoch: 3 }))).toEqual([[0, ErrorCode.NONE]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 2n }], { producerEpoch: 2 }))).toEqual([[0, ErrorCode.INVALID_PRODUCER_EPOCH]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 7, offset: 2n }], { producerEpoch: 3 }))).toEqual([[7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 2n }], { topic: 'nope' }))).toEqual([[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 2n }], { groupId: '' }))).toEqual([[0, ErrorCode.INVALID_GROUP_ID]]);
  });

  it('v3 checks the consumer\'s generation and member id (KIP-447); v2 commits to a group with members without them', async () => {
    const { t } = await setup();
    const { coordinator, a } = await stableGroup(t, 'tg');
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 5n }], { version: 3, generationId: 9, memberId: a }))).toEqual([[0, ErrorCode.ILLEGAL_GENERATION]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 5n }], { version: 3, generationId: 1, memberId: 'ghost' }))).toEqual([[0, ErrorCode.UNKNOWN_MEMBER_ID]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 0, offset: 5n }], { version: 3, generationId: 1, memberId: a }))).toEqual([[0, ErrorCode.NONE]]);
    expect(partitionErrors(await txnCommit(t, coordinator, [{ partition: 1, offset: 6n }], { version: 2 }))).toEqual([[1, ErrorCode.NONE]]);
  });

  it('after a failover the new coordinator replays the log: committed transactions are visible, open ones still pending', async () => {
    const { t, coordinator } = await setup(3);
    await txnCommit(t, coordinator, [{ partition: 0, offset: 10n }]);
    endTransaction(t, coordinator, 'tg', true);
    await txnCommit(t, coordinator, [{ partition: 1, offset: 20n }], { producerEpoch: 1 });
    await t.runtime.advance(500);
    t.cluster.crashBroker(coordinator);
    let next = coordinator;
    for (let i = 0; i < 40 && next === coordinator; i++) {
      await t.runtime.advance(500);
      next = await t.findCoordinator('tg');
    }
    expect(next).not.toBe(coordinator);
    const stable = await t.fetchOffsets(next, 'tg', [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }], { requireStable: true });
    expect(stable.offsets.map((o) => [o.partition, o.offset, o.errorCode])).toEqual([
      [0, 10n, ErrorCode.NONE],
      [1, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
    ]);
    endTransaction(t, next, 'tg', true, 1);
    expect((await t.fetchOffsets(next, 'tg', null)).offsets.map((o) => [o.partition, o.offset])).toEqual([
      [0, 10n],
      [1, 20n],
    ]);
  });

  it('through a real transaction (verification on): AddOffsetsToTxn, TxnOffsetCommit, EndTxn commit makes the offsets visible; without AddOffsetsToTxn the commit is INVALID_TXN_STATE', async () => {
    const t = await startGroupCluster();
    t.cluster.createTopic('orders', { partitions: 2 });
    await t.settle();
    const coordinator = await t.findCoordinator('tg');
    const producer = new TxnProducer(t, { transactionalId: 'tx' });
    await producer.init();
    const commitOffsets = () =>
      t.call('producer', coordinator, ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx',
        groupId: 'tg',
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 33n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect(partitionErrors(await commitOffsets())).toEqual([[0, ErrorCode.INVALID_TXN_STATE]]);
    const added = await t.call('producer', producer.coordinator, ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx', producerId: producer.producerId, producerEpoch: producer.producerEpoch, groupId: 'tg' });
    expect(added.errorCode).toBe(ErrorCode.NONE);
    expect(partitionErrors(await commitOffsets())).toEqual([[0, ErrorCode.NONE]]);
    expect((await t.fetchOffsets(coordinator, 'tg', [{ topic: 'orders', partition: 0 }], { requireStable: true })).offsets[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    await producer.end(true);
    await t.settle(50);
    expect((await t.fetchOffsets(coordinator, 'tg', [{ topic: 'orders', partition: 0 }], { requireStable: true })).offsets[0]).toMatchObject({ offset: 33n, errorCode: ErrorCode.NONE });
  });
});
