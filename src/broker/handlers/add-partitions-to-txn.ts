/**
 * AddPartitionsToTxn (key 24), v0-4, as Kafka's `KafkaApis.handleAddPartitionsToTxnRequest`:
 * - v0-3 (clients): one transactional id, its producer id and epoch, and the partitions to add. A partition the
 *   metadata does not know fails the whole request: it gets UNKNOWN_TOPIC_OR_PARTITION and every other partition
 *   OPERATION_NOT_ATTEMPTED. Otherwise every partition gets the coordinator's answer: NONE, NOT_COORDINATOR,
 *   INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS while
 *   the previous transaction's markers are being written (retriable), INVALID_REQUEST for an empty id.
 * - v4 (brokers, KIP-890 part 1): several transactions per request, each answered as above; `verifyOnly` asks
 *   whether the partitions are already in the ongoing transaction (NONE, or INVALID_TXN_STATE per partition) without
 *   adding them. This is what partition leaders send before the first transactional batch of a transaction.
 * Leaves out: authorization (v4 without verifyOnly would need CLUSTER_ACTION), TRANSACTION_ABORTABLE (v5).
 */
import {
  ApiKey,
  ErrorCode,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput,
} from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { partitionKey, type TopicPartition } from '../txn/transaction-metadata.ts';
import { defineHandler } from './handler.ts';

interface AddPartitions {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly verifyOnly: boolean;
  readonly topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

/** Results grouped back by topic, in request order (a partition named twice is answered once). */
function resultsByTopic(partitions: readonly TopicPartition[], errorOf: (tp: TopicPartition) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[] {
  const byTopic = new Map<string, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput>();
  for (const tp of partitions) {
    let topic = byTopic.get(tp.topic);
    if (topic === undefined) {
      topic = { name: tp.topic, resultsByPartition: [] };
      byTopic.set(tp.topic, topic);
    }
    topic.resultsByPartition.push({ partitionIndex: tp.partition, partitionErrorCode: errorOf(tp) });
  }
  return [...byTopic.values()];
}

async function addPartitions(broker: Broker, version: number, request: AddPartitions): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[]> {
  const unique = new Map<string, TopicPartition>();
  for (const topic of request.topics) for (const partition of topic.partitions) unique.set(partitionKey({ topic: topic.name, partition }), { topic: topic.name, partition });
  const partitions = [...unique.values()];
  const unknown = new Set(partitions.filter((tp) => broker.image.topics.get(tp.topic)?.partitions[tp.partition] === undefined).map(partitionKey));
  if (unknown.size > 0) {
    return resultsByTopic(partitions, (tp) => (unknown.has(partitionKey(tp)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const coordinator = broker.transactionCoordinator;
  if (request.verifyOnly) {
    const verified = coordinator.handleVerifyPartitionsInTransaction(request.transactionalId, request.producerId, request.producerEpoch, partitions);
    return resultsByTopic(partitions, (tp) => (typeof verified === 'number' ? verified : (verified.get(partitionKey(tp)) ?? ErrorCode.INVALID_TXN_STATE)));
  }
  let errorCode = await coordinator.handleAddPartitionsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, partitions);
  if (version < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return resultsByTopic(partitions, () => errorCode);
}

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 4,
  handle: async ({ broker, header }, request) => {
    const version = header.apiVersion;
    if (version <= 3) {
      const resultsByTopicV3AndBelow = await addPartitions(broker, version, {
        transactionalId: request.v3AndBelowTransactionalId,
        producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: request.v3AndBelowTopics,
      });
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow };
    }
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (transaction) => ({ transactionalId: transaction.transactionalId, topicResults: await addPartitions(broker, version, transaction) })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
});
