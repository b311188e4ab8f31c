/**
 * Coordinator failover (three brokers): the transaction state lives in `__transaction_state`, so when the
 * coordinator's broker crashes the new leader of the id's partition replays it and carries on: an Ongoing
 * transaction can still be committed, a PrepareCommit left behind is completed by resending its markers, and markers
 * from the deposed coordinator's epoch are refused.
 */
import { describe, expect, it } from 'vitest';
import { TRANSACTION_STATE_TOPIC } from '../../../src/broker/internal-topics.ts';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from '../handlers/support.ts';
import { fetchPartition, logContents, TxnProducer } from './support.ts';

async function threeBrokers() {
  const t = await startCluster({ brokers: 3 });
  t.cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
  await t.settle();
  return t;
}

const metadataAt = (t: HandlerTestCluster, brokerId: number, transactionalId: string) =>
  t.cluster.broker(brokerId).transactionCoordinator.state.getTransactionState(transactionalId).entry?.metadata;

/** The leader epoch of the id's `__transaction_state` partition: the coordinator epoch markers carry. */
function coordinatorEpochOf(t: HandlerTestCluster, transactionalId: string): number {
  const partition = t.cluster.broker(1).transactionCoordinator.state.partitionFor(transactionalId);
  return t.cluster.metadata.topics.get(TRANSACTION_STATE_TOPIC)!.partitions[partition].leaderEpoch;
}

describe('transactions: coordinator failover', () => {
  it('the coordinator crashes while the transaction is Ongoing: the new coordinator knows it, and the producer commits there', async () => {
    const t = await threeBrokers();
    const producer = new TxnProducer(t, { transactionalId: 'tx-failover-ongoing' });
    await producer.init();
    await producer.addPartitions([['orders', 0], ['orders', 1]]);
    await producer.produce('orders', 0, ['a']);
    await producer.produce('orders', 1, ['b']);
    const old = producer.coordinator;
    t.cluster.crashBroker(old);
    await t.settle(12_000);
    const successor = await producer.findCoordinator();
    expect(successor).not.toBe(old);
    expect(metadataAt(t, successor, producer.transactionalId)).toMatchObject({ state: 'Ongoing', producerId: producer.producerId, producerEpoch: 0 });
    expect(metadataAt(t, successor, producer.transactionalId)!.partitions().map((tp) => tp.partition)).toEqual([0, 1]);

    await producer.end(true);
    await t.settle(200);
    expect(metadataAt(t, successor, producer.transactionalId)?.state).toBe('CompleteCommit');
    for (const [partition, value] of [[0, 'a'], [1, 'b']] as const) {
      const read = await fetchPartition(t, 'orders', partition, { isolationLevel: 1 });
      expect(read.delivered).toEqual([[0n, value]]);
      expect(read.batches.filter((b) => b.marker !== null).map((b) => [b.marker, b.coordinatorEpoch])).toEqual([['COMMIT', coordinatorEpochOf(t, producer.transactionalId)]]);
    }
    expect(coordinatorEpochOf(t, producer.transactionalId)).toBeGreaterThan(0);
  });

  it('the coordinator crashes after PrepareCommit but before any marker arrived: the new coordinator resends the markers and completes the commit', async () => {
    const t = await threeBrokers();
    const producer = new TxnProducer(t, { transactionalId: 'tx-failover-prepare' });
    await producer.init();
    await producer.addPartitions([['orders', 0], ['orders', 1]]);
    await producer.produce('orders', 0, ['a']);
    await producer.produce('orders', 1, ['b']);
    const lost = t.network.intercept(ApiKey.WriteTxnMarkers, () => ({ action: 'drop' }), { keep: true });
    expect(await producer.endOnce(true)).toBe(ErrorCode.NONE);
    await t.settle(100);
    const old = producer.coordinator;
    expect(metadataAt(t, old, producer.transactionalId)).toMatchObject({ state: 'PrepareCommit', pendingState: 'CompleteCommit' });
    expect(lost.hits).toBeGreaterThan(0);
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).delivered).toEqual([]);

    t.cluster.crashBroker(old);
    lost.remove();
    await t.settle(12_000);
    const successor = await producer.findCoordinator();
    expect(successor).not.toBe(old);
    expect(metadataAt(t, successor, producer.transactionalId)?.state).toBe('CompleteCommit');
    for (const [partition, value] of [[0, 'a'], [1, 'b']] as const) {
      expect((await fetchPartition(t, 'orders', partition, { isolationLevel: 1 })).delivered).toEqual([[0n, value]]);
    }
    // The producer's retry of EndTxn finds the commit done.
    expect(await producer.endOnce(true)).toBe(ErrorCode.NONE);

    // A marker from the deposed coordinator's epoch is refused where the new one wrote.
    const leader = t.cluster.metadata.topics.get('orders')!.partitions[0].leader;
    const zombie = await t.send(leader, ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: producer.producerId, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'orders', partitionIndexes: [0] }] }],
    });
    expect(zombie.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect((await logContents(t, 'orders', 0)).map((b) => b.marker)).toEqual([null, 'COMMIT']);
  });

  it('the coordinator crashes during Ongoing and the producer never returns: the new coordinator aborts the transaction when it times out', async () => {
    const t = await threeBrokers();
    const producer = new TxnProducer(t, { transactionalId: 'tx-failover-orphan', transactionTimeoutMs: 20_000 });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['orphan']);
    t.cluster.crashBroker(producer.coordinator);
    await t.settle(12_000);
    const successor = await producer.findCoordinator();
    expect(metadataAt(t, successor, producer.transactionalId)?.state).toBe('Ongoing');
    await t.settle(20_000);
    expect(metadataAt(t, successor, producer.transactionalId)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    const read = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect([read.lastStableOffset, read.delivered, read.abortedTransactions]).toEqual([2n, [], [{ producerId: producer.producerId, firstOffset: 0n }]]);
  });

  it('a restarted coordinator broker that lost the partition forgets its transactions and answers NOT_COORDINATOR', async () => {
    const t = await threeBrokers();
    const producer = new TxnProducer(t, { transactionalId: 'tx-failover-restart' });
    await producer.init();
    const old = producer.coordinator;
    t.cluster.crashBroker(old);
    await t.settle(12_000);
    t.cluster.restartBroker(old);
    await t.settle(5_000);
    // Leadership stays with the successor (no preferred leader election here).
    expect(await producer.findCoordinator()).not.toBe(old);
    expect(t.cluster.broker(old).transactionCoordinator.state.ownedPartitions()).toEqual([]);
    const asked = await t.send(old, ApiKey.InitProducerId, 4, { transactionalId: producer.transactionalId, transactionTimeoutMs: 1_000 });
    expect(asked.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await producer.initOnce()).toBe(ErrorCode.NONE);
    expect(producer.producerEpoch).toBe(1);
  });
});
