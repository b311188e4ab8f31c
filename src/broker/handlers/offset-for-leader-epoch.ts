/**
 * OffsetForLeaderEpoch (key 23), v0-4, as Kafka's `ReplicaManager.lastOffsetForLeaderEpoch` and
 * `Partition.lastOffsetForLeaderEpoch` answer it: for each partition, the end offset of the requested leader
 * epoch in this broker's epoch cache (the start offset of the next larger epoch, or the log end offset for the
 * latest epoch), with the largest epoch at or below the requested one. Consumers use it after a leader change
 * to detect truncation (KIP-320).
 * - a partition this broker does not host: NOT_LEADER_OR_FOLLOWER when its metadata knows the partition,
 *   UNKNOWN_TOPIC_OR_PARTITION otherwise;
 * - `currentLeaderEpoch` (v2+; -1 skips the check) older than this replica's: FENCED_LEADER_EPOCH, newer:
 *   UNKNOWN_LEADER_EPOCH; checked before leadership, as Kafka does;
 * - only the leader answers (NOT_LEADER_OR_FOLLOWER on a follower), whatever the `replicaId` (v3+): Kafka 4.0
 *   serves this API from the leader only, since followers find divergence through Fetch (KIP-595);
 * - an epoch older than anything in the cache (or an empty cache) answers NONE with epoch -1 and offset -1.
 * Leaves out: authorization, offline log directories (KAFKA_STORAGE_ERROR).
 */
import { ApiKey, ErrorCode, type OffsetForLeaderEpochResponseEpochEndOffsetInput } from '../../protocol/index.ts';
import { topicPartitionKey } from '../metadata.ts';
import { defineHandler } from './handler.ts';

type EpochEndOffset = OffsetForLeaderEpochResponseEpochEndOffsetInput;

/** Kafka's `RecordBatch.NO_PARTITION_LEADER_EPOCH`: the request carries no current epoch to check. */
const NO_PARTITION_LEADER_EPOCH = -1;

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle: ({ broker }, request) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((p): EpochEndOffset => {
        const failed = (errorCode: number): EpochEndOffset => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
        const replica = broker.replicas.get(topicPartitionKey(topic.topic, p.partition));
        if (replica === undefined) {
          const isKnown = broker.image.topics.get(topic.topic)?.partitions[p.partition] !== undefined;
          return failed(isKnown ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (p.currentLeaderEpoch !== NO_PARTITION_LEADER_EPOCH) {
          if (replica.leaderEpoch > p.currentLeaderEpoch) return failed(ErrorCode.FENCED_LEADER_EPOCH);
          if (replica.leaderEpoch < p.currentLeaderEpoch) return failed(ErrorCode.UNKNOWN_LEADER_EPOCH);
        }
        if (!replica.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        const found = replica.log.endOffsetForEpoch(p.leaderEpoch);
        if (found === null) return failed(ErrorCode.NONE);
        return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: found.endOffset };
      }),
    })),
  }),
});
