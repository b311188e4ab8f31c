/**
 * DeleteRecords (key 21), v0-2, as Kafka's `KafkaApis.handleDeleteRecordsRequest`,
 * `ReplicaManager.deleteRecords`, `Partition.deleteRecordsOnLeader` and `DelayedDeleteRecords` do it:
 * - per partition: UNKNOWN_TOPIC_OR_PARTITION when this broker's metadata lacks it; INVALID_TOPIC_EXCEPTION for
 *   internal topics; NOT_LEADER_OR_FOLLOWER unless this broker leads it; POLICY_VIOLATION when the topic's
 *   `cleanup.policy` lacks `delete`; offset -1 means the high watermark; any other negative offset, or one above
 *   the high watermark, is OFFSET_OUT_OF_RANGE. Failed partitions answer `lowWatermark` -1;
 * - the leader moves its log start offset up to the offset (never down), then the answer waits, like Kafka's
 *   purgatory, until the low watermark (the smallest log start offset over the leader and its followers on
 *   unfenced brokers) reaches the offset, so it returns once every live replica has dropped the records. The
 *   followers learn the new log start offset from the `logStartOffset` of the leader's Fetch answers and report
 *   theirs in their next Fetch. A partition still short of it after `timeoutMs` is REQUEST_TIMED_OUT carrying
 *   the low watermark it had when the records were deleted; a partition whose leadership moves meanwhile is
 *   NOT_LEADER_OR_FOLLOWER.
 * Waiting is re-checked on every follower fetch and data notification, as Kafka re-checks its purgatory.
 * Leaves out: authorization, tiered storage.
 */
import { ApiKey, ErrorCode, type DeleteRecordsResponseDeleteRecordsPartitionResultInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { isDeleteEnabled } from '../log/index.ts';
import { INTERNAL_TOPICS, topicPartitionKey } from '../metadata.ts';
import type { Replica } from '../partition.ts';
import { defineHandler } from './handler.ts';

type PartitionResult = DeleteRecordsResponseDeleteRecordsPartitionResultInput;

const HIGH_WATERMARK = -1n;
const INVALID_LOW_WATERMARK = -1n;

/** Kafka's `Partition.lowWatermarkIfLeader`: the smallest log start offset over the leader and its live followers. */
function lowWatermark(broker: Broker, replica: Replica): bigint {
  let low = replica.logStartOffset;
  for (const [brokerId, state] of replica.followers) {
    if (broker.image.brokers.get(brokerId)?.fenced !== false) continue;
    if (state.logStartOffset < low) low = state.logStartOffset;
  }
  return low;
}

interface Pending {
  readonly key: string;
  readonly result: PartitionResult;
  readonly replica: Replica;
  readonly requiredOffset: bigint;
  isWaiting: boolean;
}

function deleteOnLeader(broker: Broker, topicName: string, partitionIndex: number, requestedOffset: bigint): { result: PartitionResult; pending?: Omit<Pending, 'key' | 'result' | 'isWaiting'> } {
  const failed = (errorCode: number) => ({ result: { partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode } });
  const topic = broker.image.topics.get(topicName);
  if (topic === undefined || partitionIndex < 0 || partitionIndex >= topic.partitions.length) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (topic.isInternal || INTERNAL_TOPICS.has(topicName)) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION);
  const replica = broker.replicas.get(topicPartitionKey(topicName, partitionIndex));
  if (replica === undefined || !replica.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (!isDeleteEnabled(replica.log.config)) return failed(ErrorCode.POLICY_VIOLATION);
  const offset = requestedOffset === HIGH_WATERMARK ? replica.highWatermark : requestedOffset;
  if (offset < 0n) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  const deleted = replica.log.deleteRecordsBefore(offset, replica.highWatermark);
  if (deleted.errorCode !== ErrorCode.NONE) return failed(deleted.errorCode);
  return {
    result: { partitionIndex, lowWatermark: lowWatermark(broker, replica), errorCode: ErrorCode.NONE },
    pending: { replica, requiredOffset: offset },
  };
}

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle: async ({ broker }, request) => {
    // Kafka keys the request by partition: a partition named twice is deleted once, with its last offset.
    const offsets = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        const key = topicPartitionKey(topic.name, p.partitionIndex);
        const previous = offsets.get(key);
        if (previous !== undefined) previous.offset = p.offset;
        else offsets.set(key, { topic: topic.name, partition: p.partitionIndex, offset: p.offset });
      }
    }

    const results = new Map<string, PartitionResult>();
    const pending: Pending[] = [];
    for (const [key, { topic, partition, offset }] of offsets) {
      const outcome = deleteOnLeader(broker, topic, partition, offset);
      results.set(key, outcome.result);
      if (outcome.pending !== undefined) pending.push({ key, result: outcome.result, ...outcome.pending, isWaiting: true });
    }

    if (pending.some((p) => p.result.lowWatermark < p.requiredOffset)) {
      // DelayedDeleteRecords: a partition still waiting when time runs out answers REQUEST_TIMED_OUT.
      for (const p of pending) p.result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      await waitForLowWatermarks(broker, pending, request.timeoutMs);
    }

    const byTopic = new Map<string, PartitionResult[]>();
    for (const [key, { topic }] of offsets) {
      let partitions = byTopic.get(topic);
      if (partitions === undefined) byTopic.set(topic, (partitions = []));
      partitions.push(results.get(key)!);
    }
    return { throttleTimeMs: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
  },
});

/** Re-checks the waiting partitions until each reached its offset or failed, or `timeoutMs` passed. */
function waitForLowWatermarks(broker: Broker, pending: Pending[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let isDone = false;
    const unsubscribes: Array<() => void> = [];
    const deadline = broker.runtime.timer(Math.max(0, timeoutMs), () => finish(), `${broker.node}:delete-records-timeout`);
    const finish = (): void => {
      if (isDone) return;
      isDone = true;
      deadline.cancel();
      for (const unsubscribe of unsubscribes) unsubscribe();
      resolve();
    };
    const tryComplete = (): void => {
      for (const p of pending) {
        if (!p.isWaiting) continue;
        const current = broker.replicas.get(p.key);
        if (current !== p.replica || !current.isLeader) {
          p.isWaiting = false;
          p.result.errorCode = current === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER;
          p.result.lowWatermark = INVALID_LOW_WATERMARK;
          continue;
        }
        const low = lowWatermark(broker, current);
        if (low >= p.requiredOffset) {
          p.isWaiting = false;
          p.result.errorCode = ErrorCode.NONE;
          p.result.lowWatermark = low;
        }
      }
      if (broker.status !== 'running' || pending.every((p) => !p.isWaiting)) finish();
    };
    for (const p of pending) {
      unsubscribes.push(p.replica.onData(() => !isDone && tryComplete()));
      unsubscribes.push(p.replica.onFollowerFetch(() => !isDone && tryComplete()));
    }
    tryComplete();
  });
}
