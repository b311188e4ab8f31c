/**
 * Helpers for producer tests: a cluster with a quiet `Kafka`, and a reader that fetches a partition back
 * from its leader with a real Fetch over the in-process network (read_uncommitted, or read_committed with
 * aborted transactions filtered the way a consumer filters them), so tests check what the broker stored.
 */
import { createRequire } from 'node:module';
import { createCluster, logLevel, type CreateClusterOptions, type EmbeddedCluster } from '../../../src/index.ts';
import type { KafkaConfig } from '../../../src/client/config.ts';
import type { InterceptAction, InterceptContext } from '../../../src/network/interceptors.ts';
import { ApiKey, decodeRecordBatch, splitBatches, type ApiKeyNumber, type RequestInputByKey, type ResponseByKey } from '../../../src/protocol/index.ts';

export const require = createRequire(import.meta.url);

type ProduceKey = typeof ApiKey.Produce;

/** An interceptor that answers a Produce in the broker's place with `errorCode` for every partition it carries. */
export function failWith(errorCode: number) {
  return (context: InterceptContext<ProduceKey>): InterceptAction<ProduceKey> => ({
    action: 'respond',
    body: {
      throttleTimeMs: 0,
      responses: context.request.body.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n })),
      })),
    },
  });
}

export function cluster(options: CreateClusterOptions = {}): EmbeddedCluster {
  return createCluster(options);
}

/** A `Kafka` bound to the cluster that logs nothing unless asked. */
export function kafka(sim: EmbeddedCluster, config: Partial<KafkaConfig> = {}) {
  return sim.kafka({ logLevel: logLevel.NOTHING, ...config });
}

export interface StoredRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string[]>;
  timestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  compression: number;
}

let readerCount = 0;

/** Everything in a partition up to the high watermark (or the LSO with `readCommitted`), control records left out. */
export async function readPartition(
  sim: EmbeddedCluster,
  topic: string,
  partition: number,
  options: { readCommitted?: boolean } = {},
): Promise<StoredRecord[]> {
  const leader = sim.partitionState(topic, partition).leader;
  const address = sim.model.broker(leader).address;
  const node = `test-reader-${++readerCount}`;
  const connection = await sim.runtime.track(sim.network.connect(address, { clientId: node, node, timeoutMs: 1000 }));
  try {
    const records: StoredRecord[] = [];
    let offset = 0n;
    for (let round = 0; round < 1000; round++) {
      const response = await sim.runtime.track(
        connection.request(
          ApiKey.Fetch,
          11,
          {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 1,
            maxBytes: 1 << 22,
            isolationLevel: options.readCommitted ? 1 : 0,
            topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 22 }] }],
            forgottenTopicsData: [],
            rackId: '',
          },
          { timeoutMs: 5000, expectResponse: true },
        ),
      );
      if (response === undefined) throw new Error('fetch got no response');
      const answer = response.responses[0].partitions[0];
      if (answer.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} failed with error ${answer.errorCode}`);
      // Kafka's consumer algorithm: an aborted transaction starts applying at its first offset (once), and its
      // producer's batches are skipped until that producer's abort marker.
      const aborted = (answer.abortedTransactions ?? [])
        .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
        .sort((x, y) => (x.firstOffset < y.firstOffset ? -1 : x.firstOffset > y.firstOffset ? 1 : 0));
      const abortedProducers = new Set<bigint>();
      const before = offset;
      const end = options.readCommitted ? answer.lastStableOffset : answer.highWatermark;
      for (const buffer of splitBatches(answer.records ?? Buffer.alloc(0)).batches) {
        const batch = decodeRecordBatch(buffer);
        while (aborted.length > 0 && aborted[0].firstOffset <= batch.baseOffset) abortedProducers.add(aborted.shift()!.producerId);
        const lastOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta);
        if (batch.isControl) {
          abortedProducers.delete(batch.producerId);
          offset = lastOffset + 1n;
          continue;
        }
        const skip = options.readCommitted === true && batch.isTransactional && abortedProducers.has(batch.producerId);
        for (const record of batch.records) {
          const recordOffset = batch.baseOffset + BigInt(record.offsetDelta);
          if (recordOffset < offset || recordOffset >= end) continue;
          if (!skip) {
            const headers: Record<string, string[]> = {};
            for (const h of record.headers) (headers[h.key] ??= []).push(h.value === null ? '<null>' : h.value.toString());
            records.push({
              offset: recordOffset,
              key: record.key?.toString() ?? null,
              value: record.value?.toString() ?? null,
              headers,
              timestamp: batch.baseTimestamp + BigInt(record.timestampDelta),
              producerId: batch.producerId,
              producerEpoch: batch.producerEpoch,
              baseSequence: batch.baseSequence,
              isTransactional: batch.isTransactional,
              compression: batch.compression,
            });
          }
        }
        offset = lastOffset + 1n < end ? lastOffset + 1n : end;
      }
      if (offset >= end || offset === before) break;
    }
    return records;
  } finally {
    connection.close();
  }
}

/** Values of a partition, in offset order. */
export async function valuesOf(sim: EmbeddedCluster, topic: string, partition: number, options: { readCommitted?: boolean } = {}): Promise<Array<string | null>> {
  return (await readPartition(sim, topic, partition, options)).map((r) => r.value);
}

/** One request to one broker over a fresh connection, outside any client. */
export async function requestBroker<K extends ApiKeyNumber>(
  sim: EmbeddedCluster,
  brokerId: number,
  apiKey: K,
  version: number,
  body: RequestInputByKey[K],
): Promise<ResponseByKey[K]> {
  const node = `test-requester-${++readerCount}`;
  const connection = await sim.runtime.track(sim.network.connect(sim.model.broker(brokerId).address, { clientId: node, node, timeoutMs: 1000 }));
  try {
    return (await sim.runtime.track(connection.request(apiKey, version, body, { timeoutMs: 5000, expectResponse: true }))) as ResponseByKey[K];
  } finally {
    connection.close();
  }
}

/** The group's committed offset of a partition as its coordinator reports it (OffsetFetch v5, stable offsets only); -1n when none. */
export async function committedOffset(sim: EmbeddedCluster, groupId: string, topic: string, partition: number): Promise<bigint> {
  const anyBroker = [...sim.model.brokers.keys()][0];
  const found = await requestBroker(sim, anyBroker, ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0 });
  if (found.errorCode !== 0) throw new Error(`FindCoordinator failed with ${found.errorCode}`);
  const response = await requestBroker(sim, found.nodeId, ApiKey.OffsetFetch, 5, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }] });
  if (response.errorCode !== 0) throw new Error(`OffsetFetch failed with ${response.errorCode}`);
  const entry = response.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition);
  if (entry === undefined) return -1n;
  if (entry.errorCode !== 0) throw new Error(`OffsetFetch ${topic}-${partition} failed with ${entry.errorCode}`);
  return entry.committedOffset;
}
