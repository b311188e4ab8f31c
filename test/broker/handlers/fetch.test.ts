import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  decodeMessageSet,
  decodeRecordBatch,
  encodeRecordBatch,
  ErrorCode,
  splitBatches,
  type FetchResponse,
} from '../../../src/protocol/index.ts';
import type { NetworkEvent } from '../../../src/network/index.ts';
import { MiniClient } from '../support/mini-client.ts';
import { startCluster, type HandlerTestCluster } from './support.ts';

interface FetchTarget {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes?: number;
  readonly currentLeaderEpoch?: number;
}

interface FetchOptions {
  readonly version?: number;
  readonly maxWaitMs?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly isolationLevel?: number;
}

/** The body of a consumer Fetch (topics by name, so versions 0-12). */
function fetchBody(targets: FetchTarget[], options: FetchOptions = {}) {
  const topics = new Map<string, FetchTarget[]>();
  for (const target of targets) topics.set(target.topic, [...(topics.get(target.topic) ?? []), target]);
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 1 << 20,
    isolationLevel: options.isolationLevel ?? 0,
    topics: [...topics].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

const fetch = (t: HandlerTestCluster, brokerId: number, targets: FetchTarget[], options: FetchOptions = {}) =>
  t.send(brokerId, ApiKey.Fetch, options.version ?? 12, fetchBody(targets, options));

const partitionsOf = (response: FetchResponse) => response.responses.flatMap((topic) => topic.partitions);

/** [offset, value] of every record in a v2 records blob. */
function recordsOf(records: Buffer | null): Array<[bigint, string | null]> {
  const out: Array<[bigint, string | null]> = [];
  for (const batch of splitBatches(records ?? Buffer.alloc(0)).batches) {
    const decoded = decodeRecordBatch(batch);
    for (const record of decoded.records) out.push([decoded.baseOffset + BigInt(record.offsetDelta), record.value?.toString() ?? null]);
  }
  return out;
}

const batchSizes = (records: Buffer | null) => splitBatches(records ?? Buffer.alloc(0)).batches.map((b) => b.length);

describe('Fetch', () => {
  it('a consumer reads only below the high watermark: acks=1 records the followers have not fetched stay invisible (RF 3)', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('hw', { assignments: [[1, 2, 3]] });
    await t.settle(1_000);
    await t.produce('hw', 0, ['committed']);
    await t.settle(1_000);
    t.network.partition(['broker-1'], ['broker-2', 'broker-3']);
    expect(await t.run(t.client.produce('hw', 0, ['pending-1', 'pending-2'], 1))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    expect(t.cluster.partitionState('hw', 0).logEndOffset).toBe(3n);

    const [fromStart] = partitionsOf(await fetch(t, 1, [{ topic: 'hw', partition: 0, fetchOffset: 0n }]));
    expect({ errorCode: fromStart.errorCode, highWatermark: fromStart.highWatermark, records: recordsOf(fromStart.records) }).toEqual({
      errorCode: ErrorCode.NONE,
      highWatermark: 1n,
      records: [[0n, 'committed']],
    });
    // Between the high watermark and the log end: not out of range, just nothing to read yet.
    const [aboveHw] = partitionsOf(await fetch(t, 1, [{ topic: 'hw', partition: 0, fetchOffset: 2n }]));
    expect({ errorCode: aboveHw.errorCode, highWatermark: aboveHw.highWatermark, records: recordsOf(aboveHw.records) }).toEqual({
      errorCode: ErrorCode.NONE,
      highWatermark: 1n,
      records: [],
    });

    t.network.heal();
    await t.settle(60_000);
    const [healed] = partitionsOf(await fetch(t, 1, [{ topic: 'hw', partition: 0, fetchOffset: 0n }]));
    expect({ highWatermark: healed.highWatermark, records: recordsOf(healed.records) }).toEqual({
      highWatermark: 3n,
      records: [
        [0n, 'committed'],
        [1n, 'pending-1'],
        [2n, 'pending-2'],
      ],
    });
  });

  it('long poll: on an empty partition minBytes 1 and maxWaitMs 5000 answers empty after exactly 5000 virtual ms at the broker', async () => {
    const t = await startCluster();
    t.cluster.createTopic('quiet', { partitions: 1 });
    await t.settle();
    // A consumer's request timeout is longer than its fetch wait (KafkaJS adds maxWaitTime to it).
    const consumer = new MiniClient(t.cluster, t.runtime, 'consumer-1', 30_000);
    await t.run(consumer.refreshMetadata()); // opens the connection first
    const events: NetworkEvent[] = [];
    t.network.onTrace((event) => events.push(event));
    const sentMs = t.runtime.now();
    const response = await t.run(consumer.request(1, ApiKey.Fetch, 12, fetchBody([{ topic: 'quiet', partition: 0, fetchOffset: 0n }], { maxWaitMs: 5_000, minBytes: 1 })));
    const [answer] = partitionsOf(response);
    expect({ errorCode: answer.errorCode, records: recordsOf(answer.records) }).toEqual({ errorCode: ErrorCode.NONE, records: [] });
    // 1 ms to the broker, 5000 ms parked there, 1 ms back.
    expect(t.runtime.now() - sentMs).toBe(5_002);
    const arrived = events.find((e) => e.kind === 'request' && e.apiKey === ApiKey.Fetch && e.outcome === 'delivered')!;
    const answered = events.find((e) => e.kind === 'response' && e.apiKey === ApiKey.Fetch && e.outcome === 'delivered')!;
    expect(answered.sentMs! - arrived.atMs).toBe(5_000);
  });

  it('long poll: a produce arriving 1000 ms into the wait wakes the fetch at once with the new record', async () => {
    const t = await startCluster();
    t.cluster.createTopic('wake', { partitions: 1 });
    await t.settle();
    await t.run(t.client.refreshMetadata());
    // Kafka mutes a connection while a request is in progress, so the producer needs its own.
    const producer = new MiniClient(t.cluster, t.runtime, 'producer-1');
    await t.run(producer.refreshMetadata());
    const sentMs = t.runtime.now();
    t.runtime.timer(1_000, () => void producer.produce('wake', 0, ['ding'], 1), 'test:late-produce');
    const [answer] = partitionsOf(await fetch(t, 1, [{ topic: 'wake', partition: 0, fetchOffset: 0n }], { maxWaitMs: 5_000, minBytes: 1 }));
    const elapsed = t.runtime.now() - sentMs;
    expect(recordsOf(answer.records)).toEqual([[0n, 'ding']]);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThanOrEqual(1_010);
  });

  it('long poll: a leader that loses the partition answers its parked fetches at once with NOT_LEADER_OR_FOLLOWER (Kafka completes them, it does not let them wait out maxWaitMs)', async () => {
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('moving', { assignments: [[1, 2, 3]] });
    t.cluster.createTopic('staying', { assignments: [[2, 3, 1]] });
    await t.settle(1_000);
    await t.run(t.client.refreshMetadata());
    const sentMs = t.runtime.now();
    // The controller fences broker 1 (as when its heartbeats stop reaching it); broker 1 itself still runs and
    // hears the new image, in which broker 2 leads.
    t.runtime.timer(1_000, () => t.cluster.controller.fence(1), 'test:fence');
    const [answer] = partitionsOf(await fetch(t, 1, [{ topic: 'moving', partition: 0, fetchOffset: 0n }], { maxWaitMs: 5_000, minBytes: 1 }));
    const elapsed = t.runtime.now() - sentMs;
    expect(answer.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(t.cluster.partitionState('moving', 0).leader).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(1_100);

    // A deleted topic's parked fetch is answered at once too; one on a partition that stayed put waits its time.
    t.runtime.timer(1_000, () => t.cluster.controller.deleteTopic('moving'), 'test:delete');
    const deletedFrom = t.runtime.now();
    const [gone] = partitionsOf(await fetch(t, 2, [{ topic: 'moving', partition: 0, fetchOffset: 0n }], { maxWaitMs: 5_000, minBytes: 1 }));
    expect(gone.errorCode).not.toBe(ErrorCode.NONE);
    expect(t.runtime.now() - deletedFrom).toBeLessThan(1_100);
    const quietFrom = t.runtime.now();
    // (3000 ms: the test client gives up on a request after 5000.)
    const [quiet] = partitionsOf(await fetch(t, 2, [{ topic: 'staying', partition: 0, fetchOffset: 0n }], { maxWaitMs: 3_000, minBytes: 1 }));
    expect(quiet.errorCode).toBe(ErrorCode.NONE);
    expect(t.runtime.now() - quietFrom).toBeGreaterThanOrEqual(3_000);
  });

  it('partitionMaxBytes: the first batch comes back whole even when larger than the limit (KIP-74), and the limit stops before a batch that does not fit', async () => {
    const t = await startCluster();
    t.cluster.createTopic('sized', { partitions: 1 });
    await t.settle();
    for (const value of ['first-batch', 'second-batch', 'third-batch']) await t.produce('sized', 0, [value]);
    const [all] = partitionsOf(await fetch(t, 1, [{ topic: 'sized', partition: 0, fetchOffset: 0n }]));
    const sizes = batchSizes(all.records);
    expect(sizes).toHaveLength(3);

    const [one] = partitionsOf(await fetch(t, 1, [{ topic: 'sized', partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 }]));
    expect(batchSizes(one.records)).toEqual([sizes[0]]);
    expect(recordsOf(one.records)).toEqual([[0n, 'first-batch']]);

    const [two] = partitionsOf(await fetch(t, 1, [{ topic: 'sized', partition: 0, fetchOffset: 0n, partitionMaxBytes: sizes[0] + sizes[1] }]));
    expect(recordsOf(two.records)).toEqual([
      [0n, 'first-batch'],
      [1n, 'second-batch'],
    ]);
    expect(two.records!.length).toBe(sizes[0] + sizes[1]);
  });

  it('maxBytes bounds the whole answer: the first non-empty partition still gets its first batch, the next one gets nothing', async () => {
    const t = await startCluster();
    t.cluster.createTopic('pair', { partitions: 2 });
    await t.settle();
    await t.produce('pair', 0, ['zero']);
    await t.produce('pair', 1, ['one']);
    const targets = [
      { topic: 'pair', partition: 0, fetchOffset: 0n },
      { topic: 'pair', partition: 1, fetchOffset: 0n },
    ];
    const tight = partitionsOf(await fetch(t, 1, targets, { maxBytes: 1 }));
    expect(tight.map((p) => [p.partitionIndex, p.errorCode, recordsOf(p.records)])).toEqual([
      [0, ErrorCode.NONE, [[0n, 'zero']]],
      [1, ErrorCode.NONE, []],
    ]);
    const roomy = partitionsOf(await fetch(t, 1, targets, { maxBytes: tight[0].records!.length * 2 }));
    expect(roomy.map((p) => recordsOf(p.records))).toEqual([[[0n, 'zero']], [[0n, 'one']]]);
  });

  it('below the log start offset (after DeleteRecords) and above the log end offset is OFFSET_OUT_OF_RANGE; at the log end offset it is an empty answer', async () => {
    const t = await startCluster();
    t.cluster.createTopic('range', { partitions: 1 });
    await t.settle();
    await t.produce('range', 0, ['a', 'b', 'c', 'd', 'e']);
    const deleted = await t.send(1, ApiKey.DeleteRecords, 2, { topics: [{ name: 'range', partitions: [{ partitionIndex: 0, offset: 3n }] }], timeoutMs: 5_000 });
    expect(deleted.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);

    // The five records are one batch, which Kafka returns whole; a consumer skips offsets below its position.
    const at = async (fetchOffset: bigint) => {
      const [answer] = partitionsOf(await fetch(t, 1, [{ topic: 'range', partition: 0, fetchOffset }]));
      return [answer.errorCode, recordsOf(answer.records).filter(([offset]) => offset >= fetchOffset)];
    };
    expect(await at(2n)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, []]);
    expect(await at(6n)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, []]);
    expect(await at(5n)).toEqual([ErrorCode.NONE, []]);
    expect(await at(3n)).toEqual([
      ErrorCode.NONE,
      [
        [3n, 'd'],
        [4n, 'e'],
      ],
    ]);
  });

  it('a partition answered with an error carries -1 as high watermark, last stable offset and log start offset (Kafka\'s ReplicaManager.createLogReadResult)', async () => {
    const t = await startCluster();
    t.cluster.createTopic('errors', { partitions: 1 });
    await t.settle();
    await t.produce('errors', 0, ['a', 'b']);
    const [outOfRange] = partitionsOf(await fetch(t, 1, [{ topic: 'errors', partition: 0, fetchOffset: 9n }]));
    const [unknownEpoch] = partitionsOf(await fetch(t, 1, [{ topic: 'errors', partition: 0, fetchOffset: 0n, currentLeaderEpoch: 7 }]));
    for (const answer of [outOfRange, unknownEpoch]) {
      expect({ highWatermark: answer.highWatermark, lastStableOffset: answer.lastStableOffset, logStartOffset: answer.logStartOffset }).toEqual({
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
      });
    }
    expect([outOfRange.errorCode, unknownEpoch.errorCode]).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_LEADER_EPOCH]);
  });

  it('Fetch v0-3 answer legacy message sets: magic 0 (no timestamps) for v0-1, magic 1 with the record timestamps for v2-3', async () => {
    const t = await startCluster();
    t.cluster.createTopic('old', { partitions: 1 });
    await t.settle();
    const batch = encodeRecordBatch({
      baseTimestamp: 7_000n,
      records: [
        { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('v0'), headers: [] },
        { offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('v1'), headers: [] },
      ],
    });
    await t.send(1, ApiKey.Produce, 9, { acks: 1, timeoutMs: 5_000, transactionalId: null, topicData: [{ name: 'old', partitionData: [{ index: 0, records: batch }] }] });
    for (const [version, magic, timestamps] of [
      [0, 0, [-1n, -1n]],
      [1, 0, [-1n, -1n]],
      [2, 1, [7_000n, 7_005n]],
      [3, 1, [7_000n, 7_005n]],
    ] as const) {
      const [answer] = partitionsOf(await fetch(t, 1, [{ topic: 'old', partition: 0, fetchOffset: 0n }], { version }));
      expect(answer.errorCode).toBe(ErrorCode.NONE);
      expect(answer.highWatermark).toBe(2n);
      const messages = decodeMessageSet(answer.records!);
      expect(messages.map((m) => ({ offset: m.offset, magic: m.magic, timestamp: m.timestamp, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null }))).toEqual([
        { offset: 0n, magic, timestamp: timestamps[0], key: 'k', value: 'v0' },
        { offset: 1n, magic, timestamp: timestamps[1], key: null, value: 'v1' },
      ]);
    }
  });

  it('currentLeaderEpoch (v9+): older than the leader\'s is FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH, equal or -1 reads', async () => {
    const t = await startCluster({ brokers: 2 });
    t.cluster.createTopic('epochs', { assignments: [[1, 2]] });
    await t.settle(1_000);
    t.cluster.shutdownBroker(1); // leadership moves to broker 2 at leader epoch 1
    await t.settle(1_000);
    expect(t.cluster.partitionState('epochs', 0)).toMatchObject({ leader: 2, leaderEpoch: 1 });
    const withEpoch = async (currentLeaderEpoch: number) =>
      partitionsOf(await fetch(t, 2, [{ topic: 'epochs', partition: 0, fetchOffset: 0n, currentLeaderEpoch }], { version: 9 }))[0].errorCode;
    expect(await withEpoch(0)).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(await withEpoch(2)).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(await withEpoch(1)).toBe(ErrorCode.NONE);
    expect(await withEpoch(-1)).toBe(ErrorCode.NONE);
  });

  it('a broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER: a follower to a v10 consumer fetch, a broker without a replica at v12', async () => {
    // From v11 Kafka lets consumers read from followers (KIP-392), which this model leaves out, so the follower is asked at v10.
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('led', { assignments: [[1, 2]] });
    await t.settle(1_000);
    await t.produce('led', 0, ['a']);
    const [fromFollower] = partitionsOf(await fetch(t, 2, [{ topic: 'led', partition: 0, fetchOffset: 0n }], { version: 10 }));
    const [fromStranger] = partitionsOf(await fetch(t, 3, [{ topic: 'led', partition: 0, fetchOffset: 0n }], { version: 12 }));
    for (const answer of [fromFollower, fromStranger]) {
      expect({ errorCode: answer.errorCode, records: recordsOf(answer.records), highWatermark: answer.highWatermark }).toEqual({
        errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
        records: [],
        highWatermark: -1n,
      });
    }
  });

  it('the current-leader hint on NOT_LEADER_OR_FOLLOWER comes only from v16 (KIP-951), with the leader\'s endpoint; v12-15 leave it unset', async () => {
    // Kafka's KafkaApis.handleFetchRequest fills currentLeader and nodeEndpoints only `if (versionId >= 16)`.
    const t = await startCluster({ brokers: 3 });
    t.cluster.createTopic('hint', { assignments: [[1, 2]] });
    await t.settle(1_000);
    const v12 = await t.send(3, ApiKey.Fetch, 12, fetchBody([{ topic: 'hint', partition: 0, fetchOffset: 0n }]));
    expect.soft(partitionsOf(v12)[0].currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });

    const topicId = t.cluster.metadata.topics.get('hint')!.topicId;
    const v16 = await t.send(3, ApiKey.Fetch, 16, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect.soft(partitionsOf(v16)[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 1, leaderEpoch: 0 } });
    const leader = t.cluster.broker(1).address;
    expect.soft(v16.nodeEndpoints).toEqual([{ nodeId: 1, host: leader.host, port: leader.port, rack: null }]);
  });

  it('isolation level 1 (READ_COMMITTED) reads only up to the last stable offset: an open transaction hides itself and everything after it', async () => {
    // Without KIP-890 verification a transactional batch opens a transaction on its own (test/broker/txn covers the real flow).
    const t = await startCluster({ brokerConfig: { 'transaction.partition.verification.enable': false } });
    t.cluster.createTopic('txn', { partitions: 1 });
    await t.settle();
    await t.produce('txn', 0, ['before']);
    const { producerId } = await t.send(1, ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000 });
    // A transactional batch (never committed), with no AddPartitionsToTxn: only possible with verification off.
    const open = encodeRecordBatch({
      baseTimestamp: 1_000n,
      producerId,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
      records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('in-txn'), headers: [] }],
    });
    const produced = await t.send(1, ApiKey.Produce, 9, { acks: -1, timeoutMs: 5_000, transactionalId: 'tx-1', topicData: [{ name: 'txn', partitionData: [{ index: 0, records: open }] }] });
    expect(produced.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1n });
    await t.produce('txn', 0, ['after']);

    const target = [{ topic: 'txn', partition: 0, fetchOffset: 0n }];
    const [uncommitted] = partitionsOf(await fetch(t, 1, target, { isolationLevel: 0 }));
    expect({ highWatermark: uncommitted.highWatermark, lastStableOffset: uncommitted.lastStableOffset, abortedTransactions: uncommitted.abortedTransactions, records: recordsOf(uncommitted.records) }).toEqual({
      highWatermark: 3n,
      lastStableOffset: 1n,
      abortedTransactions: null,
      records: [
        [0n, 'before'],
        [1n, 'in-txn'],
        [2n, 'after'],
      ],
    });
    const [committed] = partitionsOf(await fetch(t, 1, target, { isolationLevel: 1 }));
    expect({ highWatermark: committed.highWatermark, lastStableOffset: committed.lastStableOffset, abortedTransactions: committed.abortedTransactions, records: recordsOf(committed.records) }).toEqual({
      highWatermark: 3n,
      lastStableOffset: 1n,
      abortedTransactions: [],
      records: [[0n, 'before']],
    });
  });
});
