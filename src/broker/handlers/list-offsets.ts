/**
 * ListOffsets (key 2), v0-10: earliest (-2) is the log start offset; latest (-1) the high watermark, or the
 * last stable offset for READ_COMMITTED (v2+); max timestamp (-3, v7+, KIP-734) the offset of the record with
 * the largest timestamp; any other timestamp the first offset whose timestamp is at or after it, or -1 with
 * timestamp -1 when there is none. Only the leader answers (NOT_LEADER_OR_FOLLOWER); a stale
 * `currentLeaderEpoch` is FENCED_LEADER_EPOCH. v0 answers in `oldStyleOffsets`.
 * Leaves out: -4 (earliest local, tiered storage) and -5 (earliest pending upload), answered as earliest.
 */
import { ApiKey, ErrorCode, type ListOffsetsResponseListOffsetsPartitionResponseInput } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle: ({ broker, header }, request) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponseInput => {
        const failed = (errorCode: number) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1, oldStyleOffsets: [] });
        const registration = broker.image.topics.get(topic.name)?.partitions[p.partitionIndex];
        if (registration === undefined) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const replica = broker.replicas.get(`${topic.name}-${p.partitionIndex}`);
        if (replica === undefined || !replica.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < replica.leaderEpoch) return failed(ErrorCode.FENCED_LEADER_EPOCH);
        if (p.currentLeaderEpoch > replica.leaderEpoch) return failed(ErrorCode.UNKNOWN_LEADER_EPOCH);
        let offset: bigint;
        let timestamp = -1n;
        if (p.timestamp === LATEST) offset = request.isolationLevel === 1 ? replica.lastStableOffset : replica.highWatermark;
        else if (p.timestamp === EARLIEST || p.timestamp === -4n || p.timestamp === -5n) offset = replica.logStartOffset;
        else if (p.timestamp === MAX_TIMESTAMP) {
          const found = replica.log.offsetOfMaxTimestamp(replica.highWatermark);
          offset = found?.offset ?? -1n;
          timestamp = found?.timestamp ?? -1n;
        } else {
          const found = replica.log.offsetForTimestamp(p.timestamp, replica.highWatermark);
          offset = found?.offset ?? -1n;
          timestamp = found?.timestamp ?? -1n;
        }
        return {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.NONE,
          oldStyleOffsets: header.apiVersion === 0 ? (offset >= 0n ? [offset] : []) : [],
          timestamp,
          offset,
          leaderEpoch: replica.leaderEpoch,
        };
      }),
    })),
  }),
});
