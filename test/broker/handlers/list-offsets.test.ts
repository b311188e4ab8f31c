import { describe, expect, it } from 'vitest';
import { ApiKey, encodeRecordBatch, ErrorCode } from '../../../src/protocol/index.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;

/** One v2 batch whose records carry exactly these timestamps. */
const batchWithTimestamps = (timestamps: bigint[]) =>
  encodeRecordBatch({
    baseTimestamp: timestamps[0],
    records: timestamps.map((ts, i) => ({ offsetDelta: i, timestampDelta: Number(ts - timestamps[0]), key: null, value: Buffer.from(`at-${ts}`), headers: [] })),
  });

async function produceBatch(t: HandlerTestCluster, topic: string, batch: Buffer) {
  const leader = t.cluster.metadata.topics.get(topic)!.partitions[0].leader;
  const response = await t.send(leader, ApiKey.Produce, 9, { acks: -1, timeoutMs: 5_000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
}

/** ListOffsets for partition 0 of a topic; the partition answer. */
async function listOffset(t: HandlerTestCluster, brokerId: number, topic: string, timestamp: bigint, options: { version?: number; isolationLevel?: number; maxNumOffsets?: number; replicaId?: number } = {}) {
  const response = await t.send(brokerId, ApiKey.ListOffsets, options.version ?? 7, {
    replicaId: options.replicaId ?? -1,
    isolationLevel: options.isolationLevel ?? 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: options.maxNumOffsets ?? 1 }] }],
  });
  return response.topics[0].partitions[0];
}

const offsetAnswer = (answer: { errorCode: number; timestamp: bigint; offset: bigint; leaderEpoch: number }) => ({
  errorCode: answer.errorCode,
  timestamp: answer.timestamp,
  offset: answer.offset,
  leaderEpoch: answer.leaderEpoch,
});

/** Records at offsets 0, 1, 2 with timestamps 1000, 2000 (one batch) and 3000 (another). */
async function threeTimestamps() {
  const t = await startCluster();
  t.cluster.createTopic('times', { partitions: 1 });
  await t.settle();
  await produceBatch(t, 'times', batchWithTimestamps([1_000n, 2_000n]));
  await produceBatch(t, 'times', batchWithTimestamps([3_000n]));
  return t;
}

