/**
 * OffsetCommit (key 8), v0-8: what Kafka's `KafkaApis.handleOffsetCommitRequest` checks, then the group
 * coordinator's `handleCommitOffsets` (src/broker/group/offset-commits.ts):
 * - a topic or partition the broker's metadata does not know: UNKNOWN_TOPIC_OR_PARTITION for it;
 * - the rest is committed as one write to the group's `__consumer_offsets` partition, answered once replicated
 *   (or with the coordinator's error for every partition: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 *   ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID, COORDINATOR_NOT_AVAILABLE...);
 *   OFFSET_METADATA_TOO_LARGE per partition;
 * - v1's commit timestamp is kept when given (else the broker's time), v2-4's retention time sets an expire
 *   timestamp; null metadata is stored as "".
 * Leaves out: authorization. Deviation: v0 commits go to the coordinator as a generation -1 commit (Kafka stored
 * them in ZooKeeper and refuses them in KRaft mode).
 */
import { ApiKey, ErrorCode, type OffsetCommitResponseInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { TopicPartitionOffset } from '../group/group-offsets.ts';
import { defineHandler } from './handler.ts';

/** Whether the broker's metadata knows the partition (`metadataCache.getPartitionInfo`). */
export function isKnownPartition(broker: Broker, topic: string, partition: number): boolean {
  const registration = broker.image.topics.get(topic);
  return registration !== undefined && partition >= 0 && partition < registration.partitions.length;
}

/** Per-partition answers grouped by topic, in the order topics and partitions first appear (duplicates merge). */
export class TopicResults {
  private readonly topics = new Map<string, Map<number, number>>();

  set(topic: string, partition: number, errorCode: number): void {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.topics.set(topic, partitions);
    }
    partitions.set(partition, errorCode);
  }

  toArray(): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
    return [...this.topics].map(([name, partitions]) => ({ name, partitions: [...partitions].map(([partitionIndex, errorCode]) => ({ partitionIndex, errorCode })) }));
  }
}

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 8,
  handle: async ({ broker, header }, request): Promise<OffsetCommitResponseInput> => {
    const version = header.apiVersion;
    const nowMs = BigInt(broker.runtime.now());
    // The default expiration is the broker's retention; v2-4 may ask for their own (a Java long sum: it wraps).
    const expireTimestamp = version >= 2 && version <= 4 && request.retentionTimeMs !== -1n ? BigInt.asIntN(64, nowMs + request.retentionTimeMs) : null;
    const results = new TopicResults();
    const offsets = new Map<string, TopicPartitionOffset>();
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        // Placeholder so the answer keeps the request's order; the coordinator's verdict replaces it.
        results.set(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const key = `${p.partitionIndex}:${topic.name}`;
        if (!isKnownPartition(broker, topic.name, p.partitionIndex)) continue;
        offsets.set(key, {
          topic: topic.name,
          partition: p.partitionIndex,
          offsetAndMetadata: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata ?? '',
            commitTimestamp: version === 1 && p.commitTimestamp !== -1n ? p.commitTimestamp : nowMs,
            expireTimestamp,
          },
        });
      }
    }
    if (offsets.size > 0) {
      const committed = await broker.groupCoordinator.offsetCommits.commitOffsets({
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        generationId: request.generationIdOrMemberEpoch,
        offsets: [...offsets.values()],
      });
      for (const answer of committed) results.set(answer.topic, answer.partition, answer.errorCode);
    }
    return { throttleTimeMs: 0, topics: results.toArray() };
  },
});
