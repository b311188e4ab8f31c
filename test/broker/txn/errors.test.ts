/**
 * What the coordinator and partition leaders answer to transactional requests that break the rules, as Kafka does:
 * state errors of EndTxn, CONCURRENT_TRANSACTIONS while markers are being written, unknown ids, wrong coordinators,
 * timeouts out of range, and the partition leader's checks of transactional batches (KIP-890 verification).
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster } from '../handlers/support.ts';
import { fetchPartition, TxnProducer } from './support.ts';

async function oneBroker(brokerConfig: Record<string, string | number | boolean> = {}) {
  const t = await startCluster({ brokerConfig });
  t.cluster.createTopic('orders', { partitions: 2 });
  await t.settle();
  return t;
}

describe('transactions: errors', () => {
  it('EndTxn follows the state machine: Empty is INVALID_TXN_STATE; after a commit, commit again is NONE and abort INVALID_TXN_STATE (and the other way round)', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-states' });
    await producer.init();
    expect(await producer.endOnce(true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await producer.endOnce(false)).toBe(ErrorCode.INVALID_TXN_STATE);
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['a']);
    await producer.end(true);
    await t.settle(50);
    expect(await producer.endOnce(true)).toBe(ErrorCode.NONE);
    expect(await producer.endOnce(false)).toBe(ErrorCode.INVALID_TXN_STATE);
    await producer.addPartitions([['orders', 0]]);
    await producer.end(false);
    await t.settle(50);
    expect(await producer.endOnce(false)).toBe(ErrorCode.NONE);
    expect(await producer.endOnce(true)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('while the markers of an ended transaction are being written, the next requests get CONCURRENT_TRANSACTIONS; once CompleteCommit is written they succeed', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-concurrent' });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    await producer.produce('orders', 0, ['a']);
    // Markers reach the leader only after 500 ms.
    const hold = t.network.intercept(ApiKey.WriteTxnMarkers, () => ({ action: 'delay', ms: 500 }));
    expect(await producer.endOnce(true)).toBe(ErrorCode.NONE);
    expect(await producer.addPartitionsOnce([['orders', 1]])).toEqual([ErrorCode.CONCURRENT_TRANSACTIONS]);
    expect(await producer.endOnce(true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    // The pending CompleteCommit answers before the state does, whatever the request (Kafka's endTransaction).
    expect(await producer.endOnce(false)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await producer.initOnce()).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    // Not visible to read_committed yet: no marker.
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).delivered).toEqual([]);
    await t.settle(600);
    expect(hold.hits).toBe(1);
    expect((await fetchPartition(t, 'orders', 0, { isolationLevel: 1 })).delivered).toEqual([[0n, 'a']]);
    expect(await producer.addPartitionsOnce([['orders', 1]])).toEqual([ErrorCode.NONE]);
  });

  it('unknown transactional ids and producer ids are INVALID_PRODUCER_ID_MAPPING; an empty id INVALID_REQUEST; a timeout out of range INVALID_TRANSACTION_TIMEOUT', async () => {
    const t = await oneBroker({ 'transaction.max.timeout.ms': 60_000 });
    const producer = new TxnProducer(t, { transactionalId: 'tx-known' });
    await producer.init();
    const coordinator = producer.coordinator;
    const add = (transactionalId: string, producerId: bigint, version = 3) =>
      t.send(coordinator, ApiKey.AddPartitionsToTxn, version, {
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [{ name: 'orders', partitions: [0] }],
      });
    const codes = async (p: ReturnType<typeof add>) => (await p).resultsByTopicV3AndBelow.flatMap((r) => r.resultsByPartition.map((x) => x.partitionErrorCode));
    expect(await codes(add('tx-never-initialized', producer.producerId))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(await codes(add('tx-known', producer.producerId + 100n))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(await codes(add('', producer.producerId))).toEqual([ErrorCode.INVALID_REQUEST]);
    const end = await t.send(coordinator, ApiKey.EndTxn, 3, { transactionalId: 'tx-known', producerId: producer.producerId + 1n, producerEpoch: 0, committed: true });
    expect(end.errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);

    const init = (transactionTimeoutMs: number, transactionalId = 'tx-timeout') => t.send(coordinator, ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs });
    expect((await init(60_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(60_000)).errorCode).toBe(ErrorCode.NONE);
    expect((await init(1_000, '')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // KIP-360 fields half set.
    const half = await t.send(coordinator, ApiKey.InitProducerId, 4, { transactionalId: 'tx-known', transactionTimeoutMs: 1_000, producerId: producer.producerId, producerEpoch: -1 });
    expect(half.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('an unknown topic fails the whole AddPartitionsToTxn: UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the rest, nothing added', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-unknown-topic' });
    await producer.init();
    expect(await producer.addPartitionsOnce([['orders', 0], ['orders', 7], ['missing', 0]])).toEqual([
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(t.cluster.broker(producer.coordinator).transactionCoordinator.state.getTransactionState('tx-unknown-topic').entry?.metadata.state).toBe('Empty');
  });

  it('only the coordinator answers for a transactional id: the other brokers say NOT_COORDINATOR', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('orders', { partitions: 1, replicationFactor: 3 });
    await t.settle();
    const producer = new TxnProducer(t, { transactionalId: 'tx-where' });
    const coordinator = await producer.findCoordinator();
    for (const id of [1, 2, 3].filter((b) => b !== coordinator)) {
      const response = await t.send(id, ApiKey.InitProducerId, 4, { transactionalId: 'tx-where', transactionTimeoutMs: 1_000 });
      expect([id, response.errorCode]).toEqual([id, ErrorCode.NOT_COORDINATOR]);
      const end = await t.send(id, ApiKey.EndTxn, 3, { transactionalId: 'tx-where', producerId: 1n, producerEpoch: 0, committed: true });
      expect(end.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    }
    await producer.init();
    expect(producer.producerEpoch).toBe(0);
  });

  it('KIP-890 part 1: a transactional batch for a partition not added to the transaction is INVALID_TXN_STATE, and nothing is appended', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-verify' });
    await producer.init();
    expect(await producer.produce('orders', 0, ['sneaky'])).toEqual({ errorCode: ErrorCode.INVALID_TXN_STATE, baseOffset: -1n });
    await producer.addPartitions([['orders', 1]]);
    expect((await producer.produce('orders', 0, ['sneaky'])).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await producer.produce('orders', 1, ['fine'])).errorCode).toBe(ErrorCode.NONE);
    expect(t.cluster.partitionState('orders', 0).logEndOffset).toBe(0n);
    // A batch naming an old epoch is refused by the coordinator's check as INVALID_PRODUCER_EPOCH.
    await producer.addPartitions([['orders', 0]]);
    expect((await producer.produce('orders', 0, ['old'], { epoch: producer.producerEpoch - 1 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('a transactional batch without a transactional id in the request is TRANSACTIONAL_ID_AUTHORIZATION_FAILED; a producer with an open transaction may not write outside it (INVALID_TXN_STATE)', async () => {
    const t = await oneBroker();
    const producer = new TxnProducer(t, { transactionalId: 'tx-rules' });
    await producer.init();
    await producer.addPartitions([['orders', 0]]);
    expect((await producer.produce('orders', 0, ['no-id'], { transactionalId: null })).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await producer.produce('orders', 0, ['in-txn'])).errorCode).toBe(ErrorCode.NONE);
    expect((await producer.produce('orders', 0, ['outside'], { transactional: false })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('with verification off (transaction.partition.verification.enable=false) a transactional batch opens a transaction at the leader by itself, as before KIP-890', async () => {
    const t = await oneBroker({ 'transaction.partition.verification.enable': false });
    const producer = new TxnProducer(t, { transactionalId: 'tx-unverified' });
    await producer.init();
    expect((await producer.produce('orders', 0, ['hanging'])).errorCode).toBe(ErrorCode.NONE);
    const read = await fetchPartition(t, 'orders', 0, { isolationLevel: 1 });
    expect([read.highWatermark, read.lastStableOffset]).toEqual([1n, 0n]);
  });
});
