/**
 * OffsetDelete (key 47), v0 (KIP-496): the group coordinator's `handleDeleteOffsets`. Unknown topics or
 * partitions are UNKNOWN_TOPIC_OR_PARTITION; an Empty group loses the offsets (tombstoned in the log); a consumer
 * group with members keeps those of topics it is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC per partition) and loses
 * the others; any other non-empty group is NON_EMPTY_GROUP. Group-level errors (GROUP_ID_NOT_FOUND,
 * NOT_COORDINATOR, INVALID_GROUP_ID...) answer with no topics.
 * Leaves out: authorization.
 */
import { ApiKey, ErrorCode, type OffsetDeleteResponseInput } from '../../protocol/index.ts';
import type { TopicPartition } from '../group/group-offsets.ts';
import { defineHandler } from './handler.ts';
import { isKnownPartition, TopicResults } from './offset-commit.ts';

export const offsetDeleteHandler = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle: ({ broker }, request): OffsetDeleteResponseInput => {
    const results = new TopicResults();
    const partitions = new Map<string, TopicPartition>();
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        results.set(topic.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (isKnownPartition(broker, topic.name, p.partitionIndex)) partitions.set(`${p.partitionIndex}:${topic.name}`, { topic: topic.name, partition: p.partitionIndex });
      }
    }
    const deleted = broker.groupCoordinator.offsetCommits.deleteOffsets(request.groupId, [...partitions.values()]);
    if (deleted.errorCode !== ErrorCode.NONE) return { errorCode: deleted.errorCode, throttleTimeMs: 0, topics: [] };
    for (const answer of deleted.partitions) results.set(answer.topic, answer.partition, answer.errorCode);
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: results.toArray() };
  },
});