describe('ListOffsets', () => {
  it('earliest (-2) is the log start offset and latest (-1) the high watermark, with no timestamp', async () => {
    const t = await threeTimestamps();
    expect(offsetAnswer(await listOffset(t, 1, 'times', EARLIEST))).toEqual({ errorCode: ErrorCode.NONE, timestamp: -1n, offset: 0n, leaderEpoch: 0 });
    expect(offsetAnswer(await listOffset(t, 1, 'times', LATEST))).toEqual({ errorCode: ErrorCode.NONE, timestamp: -1n, offset: 3n, leaderEpoch: 0 });
    const deleted = await t.send(1, ApiKey.DeleteRecords, 2, { topics: [{ name: 'times', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 5_000 });
    expect(deleted.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await listOffset(t, 1, 'times', EARLIEST)).offset).toBe(2n);
  });

  it('a timestamp finds the first record at or after it, with that record\'s timestamp, also inside a batch', async () => {
    const t = await threeTimestamps();
    expect(offsetAnswer(await listOffset(t, 1, 'times', 500n))).toEqual({ errorCode: ErrorCode.NONE, timestamp: 1_000n, offset: 0n, leaderEpoch: 0 });
    expect(offsetAnswer(await listOffset(t, 1, 'times', 1_500n))).toEqual({ errorCode: ErrorCode.NONE, timestamp: 2_000n, offset: 1n, leaderEpoch: 0 });
    expect(offsetAnswer(await listOffset(t, 1, 'times', 2_000n))).toEqual({ errorCode: ErrorCode.NONE, timestamp: 2_000n, offset: 1n, leaderEpoch: 0 });
    expect(offsetAnswer(await listOffset(t, 1, 'times', 2_001n))).toEqual({ errorCode: ErrorCode.NONE, timestamp: 3_000n, offset: 2n, leaderEpoch: 0 });
  });

  it('a timestamp after the last record answers NONE with timestamp -1, offset -1 and leader epoch -1 (Kafka\'s buildErrorResponse(NONE))', async () => {
    // ReplicaManager.fetchOffset: OffsetResultHolder(None, None) => buildErrorResponse(Errors.NONE, partition), whose
    // leaderEpoch keeps the schema default -1.
    const t = await threeTimestamps();
    expect(offsetAnswer(await listOffset(t, 1, 'times', 3_001n))).toEqual({ errorCode: ErrorCode.NONE, timestamp: -1n, offset: -1n, leaderEpoch: -1 });
  });

  it('max timestamp (-3, v7+) is the offset of the record with the largest timestamp, not the last record (KIP-734)', async () => {
    const t = await startCluster();
    t.cluster.createTopic('peaks', { partitions: 1 });
    await t.settle();
    await produceBatch(t, 'peaks', batchWithTimestamps([1_000n, 5_000n, 2_000n]));
    await produceBatch(t, 'peaks', batchWithTimestamps([3_000n]));
    expect(offsetAnswer(await listOffset(t, 1, 'peaks', MAX_TIMESTAMP, { version: 7 }))).toEqual({ errorCode: ErrorCode.NONE, timestamp: 5_000n, offset: 1n, leaderEpoch: 0 });
  });

  it('max timestamp (-3) before v7 is UNSUPPORTED_VERSION for the partition (ReplicaManager.isListOffsetsTimestampUnsupported)', async () => {
    const t = await threeTimestamps();
    expect(offsetAnswer(await listOffset(t, 1, 'times', MAX_TIMESTAMP, { version: 6 }))).toEqual({ errorCode: ErrorCode.UNSUPPORTED_VERSION, timestamp: -1n, offset: -1n, leaderEpoch: -1 });
  });

  // Found while writing the request fuzzer (test/broker/request-fuzz.property.test.ts, which now checks it): a
  // partition named twice was answered twice as if asked once; Kafka's ReplicaManager.fetchOffset refuses duplicates and answers each once.
  it('v1+: a partition named twice (also under two topic entries) is INVALID_REQUEST, answered once; the others are answered', async () => {
    const t = await threeTimestamps();
    const p = (partitionIndex: number) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: LATEST, maxNumOffsets: 1 });
    const response = await t.send(1, ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: 'times', partitions: [p(0)] },
        { name: 'ghost', partitions: [p(0)] },
        { name: 'times', partitions: [p(0)] },
      ],
    });
    expect(response.topics.map((topic) => [topic.name, topic.partitions.map((x) => [x.partitionIndex, x.errorCode])])).toEqual([
      ['times', [[0, ErrorCode.INVALID_REQUEST]]],
      ['ghost', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
  });

  it('v0 answers in oldStyleOffsets: [log start offset] for earliest, [high watermark] for latest (maxNumOffsets 1)', async () => {
    const t = await threeTimestamps();
    const earliest = await listOffset(t, 1, 'times', EARLIEST, { version: 0 });
    const latest = await listOffset(t, 1, 'times', LATEST, { version: 0 });
    expect([earliest.errorCode, earliest.oldStyleOffsets]).toEqual([ErrorCode.NONE, [0n]]);
    expect([latest.errorCode, latest.oldStyleOffsets]).toEqual([ErrorCode.NONE, [3n]]);
  });

  it('v1-v3 (what KafkaJS 2.2.4 sends) answer the offset and timestamp; the leader epoch field only exists from v4', async () => {
    const t = await threeTimestamps();
    for (const version of [1, 2, 3]) {
      const latest = await listOffset(t, 1, 'times', LATEST, { version });
      const byTime = await listOffset(t, 1, 'times', 1_500n, { version });
      expect({ version, latest: offsetAnswer(latest), byTime: offsetAnswer(byTime) }).toEqual({
        version,
        latest: { errorCode: ErrorCode.NONE, timestamp: -1n, offset: 3n, leaderEpoch: -1 },
        byTime: { errorCode: ErrorCode.NONE, timestamp: 2_000n, offset: 1n, leaderEpoch: -1 },
      });
    }
  });

  it('only the leader answers: a follower and a broker without a replica say NOT_LEADER_OR_FOLLOWER; latest is the high watermark, not the log end', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('led', { assignments: [[1, 2]] });
    await t.settle(1_000);
    await t.produce('led', 0, ['a', 'b']);
    await t.settle(1_000);
    const notLeader = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    expect(offsetAnswer(await listOffset(t, 2, 'led', LATEST))).toEqual(notLeader);
    expect(offsetAnswer(await listOffset(t, 3, 'led', LATEST))).toEqual(notLeader);
    expect(offsetAnswer(await listOffset(t, 1, 'nope', LATEST))).toEqual({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n, leaderEpoch: -1 });

    // The follower stops fetching: an acks=1 append raises the leader's log end but not its high watermark.
    t.network.partition(['broker-1'], ['broker-2']);
    expect(await t.run(t.client.produce('led', 0, ['c'], 1))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 2n });
    expect(t.cluster.partitionState('led', 0).logEndOffset).toBe(3n);
    expect((await listOffset(t, 1, 'led', LATEST)).offset).toBe(2n);
  });

  it('only the consumer id (-1) is held to the high watermark: a follower id, the debugging id -2 and any other id read to the log end, and -2 may ask a follower', async () => {
    // Kafka's ReplicaManager.fetchOffset passes an isolation level only when replicaId is CONSUMER_REPLICA_ID, and
    // fetchOnlyFromLeader is false for DEBUGGING_REPLICA_ID: Partition.fetchOffsetForTimestamp then uses the log end.
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('led', { assignments: [[1, 2]] });
    await t.settle(1_000);
    await t.produce('led', 0, ['a', 'b']);
    await t.settle(1_000);
    t.network.partition(['broker-1'], ['broker-2']);
    expect(await t.run(t.client.produce('led', 0, ['c'], 1))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 2n });
    const latest = async (brokerId: number, replicaId: number) => {
      const answer = await listOffset(t, brokerId, 'led', LATEST, { replicaId });
      return [answer.errorCode, answer.offset];
    };
    expect(await latest(1, -1)).toEqual([ErrorCode.NONE, 2n]);
    expect(await latest(1, 2)).toEqual([ErrorCode.NONE, 3n]);
    expect(await latest(1, -2)).toEqual([ErrorCode.NONE, 3n]);
    expect(await latest(1, -3)).toEqual([ErrorCode.NONE, 3n]);
    // The follower answers the debugging id from its own copy (it has offsets 0 and 1), nobody else.
    expect(await latest(2, -2)).toEqual([ErrorCode.NONE, 2n]);
    expect(await latest(2, -1)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n]);
  });

  it('an isolation level other than 0 and 1 (v2+) is UNKNOWN_SERVER_ERROR for every partition named (a duplicate answered once)', async () => {
    // Kafka: ListOffsetsRequest.isolationLevel() is IsolationLevel.forId, which throws IllegalArgumentException;
    // KafkaApis answers with the request's getErrorResponse, Errors.forException = UNKNOWN_SERVER_ERROR.
    const t = await threeTimestamps();
    for (const isolationLevel of [2, -1, 127]) {
      const response = await t.send(1, ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: 'times', partitions: [0, 0, 5].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: LATEST, maxNumOffsets: 1 })) }],
      });
      expect(response.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset, p.timestamp])).toEqual(
        [0, 5].map((partitionIndex) => [partitionIndex, ErrorCode.UNKNOWN_SERVER_ERROR, -1n, -1n]),
      );
    }
    expect(offsetAnswer(await listOffset(t, 1, 'times', LATEST, { isolationLevel: 1 })).errorCode).toBe(ErrorCode.NONE);
  });
});
