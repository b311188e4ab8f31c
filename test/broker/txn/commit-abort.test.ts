/**
 * Transactions end to end on the broker (KIP-98): a transactional producer adds partitions, writes, and commits or
 * aborts; the coordinator writes COMMIT/ABORT markers to every partition; read_committed consumers see committed
 * records only, with aborted ones filtered through the aborted-transaction lists.
 */
import { describe, expect, it } from 'vitest';
import { coordinatorPartition, TRANSACTION_STATE_TOPIC } from '../../../src/broker/internal-topics.ts';
import { decodeTransactionLogKey, decodeTransactionLogValue } from '../../../src/broker/txn/transaction-log.ts';
import { decodeRecordBatch, ErrorCode, splitBatches } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from '../handlers/support.ts';
import { fetchPartition, logContents, TxnProducer } from './support.ts';

async function cluster(brokers = 1, brokerConfig: Record<string, string | number | boolean> = {}) {
  const t = await startCluster({ brokers, brokerConfig });
  t.cluster.createTopic('orders', { partitions: 2, replicationFactor: Math.min(brokers, 3) });
  await t.settle();
  return t;
}

/** The coordinator's state for the id, from its cache. */
function stateOf(t: HandlerTestCluster, producer: TxnProducer) {
  return t.cluster.broker(producer.coordinator).transactionCoordinator.state.getTransactionState(producer.transactionalId).entry?.metadata;
}

describe('transactions: commit and abort', () => {
  it('commit: COMMIT markers land after the data in every partition of the transaction, the LSO passes them and read_committed delivers the records', async () => {
    const t = await cluster();
    const producer = new TxnProducer(t, { transactionalId: 'tx-commit' });
    await producer.init();
    expect([producer.producerEpoch, producer.producerId >= 0n]).toEqual([0, true]);
    await producer.addPartitions([
      ['orders', 0],
      ['orders', 1],
    ]);
    expect(stateOf(t, producer)?.state).toBe('Ongoing');
    expect(await producer.produce('orders', 0, ['a', 'b'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(await producer.produce('orders', 1, ['c'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });

    const before = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect({ hw: before.highWatermark, lso: before.lastStableOffset, delivered: before.delivered }).toEqual({ hw: 2n, lso: 0n, delivered: [] });

    expect(await producer.endOnce(true)).toBe(ErrorCode.NONE);
    await t.settle(50);
    expect(stateOf(t, producer)?.state).toBe('CompleteCommit');
    const p0 = await logContents(t, 'orders', 0);
    expect(p0.map((b) => [b.baseOffset, b.marker, b.values])).toEqual([
      [0n, null, ['a', 'b']],
      [2n, 'COMMIT', []],
    ]);
    expect(p0[1]).toMatchObject({ producerId: producer.producerId, producerEpoch: 0, isTransactional: true, coordinatorEpoch: 0 });
    expect((await logContents(t, 'orders', 1)).map((b) => [b.baseOffset, b.marker])).toEqual([
      [0n, null],
      [1n, 'COMMIT'],
    ]);
    const after = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect({ hw: after.highWatermark, lso: after.lastStableOffset, aborted: after.abortedTransactions, delivered: after.delivered }).toEqual({
      hw: 3n,
      lso: 3n,
      aborted: [],
      delivered: [
        [0n, 'a'],
        [1n, 'b'],
      ],
    });
  });

  it('abort: ABORT markers; read_committed lists the aborted transaction and a consumer filtering by it delivers nothing of it, read_uncommitted sees it all', async () => {
    const t = await cluster();
    await t.produce('orders', 0, ['plain-1']);
    const producer = new TxnProducer(t, { transactionalId: 'tx-abort' });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['x', 'y']);
    await t.produce('orders', 0, ['plain-2']);
    expect(await producer.endOnce(false)).toBe(ErrorCode.NONE);
    await t.settle(50);
    await t.produce('orders', 0, ['plain-3']);

    const committed = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect(committed.abortedTransactions).toEqual([{ producerId: producer.producerId, firstOffset: 1n }]);
    expect(committed.delivered).toEqual([
      [0n, 'plain-1'],
      [3n, 'plain-2'],
      [5n, 'plain-3'],
    ]);
    expect(committed.batches.map((b) => b.marker)).toEqual([null, null, null, 'ABORT', null]);
    const uncommitted = await fetchPartition(t, 'orders', 0, { isolationLevel: 0 });
    expect(uncommitted.abortedTransactions).toBeNull();
    expect(uncommitted.batches.flatMap((b) => b.values)).toEqual(['plain-1', 'x', 'y', 'plain-2', 'plain-3']);
    expect(stateOf(t, producer)?.state).toBe('CompleteAbort');

    // The aborted transaction is in the .txnindex of the segment holding its marker.
    const segments = t.cluster.segments('orders', 0);
    expect(segments.map((s) => [s.txnIndexFileName, s.abortedTransactions])).toEqual([
      ['00000000000000000000.txnindex', [{ producerId: producer.producerId, firstOffset: 1n, lastOffset: 4n, lastStableOffset: 5n }]],
    ]);
  });

  it('the state of the transactional id is in __transaction_state as Kafka writes it: Empty, Ongoing, PrepareCommit, CompleteCommit', async () => {
    const t = await cluster();
    const producer = new TxnProducer(t, { transactionalId: 'tx-log', transactionTimeoutMs: 30_000 });
    await producer.init();
    await producer.addPartitions([['orders', 1]]);
    await producer.produce('orders', 1, ['a']);
    await producer.end(true);
    await t.settle(50);
    const partition = t.cluster.broker(1).transactionCoordinator.state.partitionFor('tx-log');
    expect(partition).toBe(coordinatorPartition('tx-log', 50));
    const replica = t.cluster.broker(1).replicas.get(`${TRANSACTION_STATE_TOPIC}-${partition}`)!;
    const read = replica.log.read(0n, { maxBytes: 1 << 20 });
    const states = splitBatches(read.records).batches.flatMap((batch) =>
      decodeRecordBatch(batch).records.map((r) => {
        const m = decodeTransactionLogValue(decodeTransactionLogKey(r.key!)!, r.value!);
        return [m.state, m.producerId, m.producerEpoch, m.txnTimeoutMs, m.partitions().map((tp) => `${tp.topic}-${tp.partition}`)];
      }),
    );
    const pid = producer.producerId;
    expect(states).toEqual([
      ['Empty', pid, 0, 30_000, []],
      ['Ongoing', pid, 0, 30_000, ['orders-1']],
      ['PrepareCommit', pid, 0, 30_000, ['orders-1']],
      ['CompleteCommit', pid, 0, 30_000, []],
    ]);
    // Kafka's topic configs for __transaction_state.
    expect(Object.fromEntries(t.cluster.metadata.topics.get(TRANSACTION_STATE_TOPIC)!.configs)).toEqual({
      'cleanup.policy': 'compact',
      'compression.type': 'uncompressed',
      'min.insync.replicas': '1',
      'segment.bytes': '104857600',
      'unclean.leader.election.enable': 'false',
    });
  });
});
