/**
 * Consume-transform-produce (KIP-98, KIP-447) across both coordinators: AddOffsetsToTxn puts the group's
 * `__consumer_offsets` partition in the transaction, TxnOffsetCommit stores the offsets as pending, and the
 * transaction's marker on that partition makes them visible (commit) or drops them (abort), together with the output.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from '../handlers/support.ts';
import { fetchPartition, TxnProducer } from './support.ts';

async function groupCoordinator(t: HandlerTestCluster, groupId: string): Promise<number> {
  for (let round = 0; round < 50; round++) {
    const response = await t.send(1, ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0 });
    if (response.errorCode === ErrorCode.NONE) return response.nodeId;
    await t.settle(100);
  }
  throw new Error('no group coordinator');
}

async function committedOffset(t: HandlerTestCluster, coordinator: number, groupId: string): Promise<bigint> {
  const response = await t.send(coordinator, ApiKey.OffsetFetch, 6, { groupId, topics: [{ name: 'input', partitionIndexes: [0] }] });
  return response.topics[0].partitions[0].committedOffset;
}

async function transformOnce(t: HandlerTestCluster, producer: TxnProducer, groupCoordinatorId: number, offset: bigint, commit: boolean) {
  await producer.addPartitions([['output', 0]]);
  const added = await t.send(producer.coordinator, ApiKey.AddOffsetsToTxn, 3, { transactionalId: producer.transactionalId, producerId: producer.producerId, producerEpoch: producer.producerEpoch, groupId: 'transformers' });
  expect(added.errorCode).toBe(ErrorCode.NONE);
  expect((await producer.produce('output', 0, [`out-${offset}`])).errorCode).toBe(ErrorCode.NONE);
  const stored = await t.send(groupCoordinatorId, ApiKey.TxnOffsetCommit, 3, {
    transactionalId: producer.transactionalId,
    groupId: 'transformers',
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'input', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  expect(stored.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
  await producer.end(commit);
  await t.settle(100);
}

describe('transactions: exactly-once with consumer offsets', () => {
  it('committed offsets become visible with the output when the transaction commits, and not at all when it aborts', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('input', { partitions: 1, replicationFactor: 3 });
    t.cluster.createTopic('output', { partitions: 1, replicationFactor: 3 });
    await t.settle();
    const groupCoordinatorId = await groupCoordinator(t, 'transformers');
    const producer = new TxnProducer(t, { transactionalId: 'tx-eos' });
    await producer.init();

    await transformOnce(t, producer, groupCoordinatorId, 10n, true);
    expect(await committedOffset(t, groupCoordinatorId, 'transformers')).toBe(10n);
    expect((await fetchPartition(t, 'output', 0, { isolationLevel: 1 })).delivered).toEqual([[0n, 'out-10']]);

    await transformOnce(t, producer, groupCoordinatorId, 20n, false);
    expect(await committedOffset(t, groupCoordinatorId, 'transformers')).toBe(10n);
    expect((await fetchPartition(t, 'output', 0, { isolationLevel: 1 })).delivered).toEqual([[0n, 'out-10']]);

    await transformOnce(t, producer, groupCoordinatorId, 30n, true);
    expect(await committedOffset(t, groupCoordinatorId, 'transformers')).toBe(30n);
    expect((await fetchPartition(t, 'output', 0, { isolationLevel: 1 })).delivered.map(([, v]) => v)).toEqual(['out-10', 'out-30']);
  });
});
