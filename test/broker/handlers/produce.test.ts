import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  computeBatchCrc,
  decodeRecordBatch,
  encodeMessageSet,
  encodeRecordBatch,
  ErrorCode,
  splitBatches,
  TimestampType,
  type ProduceResponse,
} from '../../../src/protocol/index.ts';
import type { NetworkEvent } from '../../../src/network/index.ts';
import { MiniClient } from '../support/mini-client.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

/** A plain (non-idempotent) v2 batch; record i has timestamp 1000 + i. */
const batchOf = (values: string[]): Buffer =>
  encodeRecordBatch({
    baseTimestamp: 1_000n,
    records: values.map((value, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from(value), headers: [] })),
  });

interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: Buffer | null;
}

/** One Produce request to one broker, partitions grouped by topic in request order. */
function produceRaw(t: HandlerTestCluster, brokerId: number, parts: PartitionRecords[], options: { acks?: number; version?: number; timeoutMs?: number } = {}) {
  const topics = new Map<string, Array<{ index: number; records: Buffer | null }>>();
  for (const part of parts) topics.set(part.topic, [...(topics.get(part.topic) ?? []), { index: part.partition, records: part.records }]);
  return t.send(brokerId, ApiKey.Produce, options.version ?? 9, {
    acks: options.acks ?? 1,
    timeoutMs: options.timeoutMs ?? 5_000,
    transactionalId: null,
    topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
  });
}

const answers = (response: ProduceResponse) =>
  response.responses.flatMap((topic) =>
    topic.partitionResponses.map((p) => ({
      topic: topic.name,
      index: p.index,
      errorCode: p.errorCode,
      baseOffset: p.baseOffset,
      logAppendTimeMs: p.logAppendTimeMs,
      logStartOffset: p.logStartOffset,
    })),
  );

const failedAnswer = (topic: string, index: number, errorCode: number) => ({ topic, index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n });

const logEndOffset = (t: HandlerTestCluster, topic: string, partition: number) => t.cluster.partitionState(topic, partition).logEndOffset;

