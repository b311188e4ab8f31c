/**
 * Idempotent producers (KIP-98) as the broker sees them: sequence numbers per producer id and epoch, checked by
 * the leader and tracked by followers too, so a retried batch is recognised as a duplicate even by a new leader.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey, encodeRecordBatch, ErrorCode } from '../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './handlers/support.ts';

interface IdempotentBatch {
  readonly producerId: bigint;
  readonly epoch: number;
  readonly sequence: number;
  readonly values: string[];
  readonly baseTimestamp?: bigint;
}

const encode = (batch: IdempotentBatch) =>
  encodeRecordBatch({
    baseTimestamp: batch.baseTimestamp ?? 1_000n,
    producerId: batch.producerId,
    producerEpoch: batch.epoch,
    baseSequence: batch.sequence,
    records: batch.values.map((value, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from(value), headers: [] })),
  });

/** Sends one batch to partition 0's leader (acks=-1) and returns the partition answer. */
async function send(t: HandlerTestCluster, topic: string, records: Buffer, brokerId?: number) {
  const leader = brokerId ?? t.cluster.partitionState(topic, 0).leader;
  const response = await t.send(leader, ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5_000,
    transactionalId: null,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const answer = response.responses[0].partitionResponses[0];
  return { errorCode: answer.errorCode, baseOffset: answer.baseOffset };
}

async function producerId(t: HandlerTestCluster): Promise<bigint> {
  const response = await t.send(1, ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000 });
  expect([response.errorCode, response.producerEpoch]).toEqual([ErrorCode.NONE, 0]);
  return response.producerId;
}

const values = async (t: HandlerTestCluster, topic: string) => (await t.run(t.client.fetchAll(topic, 0))).records.map((r) => r.value);

async function oneBroker() {
  const t = await startCluster();
  t.cluster.createTopic('idem', { partitions: 1 });
  await t.settle();
  return { t, pid: await producerId(t) };
}

describe('idempotent produce', () => {
  it('the same batch (producer id, epoch, base sequence) sent twice is appended once; the retry answers NONE with the first base offset', async () => {
    const { t, pid } = await oneBroker();
    await t.produce('idem', 0, ['plain']);
    const batch = encode({ producerId: pid, epoch: 0, sequence: 0, values: ['a', 'b'] });
    expect(await send(t, 'idem', batch)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect(await send(t, 'idem', batch)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect(t.cluster.partitionState('idem', 0).logEndOffset).toBe(3n);
    expect(await values(t, 'idem')).toEqual(['plain', 'a', 'b']);
    // The next sequence still follows the first append.
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 2, values: ['c'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 3n });
  });

  it('the duplicate\'s answer carries the original batch\'s max timestamp as logAppendTimeMs and the log start offset (UnifiedLog.append)', async () => {
    // Kafka: `case Some(duplicate) => appendInfo.setLogAppendTime(duplicate.timestamp)`, the batch's maxTimestamp.
    const { t, pid } = await oneBroker();
    const batch = encode({ producerId: pid, epoch: 0, sequence: 0, values: ['a', 'b'], baseTimestamp: 4_000n });
    await send(t, 'idem', batch);
    const retry = await t.send(1, ApiKey.Produce, 9, { acks: -1, timeoutMs: 5_000, transactionalId: null, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: batch }] }] });
    const answer = retry.responses[0].partitionResponses[0];
    expect({ errorCode: answer.errorCode, baseOffset: answer.baseOffset, logAppendTimeMs: answer.logAppendTimeMs, logStartOffset: answer.logStartOffset }).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 0n,
      logAppendTimeMs: 4_001n,
      logStartOffset: 0n,
    });
  });

  it('a gap in the sequence is OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing', async () => {
    const { t, pid } = await oneBroker();
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 0, values: ['a', 'b'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 3, values: ['d'] }))).toEqual({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n });
    expect(t.cluster.partitionState('idem', 0).logEndOffset).toBe(2n);
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 2, values: ['c'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 2n });
  });

  it('a producer id the partition has no state for is accepted at any first sequence, here 5 (ProducerAppendInfo.checkSequence since KIP-360)', async () => {
    // Kafka: with no entry the current epoch is NO_PRODUCER_EPOCH, and "If there is no current producer epoch (possibly
    // because all producer records have been deleted due to retention or the DeleteRecords API) accept writes with any
    // sequence number"; a new epoch of a known producer must still start at 0.
    const { t, pid } = await oneBroker();
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 5, values: ['five'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 0, sequence: 6, values: ['six'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
  });

  it('a new epoch must start at sequence 0, and a batch from an older epoch after a newer one is INVALID_PRODUCER_EPOCH', async () => {
    const { t, pid } = await oneBroker();
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 1, sequence: 0, values: ['e1'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 2, sequence: 1, values: ['e2-late'] }))).toEqual({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n });
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 2, sequence: 0, values: ['e2'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect(await send(t, 'idem', encode({ producerId: pid, epoch: 1, sequence: 1, values: ['zombie'] }))).toEqual({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1n });
    expect(await values(t, 'idem')).toEqual(['e1', 'e2']);
  });

  it('duplicates are recognised only among the last five batches: a retry of the sixth-newest is OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const { t, pid } = await oneBroker();
    const batches = Array.from({ length: 6 }, (_, sequence) => encode({ producerId: pid, epoch: 0, sequence, values: [`m${sequence}`] }));
    for (const [offset, batch] of batches.entries()) expect(await send(t, 'idem', batch)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: BigInt(offset) });
    expect(await send(t, 'idem', batches[1])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect(await send(t, 'idem', batches[5])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 5n });
    expect(await send(t, 'idem', batches[0])).toEqual({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n });
    expect(t.cluster.partitionState('idem', 0).logEndOffset).toBe(6n);
  });

  it('a batch retried after a leader failover is deduplicated by the new leader: the leader crashed after replicating it but before its answer reached the client (RF 3, acks=all)', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('failover', { assignments: [[1, 2, 3]] });
    await t.settle(1_000);
    const pid = await producerId(t);
    const batch = encode({ producerId: pid, epoch: 0, sequence: 0, values: ['once'] });

    const dropped = t.network.intercept(ApiKey.Produce, () => ({ action: 'drop' }), { direction: 'response' });
    await expect(send(t, 'failover', batch, 1)).rejects.toThrow(/timed out/);
    expect(dropped.hits).toBe(1);
    const before = t.cluster.partitionState('failover', 0);
    expect(before.highWatermark).toBe(1n);
    expect(before.replicaStates.map((r) => r.logEndOffset)).toEqual([1n, 1n, 1n]);

    t.cluster.crashBroker(1);
    await t.settle(12_000); // broker.session.timeout.ms is 9 s
    const after = t.cluster.partitionState('failover', 0);
    expect(after.leader).not.toBe(1);
    expect(after.leader).toBeGreaterThan(0);

    expect(await send(t, 'failover', batch)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(t.cluster.partitionState('failover', 0).logEndOffset).toBe(1n);
    await t.run(t.client.refreshMetadata());
    expect(await values(t, 'failover')).toEqual(['once']);
    expect(await send(t, 'failover', encode({ producerId: pid, epoch: 0, sequence: 1, values: ['next'] }))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    t.cluster.checkInvariants();
  });
});
