/**
 * A transactional producer and a read_committed reader for broker tests, speaking raw requests over the in-process
 * network (no client library): FindCoordinator, InitProducerId, AddPartitionsToTxn, transactional Produce, EndTxn, and
 * Fetch with the aborted-transaction filtering a Kafka consumer applies.
 */
import { ControlRecordType, decodeControlRecordKey } from '../../../src/protocol/codec/control-records.ts';
import { ApiKey, decodeRecordBatch, encodeRecordBatch, ErrorCode, splitBatches, type FetchResponse } from '../../../src/protocol/index.ts';
import type { HandlerTestCluster } from '../handlers/support.ts';

/** Finds the transaction coordinator with FindCoordinator (key type 1), asking the first running broker until it knows. */
export async function findTransactionCoordinator(t: HandlerTestCluster, transactionalId: string, maxRounds = 50): Promise<number> {
  for (let round = 0; round < maxRounds; round++) {
    const asked = [...t.cluster.brokers.values()].find((b) => b.status === 'running')!;
    const response = await t.send(asked.id, ApiKey.FindCoordinator, 3, { key: transactionalId, keyType: 1 });
    if (response.errorCode === ErrorCode.NONE && t.cluster.broker(response.nodeId).status === 'running') return response.nodeId;
    await t.settle(100);
  }
  throw new Error(`no transaction coordinator for ${transactionalId}`);
}

export interface TxnProducerOptions {
  readonly transactionalId: string;
  readonly transactionTimeoutMs?: number;
  /** Request versions (default: the newest the broker serves for these APIs). */
  readonly initVersion?: number;
  readonly addPartitionsVersion?: number;
  readonly endTxnVersion?: number;
  readonly produceVersion?: number;
}

/** One transactional producer's view: its coordinator, producer id and epoch, and sequences per partition. */
export class TxnProducer {
  coordinator = -1;
  producerId = -1n;
  producerEpoch = -1;
  private readonly sequences = new Map<string, number>();

  constructor(
    private readonly t: HandlerTestCluster,
    readonly options: TxnProducerOptions,
  ) {}

  get transactionalId(): string {
    return this.options.transactionalId;
  }

  async findCoordinator(): Promise<number> {
    this.coordinator = await findTransactionCoordinator(this.t, this.transactionalId);
    return this.coordinator;
  }

  /** One InitProducerId; on NONE adopts the producer id and epoch. */
  async initOnce(expected?: { producerId: bigint; producerEpoch: number }): Promise<number> {
    if (this.coordinator < 0) await this.findCoordinator();
    const response = await this.t.send(this.coordinator, ApiKey.InitProducerId, this.options.initVersion ?? 4, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? 60_000,
      producerId: expected?.producerId ?? -1n,
      producerEpoch: expected?.producerEpoch ?? -1,
    });
    if (response.errorCode === ErrorCode.NONE) {
      this.producerId = response.producerId;
      this.producerEpoch = response.producerEpoch;
      this.sequences.clear();
    }
    return response.errorCode;
  }

  /** InitProducerId retried (as clients do) on CONCURRENT_TRANSACTIONS and coordinator moves. */
  async init(maxAttempts = 50): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const errorCode = await this.initOnce();
      if (errorCode === ErrorCode.NONE) return;
      if (errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) await this.findCoordinator();
      else if (errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`InitProducerId failed with ${errorCode}`);
      await this.t.settle(100);
    }
    throw new Error('InitProducerId did not succeed');
  }

  /** AddPartitionsToTxn (v3 and below shape); returns every partition's error code, in request order. */
  async addPartitionsOnce(partitions: ReadonlyArray<[string, number]>): Promise<number[]> {
    const byTopic = new Map<string, number[]>();
    for (const [topic, partition] of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const response = await this.t.send(this.coordinator, ApiKey.AddPartitionsToTxn, this.options.addPartitionsVersion ?? 3, {
      v3AndBelowTransactionalId: this.transactionalId,
      v3AndBelowProducerId: this.producerId,
      v3AndBelowProducerEpoch: this.producerEpoch,
      v3AndBelowTopics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })),
    });
    return response.resultsByTopicV3AndBelow.flatMap((topic) => topic.resultsByPartition.map((p) => p.partitionErrorCode));
  }

  /** AddPartitionsToTxn retried on CONCURRENT_TRANSACTIONS (the previous transaction's markers). */
  async addPartitions(partitions: ReadonlyArray<[string, number]>, maxAttempts = 50): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const codes = await this.addPartitionsOnce(partitions);
      if (codes.every((c) => c === ErrorCode.NONE)) return;
      if (!codes.every((c) => c === ErrorCode.CONCURRENT_TRANSACTIONS || c === ErrorCode.NOT_COORDINATOR)) throw new Error(`AddPartitionsToTxn failed with ${codes.join(',')}`);
      if (codes.includes(ErrorCode.NOT_COORDINATOR)) await this.findCoordinator();
      await this.t.settle(20);
    }
    throw new Error('AddPartitionsToTxn did not succeed');
  }

  /** One transactional batch to the partition's leader (acks=-1); returns the error code and base offset. */
  async produce(topic: string, partition: number, values: string[], options: { transactional?: boolean; transactionalId?: string | null; epoch?: number } = {}) {
    const key = `${topic}-${partition}`;
    const sequence = this.sequences.get(key) ?? 0;
    const records = encodeRecordBatch({
      baseTimestamp: BigInt(this.t.runtime.now()),
      producerId: this.producerId,
      producerEpoch: options.epoch ?? this.producerEpoch,
      baseSequence: sequence,
      isTransactional: options.transactional ?? true,
      records: values.map((value, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(value), headers: [] })),
    });
    const leader = this.t.cluster.metadata.topics.get(topic)!.partitions[partition].leader;
    const response = await this.t.send(leader, ApiKey.Produce, this.options.produceVersion ?? 9, {
      acks: -1,
      timeoutMs: 5_000,
      transactionalId: options.transactionalId === undefined ? this.transactionalId : options.transactionalId,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    const answer = response.responses[0].partitionResponses[0];
    if (answer.errorCode === ErrorCode.NONE) this.sequences.set(key, sequence + values.length);
    return { errorCode: answer.errorCode, baseOffset: answer.baseOffset };
  }

  async endOnce(commit: boolean, version = this.options.endTxnVersion ?? 3): Promise<number> {
    const response = await this.t.send(this.coordinator, ApiKey.EndTxn, version, {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      committed: commit,
    });
    return response.errorCode;
  }

  /** EndTxn, retried on CONCURRENT_TRANSACTIONS and coordinator moves, as clients do. */
  async end(commit: boolean, maxAttempts = 50): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const errorCode = await this.endOnce(commit);
      if (errorCode === ErrorCode.NONE) return;
      if (errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) await this.findCoordinator();
      else if (errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`EndTxn failed with ${errorCode}`);
      await this.t.settle(100);
    }
    throw new Error('EndTxn did not succeed');
  }
}

