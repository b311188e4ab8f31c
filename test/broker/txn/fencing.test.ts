/**
 * Producer fencing (KIP-98, KIP-360): a new InitProducerId for a transactional id bumps the epoch and fences the
 * previous producer, aborting its open transaction first; the coordinator aborts and fences transactions that
 * outlive their timeout.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from '../handlers/support.ts';
import { fetchPartition, logContents, TxnProducer } from './support.ts';

async function oneBroker(brokerConfig: Record<string, string | number | boolean> = {}) {
  const t = await startCluster({ brokerConfig });
  t.cluster.createTopic('orders', { partitions: 2 });
  await t.settle();
  return t;
}

const metadataOf = (t: HandlerTestCluster, p: TxnProducer) => t.cluster.broker(p.coordinator).transactionCoordinator.state.getTransactionState(p.transactionalId).entry!.metadata;

describe('transactions: fencing', () => {
  it('a second InitProducerId while the first producer has a transaction open aborts it under a bumped epoch (CONCURRENT_TRANSACTIONS until done), then hands out the epoch after that', async () => {
    const t = await oneBroker();
    const zombie = new TxnProducer(t, { transactionalId: 'tx-fence' });
    await zombie.init();
    await zombie.addPartitions([['orders', 0], ['orders', 1]]);
    await zombie.produce('orders', 0, ['zombie-0']);
    await zombie.produce('orders', 1, ['zombie-1']);

    const successor = new TxnProducer(t, { transactionalId: 'tx-fence' });
    expect(await successor.initOnce()).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(metadataOf(t, successor)).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    await t.settle(50);
    expect(metadataOf(t, successor)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(await successor.initOnce()).toBe(ErrorCode.NONE);
    expect([successor.producerId, successor.producerEpoch]).toEqual([zombie.producerId, 2]);

    // The markers carry the fencing epoch, which the partitions now hold for the producer.
    for (const partition of [0, 1]) {
      const batches = await logContents(t, 'orders', partition);
      expect(batches.map((b) => [b.marker, b.producerEpoch])).toEqual([
        [null, 0],
        ['ABORT', 1],
      ]);
    }
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).delivered).toEqual([]);

    // The zombie is fenced everywhere: partition leaders, AddPartitionsToTxn and EndTxn (by version).
    expect((await zombie.produce('orders', 0, ['late'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await zombie.addPartitionsOnce([['orders', 0]])).toEqual([ErrorCode.PRODUCER_FENCED]);
    const oldAdd = new TxnProducer(t, { transactionalId: 'tx-fence', addPartitionsVersion: 1, endTxnVersion: 1 });
    Object.assign(oldAdd, { coordinator: zombie.coordinator, producerId: zombie.producerId, producerEpoch: zombie.producerEpoch });
    expect(await oldAdd.addPartitionsOnce([['orders', 0]])).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await zombie.endOnce(true, 3)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await zombie.endOnce(true, 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    // The successor's transactions work.
    await successor.addPartitions([['orders', 0]]);
    expect((await successor.produce('orders', 0, ['fresh'])).errorCode).toBe(ErrorCode.NONE);
    await successor.end(true);
    await t.settle(50);
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).delivered).toEqual([[2n, 'fresh']]);
  });

  it('InitProducerId on an idle transactional id bumps the epoch; the old epoch is fenced without any marker', async () => {
    const t = await oneBroker();
    const first = new TxnProducer(t, { transactionalId: 'tx-idle' });
    await first.init();
    const second = new TxnProducer(t, { transactionalId: 'tx-idle' });
    expect(await second.initOnce()).toBe(ErrorCode.NONE);
    expect([second.producerId, second.producerEpoch]).toEqual([first.producerId, 1]);
    expect(await first.addPartitionsOnce([['orders', 0]])).toEqual([ErrorCode.PRODUCER_FENCED]);
    expect(await logContents(t, 'orders', 0)).toEqual([]);
  });

  it('KIP-360: InitProducerId naming the current producer id and epoch bumps it; a retry naming the previous epoch gets the same epoch again; a stale one is PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v4)', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-kip360' });
    await producer.init();
    const pid = producer.producerId;
    expect(await producer.initOnce({ producerId: pid, producerEpoch: 0 })).toBe(ErrorCode.NONE);
    expect(producer.producerEpoch).toBe(1);
    // The answer was lost; the retry names epoch 0 again.
    expect(await producer.initOnce({ producerId: pid, producerEpoch: 0 })).toBe(ErrorCode.NONE);
    expect(producer.producerEpoch).toBe(1);
    // Another producer bumps to 2 (no expectation), so epoch 1 is now stale.
    const other = new TxnProducer(t, { transactionalId: 'tx-kip360' });
    await other.init();
    expect(other.producerEpoch).toBe(2);
    expect(await producer.initOnce({ producerId: pid, producerEpoch: 1 })).toBe(ErrorCode.PRODUCER_FENCED);
    const v3 = await t.send(producer.coordinator, ApiKey.InitProducerId, 3, { transactionalId: 'tx-kip360', transactionTimeoutMs: 1_000, producerId: pid, producerEpoch: 1 });
    expect(v3.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const wrongId = await t.send(producer.coordinator, ApiKey.InitProducerId, 5, { transactionalId: 'tx-kip360', transactionTimeoutMs: 1_000, producerId: pid + 7n, producerEpoch: 2 });
    expect(wrongId.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('a transaction older than its timeout is aborted by the coordinator at its next check, and its producer fenced', async () => {
    const t = await oneBroker({ 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000 });
    const producer = new TxnProducer(t, { transactionalId: 'tx-slow', transactionTimeoutMs: 5_000 });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['slow']);
    await t.produce('orders', 0, ['after']);
    await t.settle(4_000);
    expect(metadataOf(t, producer).state).toBe('Ongoing');
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).lastStableOffset).toBe(0n);
    await t.settle(2_500);
    expect(metadataOf(t, producer)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    const read = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect({ lso: read.lastStableOffset, aborted: read.abortedTransactions, delivered: read.delivered }).toEqual({
      lso: 3n,
      aborted: [{ producerId: producer.producerId, firstOffset: 0n }],
      delivered: [[1n, 'after']],
    });
    expect(await producer.endOnce(true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await producer.produce('orders', 0, ['zombie'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('transactional ids idle longer than transactional.id.expiration.ms are forgotten (a tombstone); the next InitProducerId starts over with a new producer id', async () => {
    const t = await oneBroker({ 'transactional.id.expiration.ms': 60_000, 'transaction.remove.expired.transaction.cleanup.interval.ms': 10_000 });
    const producer = new TxnProducer(t, { transactionalId: 'tx-expire' });
    await producer.init();
    const coordinator = t.cluster.broker(producer.coordinator).transactionCoordinator;
    await t.settle(50_000);
    expect(coordinator.state.getTransactionState('tx-expire').entry).not.toBeNull();
    await t.settle(25_000);
    expect(coordinator.state.getTransactionState('tx-expire').entry).toBeNull();
    const again = new TxnProducer(t, { transactionalId: 'tx-expire' });
    await again.init();
    expect(again.producerEpoch).toBe(0);
    expect(again.producerId).not.toBe(producer.producerId);
  });
});
