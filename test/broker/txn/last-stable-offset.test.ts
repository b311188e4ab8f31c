/**
 * The last stable offset (KIP-98): the first offset of the oldest open transaction, bounded by the high watermark.
 * read_committed Fetch and ListOffsets stop there; read_uncommitted reads to the high watermark.
 */
import { describe, expect, it, vi } from 'vitest';
import { OFFSETS_TOPIC, coordinatorPartition } from '../../../src/broker/internal-topics.ts';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from '../handlers/support.ts';
import { MiniClient } from '../support/mini-client.ts';
import { fetchPartition, logContents, TxnProducer } from './support.ts';

async function oneBroker() {
  const t = await startCluster();
  t.cluster.createTopic('orders', { partitions: 1 });
  await t.settle();
  return t;
}

async function latestOffset(t: HandlerTestCluster, isolationLevel: number): Promise<bigint> {
  const response = await t.send(1, ApiKey.ListOffsets, 5, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  return response.topics[0].partitions[0].offset;
}

describe('transactions: last stable offset', () => {
  it('an open transaction holds the LSO at its first offset: read_committed stops below it while read_uncommitted reads past it; the oldest of two decides', async () => {
    const t = await oneBroker();
    await t.produce('orders', 0, ['p0']);
    const first = new TxnProducer(t, { transactionalId: 'tx-first' });
    const second = new TxnProducer(t, { transactionalId: 'tx-second' });
    await first.init();
    await second.init();
    await first.addPartitions([['orders', 0]]);
    await second.addPartitions([['orders', 0]]);
    await first.produce('orders', 0, ['f1']);
    await second.produce('orders', 0, ['s1']);
    await t.produce('orders', 0, ['p1']);
    await first.produce('orders', 0, ['f2']);

    let committed = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect([committed.highWatermark, committed.lastStableOffset, committed.delivered]).toEqual([5n, 1n, [[0n, 'p0']]]);
    expect([await latestOffset(t, 0), await latestOffset(t, 1)]).toEqual([5n, 1n]);
    const uncommitted = await fetchPartition(t, 'orders', 0, { isolationLevel: 0 });
    expect(uncommitted.batches.flatMap((b) => b.values)).toEqual(['p0', 'f1', 's1', 'p1', 'f2']);

    // The second commits first: the first, older, still holds the LSO.
    await second.end(true);
    await t.settle(50);
    committed = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect([committed.lastStableOffset, committed.delivered]).toEqual([1n, [[0n, 'p0']]]);
    await first.end(false);
    await t.settle(50);
    committed = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect({ lso: committed.lastStableOffset, aborted: committed.abortedTransactions, delivered: committed.delivered }).toEqual({
      lso: 7n,
      aborted: [{ producerId: first.producerId, firstOffset: 1n }],
      delivered: [
        [0n, 'p0'],
        [2n, 's1'],
        [3n, 'p1'],
      ],
    });
    expect(await latestOffset(t, 1)).toBe(7n);
    // A fetch starting at the ABORT marker still overlaps the transaction; past it nothing is listed.
    const atMarker = await fetchPartition(t, 'orders', 0, { isolationLevel: 1, fetchOffset: 6n });
    expect([atMarker.abortedTransactions, atMarker.delivered]).toEqual([[{ producerId: first.producerId, firstOffset: 1n }], []]);
    await t.produce('orders', 0, ['p2']);
    const tail = await fetchPartition(t, 'orders', 0, { isolationLevel: 1, fetchOffset: 7n });
    expect([tail.abortedTransactions, tail.delivered]).toEqual([[], [[7n, 'p2']]]);
  });

  it('a read_committed long poll waits while the LSO is held and answers when the commit marker moves it', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-poll' });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['later']);
    // Another connection: Kafka processes one request per connection at a time.
    const consumer = new MiniClient(t.cluster, t.runtime, 'client-2');
    const polling = consumer.request(1, ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 3_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const started = t.runtime.now();
    await t.settle(1_000);
    await producer.end(true);
    const response = await t.run(polling);
    expect(t.runtime.now() - started).toBeLessThan(1_100);
    expect(response.responses[0].partitions[0].lastStableOffset).toBe(2n);
  });

  it('AddOffsetsToTxn puts the group\'s __consumer_offsets partition in the transaction: the marker is written there and the group coordinator is told', async () => {
    const t = await oneBroker();
    // FindCoordinator(group) creates __consumer_offsets lazily, as Kafka does.
    const lookup = () => t.cluster.broker(1).groupCoordinator.findCoordinator('consumers');
    lookup();
    await t.settle(200);
    expect(lookup().errorCode).toBe(ErrorCode.NONE);
    const offsetsPartition = coordinatorPartition('consumers', t.cluster.metadata.topics.get(OFFSETS_TOPIC)!.partitions.length);
    const completed = vi.spyOn(t.cluster.broker(1).groupCoordinator, 'completeTransaction');

    const producer = new TxnProducer(t, { transactionalId: 'tx-eos' });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    const added = await t.send(producer.coordinator, ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx-eos', producerId: producer.producerId, producerEpoch: 0, groupId: 'consumers' });
    expect(added.errorCode).toBe(ErrorCode.NONE);
    const metadata = t.cluster.broker(producer.coordinator).transactionCoordinator.state.getTransactionState('tx-eos').entry!.metadata;
    expect(metadata.partitions()).toEqual([
      { topic: OFFSETS_TOPIC, partition: offsetsPartition },
      { topic: 'orders', partition: 0 },
    ]);
    await producer.produce('orders', 0, ['out']);
    await producer.end(true);
    await t.settle(50);
    expect(completed.mock.calls).toEqual([[offsetsPartition, producer.producerId, 0, true]]);
    const markers = (await logContents(t, OFFSETS_TOPIC, offsetsPartition)).filter((b) => b.marker !== null);
    expect(markers.map((b) => [b.marker, b.producerId])).toEqual([['COMMIT', producer.producerId]]);
  });

  it('DescribeTransactions and ListTransactions show the coordinator\'s view', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-described', transactionTimeoutMs: 20_000 });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    const described = await t.send(1, ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-described', 'tx-nobody', ''] });
    expect(described.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState, s.producerId, s.transactionTimeoutMs, s.topics])).toEqual([
      ['tx-described', ErrorCode.NONE, 'Ongoing', producer.producerId, 20_000, [{ topic: 'orders', partitions: [0] }]],
      ['tx-nobody', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, '', 0n, 0, []],
      ['', ErrorCode.INVALID_REQUEST, '', 0n, 0, []],
    ]);
    const listed = await t.send(1, ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    expect([listed.errorCode, listed.unknownStateFilters, listed.transactionStates]).toEqual([
      ErrorCode.NONE,
      ['Bogus'],
      [{ transactionalId: 'tx-described', producerId: producer.producerId, transactionState: 'Ongoing' }],
    ]);
    const none = await t.send(1, ApiKey.ListTransactions, 0, { stateFilters: ['CompleteCommit'], producerIdFilters: [] });
    expect(none.transactionStates).toEqual([]);
  });
});
