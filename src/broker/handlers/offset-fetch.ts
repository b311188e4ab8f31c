/**
 * OffsetFetch (key 9), v0-8: the group coordinator's `handleFetchOffsets` (src/broker/group/offset-commits.ts),
 * answered as Kafka's `OffsetFetchResponse` places it per version:
 * - a partition without a commit: offset -1, leader epoch -1, metadata ""; negative committed offsets come
 *   back as they were stored;
 * - topics null (v2+) means every partition the group has committed, by topic then partition;
 * - v7+ `requireStable`: UNSTABLE_OFFSET_COMMIT for a partition with a commit in flight or in an open
 *   transaction (KIP-447);
 * - a group-level error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID...) is the top-level
 *   errorCode from v2, each group's errorCode in v8 (which batches groups, KIP-709), and, before v2, the error
 *   of every requested partition.
 * Leaves out: authorization, topic existence (Kafka does not check it here either). Deviation: v0 reads the
 * coordinator's offsets (Kafka read ZooKeeper and refuses v0 in KRaft mode).
 */
import { ApiKey, ErrorCode, type OffsetFetchResponseInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { TopicPartition } from '../group/group-offsets.ts';
import type { FetchedOffset } from '../group/offset-commits.ts';
import { defineHandler } from './handler.ts';

interface PartitionAnswer {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

function requested(topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null): TopicPartition[] | null {
  if (topics === null) return null;
  const seen = new Map<string, TopicPartition>();
  for (const topic of topics) for (const partition of topic.partitionIndexes) seen.set(`${partition}:${topic.name}`, { topic: topic.name, partition });
  return [...seen.values()];
}

function byTopic(offsets: readonly FetchedOffset[]): Array<{ name: string; partitions: PartitionAnswer[] }> {
  const topics = new Map<string, PartitionAnswer[]>();
  for (const o of offsets) {
    const partitions = topics.get(o.topic) ?? [];
    partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: o.errorCode });
    topics.set(o.topic, partitions);
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

function fetchGroup(broker: Broker, groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null, requireStable: boolean) {
  const partitions = requested(topics);
  return { partitions, ...broker.groupCoordinator.offsetCommits.fetchOffsets(groupId, requireStable, partitions) };
}

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 8,
  handle: ({ broker, header }, request): OffsetFetchResponseInput => {
    const version = header.apiVersion;
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((group) => {
          const result = fetchGroup(broker, group.groupId, group.topics, request.requireStable);
          return { groupId: group.groupId, errorCode: result.errorCode, topics: result.errorCode === ErrorCode.NONE ? byTopic(result.offsets) : [] };
        }),
      };
    }
    const result = fetchGroup(broker, request.groupId, request.topics, version >= 7 && request.requireStable);
    if (result.errorCode === ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: byTopic(result.offsets) };
    if (version >= 2) return { throttleTimeMs: 0, errorCode: result.errorCode, topics: [] };
    // v0-1 have no top-level error: every requested partition carries it.
    const failed = (result.partitions ?? []).map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: result.errorCode }));
    return { throttleTimeMs: 0, topics: byTopic(failed) };
  },
});
