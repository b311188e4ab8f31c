/**
 * TxnOffsetCommit (key 28), v0-3: Kafka's `KafkaApis.handleTxnOffsetCommitRequest` then the coordinator's
 * `handleTxnCommitOffsets` (src/broker/group/offset-commits.ts). Unknown topics or partitions are
 * UNKNOWN_TOPIC_OR_PARTITION; the rest is written to the group's `__consumer_offsets` partition as a
 * transactional batch of the producer (INVALID_PRODUCER_EPOCH when the partition knows a newer epoch; with
 * `transaction.partition.verification.enable`, KIP-890, the transaction coordinator must first confirm that
 * AddOffsetsToTxn added the partition: INVALID_TXN_STATE otherwise, COORDINATOR_NOT_AVAILABLE when it cannot
 * answer) and stays
 * pending (invisible to OffsetFetch, UNSTABLE_OFFSET_COMMIT with requireStable) until the transaction coordinator
 * writes the marker and calls `completeTransaction`. v3 carries the member's generation, member id and instance
 * id, checked like an OffsetCommit (KIP-447); earlier versions commit without membership. Before v2,
 * COORDINATOR_LOAD_IN_PROGRESS is answered as COORDINATOR_NOT_AVAILABLE (KAFKA-7296).
 * Leaves out: authorization.
 */
import { ApiKey, ErrorCode, type TxnOffsetCommitResponseInput } from '../../protocol/index.ts';
import type { TopicPartitionOffset } from '../group/group-offsets.ts';
import { defineHandler } from './handler.ts';
import { isKnownPartition, TopicResults } from './offset-commit.ts';

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 3,
  handle: async ({ broker, header }, request): Promise<TxnOffsetCommitResponseInput> => {
    const nowMs = BigInt(broker.runtime.now());
    const results = new TopicResults();
    const offsets = new Map<string, TopicPartitionOffset>();
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        results.set(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const key = `${p.partitionIndex}:${topic.name}`;
        if (!isKnownPartition(broker, topic.name, p.partitionIndex)) continue;
        offsets.set(key, {
          topic: topic.name,
          partition: p.partitionIndex,
          offsetAndMetadata: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: nowMs, expireTimestamp: null },
        });
      }
    }
    if (offsets.size > 0) {
      const committed = await broker.groupCoordinator.offsetCommits.commitTransactionalOffsets({
        groupId: request.groupId,
        transactionalId: request.transactionalId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        generationId: request.generationId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        offsets: [...offsets.values()],
      });
      for (const answer of committed) {
        const errorCode = header.apiVersion < 2 && answer.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : answer.errorCode;
        results.set(answer.topic, answer.partition, errorCode);
      }
    }
    return { throttleTimeMs: 0, topics: results.toArray() };
  },
});