describe('Produce', () => {
  it('acks=1 answers each batch with its base offset, logAppendTime -1 (CreateTime) and the log start offset', async () => {
    const t = await startCluster();
    t.cluster.createTopic('orders', { partitions: 1 });
    await t.settle();
    expect(answers(await produceRaw(t, 1, [{ topic: 'orders', partition: 0, records: batchOf(['a', 'b']) }]))).toEqual([
      { topic: 'orders', index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n },
    ]);
    expect(answers(await produceRaw(t, 1, [{ topic: 'orders', partition: 0, records: batchOf(['c']) }]))).toEqual([
      { topic: 'orders', index: 0, errorCode: ErrorCode.NONE, baseOffset: 2n, logAppendTimeMs: -1n, logStartOffset: 0n },
    ]);
    expect((await t.run(t.client.fetchAll('orders', 0))).records.map((r) => [r.offset, r.value])).toEqual([
      [0n, 'a'],
      [1n, 'b'],
      [2n, 'c'],
    ]);
  });

  it('acks=0 gets no response frame at all, and the batch is still appended', async () => {
    const t = await startCluster();
    t.cluster.createTopic('fire', { partitions: 1 });
    await t.settle();
    await t.run(t.client.refreshMetadata());
    const events: NetworkEvent[] = [];
    t.network.onTrace((event) => events.push(event));
    await t.run(t.client.request(1, ApiKey.Produce, 9, { acks: 0, timeoutMs: 5_000, transactionalId: null, topicData: [{ name: 'fire', partitionData: [{ index: 0, records: batchOf(['x']) }] }] }, false));
    await t.settle(1_000);
    const produceEvents = events.filter((e) => e.apiKey === ApiKey.Produce);
    expect(produceEvents.map((e) => [e.kind, e.outcome])).toEqual([['request', 'delivered']]);
    expect(logEndOffset(t, 'fire', 0)).toBe(1n);
  });

  it('acks=-1 answers only once every ISR member has the records: with a follower cut off, after that follower leaves the ISR', async () => {
    const t = await startCluster({ brokers: 3, brokerConfig: { 'replica.lag.time.max.ms': 10_000 } });
    t.cluster.createTopic('durable', { assignments: [[1, 2, 3]] });
    await t.settle(1_000);
    // Broker 3 still heartbeats to the controller (so it is not fenced) but can no longer fetch from the leader.
    t.network.partition(['broker-3'], ['broker-1']);
    // A client whose requests wait longer than the produce timeout, so the broker's answer decides.
    const patient = new MiniClient(t.cluster, t.runtime, 'client-2', 120_000);
    await t.run(patient.refreshMetadata());
    const startedMs = t.runtime.now();
    let answeredMs = -1;
    const pending = patient
      .request(1, ApiKey.Produce, 9, { acks: -1, timeoutMs: 60_000, transactionalId: null, topicData: [{ name: 'durable', partitionData: [{ index: 0, records: batchOf(['kept']) }] }] })
      .then((response) => {
        answeredMs = t.runtime.now();
        return { response, isrWhenAnswered: t.cluster.partitionState('durable', 0).isr };
      });
    await t.runtime.advance(5_000);
    expect(answeredMs).toBe(-1);
    const state = t.cluster.partitionState('durable', 0);
    expect(state.logEndOffset).toBe(1n);
    expect(state.highWatermark).toBe(0n);
    expect(state.replicaStates.map((r) => r.logEndOffset)).toEqual([1n, 1n, 0n]);

    const { response, isrWhenAnswered } = await t.run(pending);
    expect(answers(response)).toEqual([{ topic: 'durable', index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n }]);
    expect(isrWhenAnswered).toEqual([1, 2]);
    expect(answeredMs - startedMs).toBeGreaterThanOrEqual(10_000);
    expect(answeredMs - startedMs).toBeLessThan(20_000);
  });

  // Found by the request fuzzer (test/broker/request-fuzz.property.test.ts): a client could write into the
  // coordinators' own logs, which only the coordinators (and Kafka's admin client id) may append to.
  it('an internal topic is INVALID_TOPIC_EXCEPTION for an ordinary client (ReplicaManager: "Cannot append to internal topic") and nothing is appended', async () => {
    const t = await startCluster();
    await t.send(1, ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] });
    await t.settle(1_000);
    const before = logEndOffset(t, '__consumer_offsets', 0);
    for (const acks of [1, -1]) {
      const response = await produceRaw(t, 1, [{ topic: '__consumer_offsets', partition: 0, records: batchOf(['garbage']) }], { acks });
      expect(answers(response)).toEqual([failedAnswer('__consumer_offsets', 0, ErrorCode.INVALID_TOPIC_EXCEPTION)]);
    }
    expect(logEndOffset(t, '__consumer_offsets', 0)).toBe(before);
  });

  // Found by the request fuzzer: Kafka keys a Produce request's partitions by TopicPartition, so a partition
  // listed twice is appended once, with the records of its last entry, and answered once.
  it('a partition listed twice in one request is appended once, with its last entry\'s records, and answered once', async () => {
    const t = await startCluster();
    t.cluster.createTopic('dup', { partitions: 2 });
    await t.settle();
    const response = await t.send(1, ApiKey.Produce, 9, {
      acks: 1,
      timeoutMs: 5_000,
      transactionalId: null,
      topicData: [
        { name: 'dup', partitionData: [{ index: 0, records: batchOf(['first']) }, { index: 1, records: batchOf(['one']) }] },
        { name: 'dup', partitionData: [{ index: 0, records: batchOf(['second']) }] },
      ],
    });
    expect(response.responses.map((topic) => [topic.name, topic.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])])).toEqual([
      ['dup', [[0, ErrorCode.NONE, 0n], [1, ErrorCode.NONE, 0n]]],
    ]);
    expect([logEndOffset(t, 'dup', 0), logEndOffset(t, 'dup', 1)]).toEqual([1n, 1n]);
    const fetched = await t.run(t.client.fetchAll('dup', 0));
    expect(fetched.records.map((r) => r.value)).toEqual(['second']);
  });

  // Found by the request fuzzer: the magic byte lies outside the CRC, so a batch claiming magic 3 passed the CRC
  // check and the handler threw on reading its header, closing the connection instead of answering.
  it('a batch whose magic byte says 3 is CORRUPT_MESSAGE ("Invalid magic found in record"), in v2 and v9', async () => {
    const t = await startCluster();
    t.cluster.createTopic('magic', { partitions: 1 });
    await t.settle();
    const batch = Buffer.from(batchOf(['a']));
    batch[16] = 3;
    for (const version of [2, 9]) {
      const response = await produceRaw(t, 1, [{ topic: 'magic', partition: 0, records: batch }], { version });
      expect(answers(response)).toEqual([failedAnswer('magic', 0, ErrorCode.CORRUPT_MESSAGE)]);
    }
    expect(logEndOffset(t, 'magic', 0)).toBe(0n);
  });

  // Found by the request fuzzer: an unknown codec id under a valid CRC threw out of the handler. Kafka's
  // CompressionType.forId throws IllegalArgumentException there, which ReplicaManager maps to UNKNOWN_SERVER_ERROR.
  it('a batch with codec id 5 and a valid CRC is UNKNOWN_SERVER_ERROR, as Kafka answers it, and appends nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('codec', { partitions: 1 });
    await t.settle();
    const batch = Buffer.from(batchOf(['a']));
    batch.writeInt16BE(5, 21);
    batch.writeUInt32BE(computeBatchCrc(batch), 17);
    const response = await produceRaw(t, 1, [{ topic: 'codec', partition: 0, records: batch }]);
    expect(answers(response)).toEqual([failedAnswer('codec', 0, ErrorCode.UNKNOWN_SERVER_ERROR)]);
    expect(logEndOffset(t, 'codec', 0)).toBe(0n);
  });

  it('acks=2 is INVALID_REQUIRED_ACKS for every partition and appends nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('acks', { partitions: 2 });
    await t.settle();
    const response = await produceRaw(
      t,
      1,
      [
        { topic: 'acks', partition: 0, records: batchOf(['a']) },
        { topic: 'acks', partition: 1, records: batchOf(['b']) },
      ],
      { acks: 2 },
    );
    expect(answers(response)).toEqual([failedAnswer('acks', 0, ErrorCode.INVALID_REQUIRED_ACKS), failedAnswer('acks', 1, ErrorCode.INVALID_REQUIRED_ACKS)]);
    expect([logEndOffset(t, 'acks', 0), logEndOffset(t, 'acks', 1)]).toEqual([0n, 0n]);
  });

  it('a batch larger than the topic\'s max.message.bytes is MESSAGE_TOO_LARGE and nothing is appended', async () => {
    const t = await startCluster();
    t.cluster.createTopic('small', { partitions: 1, configs: { 'max.message.bytes': 200 } });
    await t.settle();
    const big = batchOf(['x'.repeat(300)]);
    expect(big.length).toBeGreaterThan(200);
    expect(answers(await produceRaw(t, 1, [{ topic: 'small', partition: 0, records: big }]))).toEqual([failedAnswer('small', 0, ErrorCode.MESSAGE_TOO_LARGE)]);
    expect(logEndOffset(t, 'small', 0)).toBe(0n);
    // The limit is the topic's: a batch under it goes to offset 0, proving nothing was appended before.
    expect(answers(await produceRaw(t, 1, [{ topic: 'small', partition: 0, records: batchOf(['ok']) }]))[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
  });

  it('a batch with one flipped byte in its records is CORRUPT_MESSAGE and appends nothing; the other partition of the request is appended', async () => {
    const t = await startCluster();
    t.cluster.createTopic('crc', { partitions: 2 });
    await t.settle();
    const corrupt = Buffer.from(batchOf(['hello']));
    corrupt[corrupt.length - 2] ^= 0xff; // inside the records section, which the CRC-32C covers
    const response = await produceRaw(t, 1, [
      { topic: 'crc', partition: 0, records: corrupt },
      { topic: 'crc', partition: 1, records: batchOf(['fine']) },
    ]);
    expect(answers(response)).toEqual([
      failedAnswer('crc', 0, ErrorCode.CORRUPT_MESSAGE),
      { topic: 'crc', index: 1, errorCode: ErrorCode.NONE, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n },
    ]);
    expect([logEndOffset(t, 'crc', 0), logEndOffset(t, 'crc', 1)]).toEqual([0n, 1n]);
  });

  it('a batch cut short (fewer bytes than its length field says) is INVALID_RECORD and appends nothing, as Kafka\'s ProduceRequest.validateRecords finds no whole batch', async () => {
    // Kafka: ByteBufferLogInputStream.nextBatch returns null for a partial batch, so validateRecords (v3+) throws
    // InvalidRecordException("... must have at least one record batch per partition"), INVALID_RECORD (87).
    const t = await startCluster();
    t.cluster.createTopic('cut', { partitions: 1 });
    await t.settle();
    const whole = batchOf(['abcdef', 'ghijkl']);
    const response = await produceRaw(t, 1, [{ topic: 'cut', partition: 0, records: whole.subarray(0, whole.length - 5) }]);
    expect(answers(response)).toEqual([failedAnswer('cut', 0, ErrorCode.INVALID_RECORD)]);
    expect(logEndOffset(t, 'cut', 0)).toBe(0n);
  });

  it('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and Produce does not auto-create it (auto.create.topics.enable is on)', async () => {
    const t = await startCluster();
    await t.settle();
    expect(t.cluster.config.bool('auto.create.topics.enable')).toBe(true);
    const response = await produceRaw(t, 1, [{ topic: 'ghost', partition: 0, records: batchOf(['boo']) }]);
    expect(answers(response)).toEqual([failedAnswer('ghost', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]);
    await t.settle(1_000);
    expect(t.cluster.metadata.topics.has('ghost')).toBe(false);
  });

  it('a broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER; from v10 with the leader and its endpoint (KIP-951)', async () => {
    // Kafka's KafkaApis.handleProduceRequest fills currentLeader and nodeEndpoints for v10+.
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('elsewhere', { assignments: [[2]] });
    await t.settle();
    const v9 = await produceRaw(t, 1, [{ topic: 'elsewhere', partition: 0, records: batchOf(['a']) }], { version: 9 });
    expect(answers(v9)).toEqual([failedAnswer('elsewhere', 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)]);
    const v10 = await produceRaw(t, 1, [{ topic: 'elsewhere', partition: 0, records: batchOf(['a']) }], { version: 10 });
    expect(answers(v10)).toEqual([failedAnswer('elsewhere', 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)]);
    expect(v10.responses[0].partitionResponses[0].currentLeader).toEqual({ leaderId: 2, leaderEpoch: 0 });
    const leader = t.cluster.broker(2).address;
    expect(v10.nodeEndpoints).toEqual([{ nodeId: 2, host: leader.host, port: leader.port, rack: null }]);
    expect(logEndOffset(t, 'elsewhere', 0)).toBe(0n);
  });

  it('a v3+ request with two batches for a partition is INVALID_RECORD even on a broker that does not lead it (validateRecords runs before the leadership check)', async () => {
    // Kafka's KafkaApis.handleProduceRequest calls ProduceRequest.validateRecords for every partition it knows
    // before ReplicaManager.appendRecords looks for the leader; v2 skips that validation.
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('elsewhere', { assignments: [[2]] });
    await t.settle();
    const two = Buffer.concat([batchOf(['a']), batchOf(['b'])]);
    const v9 = await produceRaw(t, 1, [{ topic: 'elsewhere', partition: 0, records: two }], { version: 9 });
    expect(answers(v9)).toEqual([failedAnswer('elsewhere', 0, ErrorCode.INVALID_RECORD)]);
    const v2 = await produceRaw(t, 1, [{ topic: 'elsewhere', partition: 0, records: two }], { version: 2 });
    expect(answers(v2)).toEqual([failedAnswer('elsewhere', 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)]);
    expect(logEndOffset(t, 'elsewhere', 0)).toBe(0n);
  });

  it('a legacy magic 1 message set (Produce v2) is appended as one v2 batch that Fetch v4+ returns with its keys, values and timestamps', async () => {
    const t = await startCluster();
    t.cluster.createTopic('legacy', { partitions: 1 });
    await t.settle();
    const messageSet = encodeMessageSet(
      [
        { offset: 0n, timestamp: 5_000n, key: Buffer.from('k1'), value: Buffer.from('old') },
        { offset: 1n, timestamp: 5_007n, key: null, value: Buffer.from('school') },
      ],
      { magic: 1 },
    );
    const response = await produceRaw(t, 1, [{ topic: 'legacy', partition: 0, records: messageSet }], { version: 2 });
    expect(response.responses[0].partitionResponses[0]).toMatchObject({ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n, logAppendTimeMs: -1n });

    const fetched = await t.send(1, ApiKey.Fetch, 4, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: 'legacy', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const { batches } = splitBatches(fetched.responses[0].partitions[0].records ?? Buffer.alloc(0));
    expect(batches).toHaveLength(1);
    const batch = decodeRecordBatch(batches[0]);
    expect({ magic: batch.magic, baseOffset: batch.baseOffset, producerId: batch.producerId, timestampType: batch.timestampType }).toEqual({
      magic: 2,
      baseOffset: 0n,
      producerId: -1n,
      timestampType: TimestampType.CreateTime,
    });
    expect(
      batch.records.map((r) => ({
        offset: batch.baseOffset + BigInt(r.offsetDelta),
        timestamp: batch.baseTimestamp + BigInt(r.timestampDelta),
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
      })),
    ).toEqual([
      { offset: 0n, timestamp: 5_000n, key: 'k1', value: 'old' },
      { offset: 1n, timestamp: 5_007n, key: null, value: 'school' },
    ]);
  });

  it('on a LogAppendTime topic the answer carries the broker\'s clock at the append, and the stored batch is stamped with it', async () => {
    const t = await startCluster();
    t.cluster.createTopic('stamped', { partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    await t.settle();
    await t.run(t.client.refreshMetadata()); // opens the connection, so the request takes exactly the 1 ms link latency
    const sentMs = t.runtime.now();
    const response = await produceRaw(t, 1, [{ topic: 'stamped', partition: 0, records: batchOf(['a', 'b']) }]);
    const appendedAt = BigInt(sentMs + 1);
    expect(answers(response)).toEqual([{ topic: 'stamped', index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n, logAppendTimeMs: appendedAt, logStartOffset: 0n }]);
    expect(appendedAt).not.toBe(1_000n);

    const fetched = await t.send(1, ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: 'stamped', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const batch = decodeRecordBatch(splitBatches(fetched.responses[0].partitions[0].records!).batches[0]);
    expect({ timestampType: batch.timestampType, maxTimestamp: batch.maxTimestamp }).toEqual({ timestampType: TimestampType.LogAppendTime, maxTimestamp: appendedAt });
  });
});