export interface FetchedBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly isTransactional: boolean;
  /** 'COMMIT' / 'ABORT' for markers, null for data. */
  readonly marker: 'COMMIT' | 'ABORT' | null;
  readonly coordinatorEpoch: number | null;
  readonly values: string[];
}

export interface PartitionRead {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  readonly batches: FetchedBatch[];
  /** What a read_committed consumer delivers: aborted batches (per `abortedTransactions`) and markers dropped. */
  readonly delivered: Array<[bigint, string]>;
}

export function decodeBatches(records: Buffer | null): FetchedBatch[] {
  return splitBatches(records ?? Buffer.alloc(0)).batches.map((bytes) => {
    const batch = decodeRecordBatch(bytes);
    let marker: FetchedBatch['marker'] = null;
    let coordinatorEpoch: number | null = null;
    if (batch.isControl && batch.records.length > 0) {
      marker = decodeControlRecordKey(batch.records[0].key).type === ControlRecordType.COMMIT ? 'COMMIT' : 'ABORT';
      coordinatorEpoch = batch.records[0].value!.readInt32BE(2);
    }
    return {
      baseOffset: batch.baseOffset,
      lastOffset: batch.baseOffset + BigInt(batch.lastOffsetDelta),
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      isTransactional: batch.isTransactional,
      marker,
      coordinatorEpoch,
      values: batch.isControl ? [] : batch.records.map((r) => r.value?.toString() ?? ''),
    };
  });
}

/** The consumer side of KIP-98: skip a producer's transactional batches from an aborted transaction's first offset to its ABORT marker. */
export function filterAborted(batches: readonly FetchedBatch[], aborted: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }>): Array<[bigint, string]> {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const delivered: Array<[bigint, string]> = [];
  for (const batch of batches) {
    while (pending.length > 0 && pending[0].firstOffset <= batch.lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if (batch.marker !== null) {
      if (batch.marker === 'ABORT') abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    batch.values.forEach((value, i) => delivered.push([batch.baseOffset + BigInt(i), value]));
  }
  return delivered;
}

/** One Fetch (v12) of a partition from its leader, from `fetchOffset`. */
export async function fetchPartition(t: HandlerTestCluster, topic: string, partition: number, options: { isolationLevel: 0 | 1; fetchOffset?: bigint; version?: number; maxBytes?: number }): Promise<PartitionRead> {
  const leader = t.cluster.metadata.topics.get(topic)!.partitions[partition].leader;
  const response: FetchResponse = await t.send(leader, ApiKey.Fetch, options.version ?? 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: options.maxBytes ?? 1 << 20,
    isolationLevel: options.isolationLevel,
    topics: [{ topic, partitions: [{ partition, fetchOffset: options.fetchOffset ?? 0n, partitionMaxBytes: options.maxBytes ?? 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const answer = response.responses[0].partitions[0];
  const batches = decodeBatches(answer.records);
  return {
    errorCode: answer.errorCode,
    highWatermark: answer.highWatermark,
    lastStableOffset: answer.lastStableOffset,
    abortedTransactions: answer.abortedTransactions?.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) ?? null,
    batches,
    delivered: filterAborted(batches, answer.abortedTransactions ?? []),
  };
}

/** What the log holds, markers included (read_uncommitted, whole log up to the high watermark). */
export async function logContents(t: HandlerTestCluster, topic: string, partition: number): Promise<FetchedBatch[]> {
  return (await fetchPartition(t, topic, partition, { isolationLevel: 0 })).batches;
}
