/**
 * ListOffsets (key 2), v0-10: earliest (-2) is the log start offset; latest (-1) the high watermark, the last
 * stable offset for READ_COMMITTED (v2+), or the log end for any replicaId but the consumer's -1 (followers, and
 * the debugging id -2, which a follower answers too); an isolation level other than 0 and 1 (v2+) is
 * UNKNOWN_SERVER_ERROR for every partition, as Kafka's failed `IsolationLevel.forId` is; max timestamp (-3,
 * v7+, KIP-734) the offset of the record with the largest timestamp; any other timestamp the first offset whose
 * timestamp is at or after it, or -1/-1/-1 when there is none. A special timestamp older than its version is
 * UNSUPPORTED_VERSION (Kafka's isListOffsetsTimestampUnsupported). Only the leader answers
 * (NOT_LEADER_OR_FOLLOWER); a stale `currentLeaderEpoch` is FENCED_LEADER_EPOCH. v0 answers in
 * `oldStyleOffsets`; `leaderEpoch` exists from v4. From v1 a partition named twice in one request is
 * INVALID_REQUEST, answered once (ReplicaManager.fetchOffset's `duplicatePartitions`, collected in a map).
 * Leaves out: tiered storage (-4 earliest local answers the log start, -5 latest tiered answers -1).
 */
import { ApiKey, ErrorCode, type ListOffsetsResponseListOffsetsPartitionResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

/** ListOffsetsRequest's CONSUMER_REPLICA_ID and DEBUGGING_REPLICA_ID. */
const CONSUMER_REPLICA_ID = -1;
const DEBUGGING_REPLICA_ID = -2;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/** The request's partitions, each once, grouped by topic in order of first mention. */
function collapseDuplicates<P extends { partitionIndex: number }>(topics: ReadonlyArray<{ name: string; partitions: readonly P[] }>) {
  const byTopic = new Map<string, Map<number, P>>();
  for (const topic of topics) {
    let partitions = byTopic.get(topic.name);
    if (partitions === undefined) byTopic.set(topic.name, (partitions = new Map()));
    for (const p of topic.partitions) if (!partitions.has(p.partitionIndex)) partitions.set(p.partitionIndex, p);
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions: [...partitions.values()] }));
}

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle: ({ broker, header }, request) => {
    const version = header.apiVersion;
    /** Fields by version: v0 answers in `oldStyleOffsets`; `timestamp`/`offset` exist from v1, `leaderEpoch` from v4. */
    const answer = (partitionIndex: number, errorCode: number, found: { timestamp: bigint; offset: bigint; leaderEpoch: number } | null) => {
      const result: ListOffsetsResponseListOffsetsPartitionResponseInput = { partitionIndex, errorCode };
      if (version === 0) result.oldStyleOffsets = found !== null && found.offset >= 0n ? [found.offset] : [];
      else {
        result.timestamp = found?.timestamp ?? -1n;
        result.offset = found?.offset ?? -1n;
        if (version >= 4) result.leaderEpoch = found?.leaderEpoch ?? -1;
      }
      return result;
    };
    // v2+: KafkaApis reads `IsolationLevel.forId` for every request, which throws IllegalArgumentException for
    // anything but 0 and 1; the request's error response is then UNKNOWN_SERVER_ERROR for every partition it names.
    // (Kafka's getErrorResponse repeats a partition named twice; we answer it once, as every other answer here.)
    if (version >= 2 && request.isolationLevel !== 0 && request.isolationLevel !== 1) {
      return {
        throttleTimeMs: 0,
        topics: collapseDuplicates(request.topics).map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => answer(p.partitionIndex, ErrorCode.UNKNOWN_SERVER_ERROR, null)) })),
      };
    }
    // v1+: Kafka answers from a map keyed by partition, so a duplicate is one INVALID_REQUEST entry.
    const mentions = new Map<string, number>();
    for (const topic of request.topics) for (const p of topic.partitions) mentions.set(`${topic.name}\u0000${p.partitionIndex}`, (mentions.get(`${topic.name}\u0000${p.partitionIndex}`) ?? 0) + 1);
    const topics = version === 0 ? request.topics : collapseDuplicates(request.topics);
    return {
      throttleTimeMs: 0,
      topics: topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponseInput => {
          const failed = (errorCode: number) => answer(p.partitionIndex, errorCode, null);
          if (version >= 1 && mentions.get(`${topic.name}\u0000${p.partitionIndex}`)! > 1) return failed(ErrorCode.INVALID_REQUEST);
          const registration = broker.image.topics.get(topic.name)?.partitions[p.partitionIndex];
          if (registration === undefined) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const replica = broker.replicas.get(`${topic.name}-${p.partitionIndex}`);
          // ReplicaManager's fetchOnlyFromLeader: the debugging replica id may read a follower's copy.
          if (replica === undefined || (!replica.isLeader && request.replicaId !== DEBUGGING_REPLICA_ID)) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < replica.leaderEpoch) return failed(ErrorCode.FENCED_LEADER_EPOCH);
          if (p.currentLeaderEpoch > replica.leaderEpoch) return failed(ErrorCode.UNKNOWN_LEADER_EPOCH);
          // Kafka's isListOffsetsTimestampUnsupported: max timestamp needs v7, earliest-local v8.
          if ((p.timestamp === MAX_TIMESTAMP && version < 7) || (p.timestamp === EARLIEST_LOCAL && version < 8)) {
            return failed(ErrorCode.UNSUPPORTED_VERSION);
          }
          // Only a consumer (replicaId -1) is held to the HW or LSO; Kafka passes no isolation level for any other
          // replica id, followers and the debugging id -2 alike, and they read to the log end.
          const fetchable = request.replicaId !== CONSUMER_REPLICA_ID ? replica.logEndOffset : request.isolationLevel === 1 ? replica.lastStableOffset : replica.highWatermark;
          if (p.timestamp === LATEST) {
            return answer(p.partitionIndex, ErrorCode.NONE, { timestamp: -1n, offset: fetchable, leaderEpoch: replica.log.latestEpoch() ?? -1 });
          }
          if (p.timestamp === LATEST_TIERED) return answer(p.partitionIndex, ErrorCode.NONE, null);
          return answer(p.partitionIndex, ErrorCode.NONE, replica.log.fetchOffsetByTimestamp(p.timestamp, fetchable));
        }),
      })),
    };
  },
});
