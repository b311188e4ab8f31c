/**
 * CreatePartitions (key 37), v0-3, validated as Kafka's KRaft controller does
 * (`ControllerApis.createPartitions`, `ReplicationControlManager.createPartitions` and
 * `validateManualPartitionAssignment`), with Kafka 4.0's messages:
 * - a topic named twice: INVALID_REQUEST "Duplicate topic name." (one answer for the name);
 * - an unknown topic: UNKNOWN_TOPIC_OR_PARTITION with no message;
 * - a count equal to the current one: INVALID_PARTITIONS "Topic already has N partition(s)."; a smaller one:
 *   "The topic T currently has N partition(s); C would not be an increase." (the ZooKeeper-era wording
 *   "Topic currently has 3 partitions, which is higher than the requested 2." is gone from KRaft);
 * - explicit assignments: one per new partition, none empty, only registered brokers, no broker twice, as many
 *   replicas as the topic's existing partitions, at least one unfenced replica, else INVALID_REPLICA_ASSIGNMENT;
 * - without assignments, the new partitions are placed like the topic's first ones (same replication factor).
 * `validateOnly` runs every check and changes nothing.
 * Leaves out: authorization, controller mutation quotas and `timeoutMs` (the controller answers at once). One
 * divergence: Kafka's placer may put replicas on fenced brokers when fewer than the replication factor are
 * unfenced; this model's placer uses only unfenced brokers, so that case is INVALID_REPLICATION_FACTOR.
 */
import { ApiKey, ErrorCode, type CreatePartitionsResponseCreatePartitionsTopicResultInput } from '../../protocol/index.ts';
import type { MetadataImage } from '../metadata.ts';
import { MAX_PARTITIONS_PER_REQUEST } from './create-topics.ts';
import { defineHandler } from './handler.ts';

type TopicResult = CreatePartitionsResponseCreatePartitionsTopicResultInput;

/** Kafka's `validateManualPartitionAssignment` plus the unfenced-replica check; null when the replicas are fine. */
function manualAssignmentProblem(image: MetadataImage, replicas: readonly number[], replicationFactor: number, partition: number): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...replicas].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    if (!image.brokers.has(sorted[i])) {
      return `The manual partition assignment includes broker ${sorted[i]}, but no such broker is registered.`;
    }
    if (i > 0 && sorted[i] === sorted[i - 1]) return `The manual partition assignment includes the broker ${sorted[i]} more than once.`;
  }
  if (sorted.length !== replicationFactor) {
    return (
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent ` +
      `with previous partitions, which have ${replicationFactor} replica(s).`
    );
  }
  const isActive = (id: number) => {
    const broker = image.brokers.get(id);
    return broker !== undefined && !broker.fenced && !broker.inControlledShutdown;
  };
  if (!replicas.some(isActive)) {
    return `All brokers specified in the manual partition assignment for partition ${partition} are fenced or in controlled shutdown.`;
  }
  return null;
}

export const createPartitionsHandler = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle: ({ broker }, request) => {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const answered = new Set<string>();
    const results: TopicResult[] = [];

    for (const topic of request.topics) {
      if (answered.has(topic.name)) continue;
      answered.add(topic.name);
      const result = (errorCode: number, errorMessage: string | null): void => {
        results.push({ name: topic.name, errorCode, errorMessage });
      };
      if (counts.get(topic.name)! > 1) {
        result(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        continue;
      }
      const image = broker.controller.current;
      const registration = image.topics.get(topic.name);
      if (registration === undefined) {
        result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
        continue;
      }
      const existing = registration.partitions.length;
      if (topic.count === existing) {
        result(ErrorCode.INVALID_PARTITIONS, `Topic already has ${existing} partition(s).`);
        continue;
      }
      if (topic.count < existing) {
        result(ErrorCode.INVALID_PARTITIONS, `The topic ${topic.name} currently has ${existing} partition(s); ${topic.count} would not be an increase.`);
        continue;
      }
      const additional = topic.count - existing;
      if (topic.count > MAX_PARTITIONS_PER_REQUEST) {
        // An in-memory model must refuse a hostile count before allocating for it (see create-topics.ts).
        result(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${topic.count} is above kafkasim's limit of ${MAX_PARTITIONS_PER_REQUEST} per topic.`);
        continue;
      }
      const replicationFactor = registration.partitions[0].replicas.length;
      let assignments: number[][] | undefined;
      if (topic.assignments !== null) {
        if (topic.assignments.length !== additional) {
          result(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${additional} additional partition(s), but only ${topic.assignments.length} assignment(s) were specified.`,
          );
          continue;
        }
        assignments = topic.assignments.map((a) => [...a.brokerIds]);
        const problem = assignments
          .map((replicas, i) => manualAssignmentProblem(image, replicas, replicationFactor, existing + i))
          .find((p) => p !== null);
        if (problem !== undefined) {
          result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
          continue;
        }
      } else {
        const usable = [...image.brokers.values()].filter((b) => !b.inControlledShutdown);
        const unfenced = usable.filter((b) => !b.fenced).length;
        if (unfenced === 0) {
          result(ErrorCode.INVALID_REPLICATION_FACTOR, 'All brokers are currently fenced.');
          continue;
        }
        if (replicationFactor > usable.length) {
          result(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `The target replication factor of ${replicationFactor} cannot be reached because only ${usable.length} broker(s) are registered.`,
          );
          continue;
        }
        if (replicationFactor > unfenced) {
          result(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${replicationFactor} time(s): only ${unfenced} broker(s) are unfenced.`,
          );
          continue;
        }
      }
      if (!request.validateOnly) broker.controller.createPartitions(topic.name, topic.count, assignments);
      result(ErrorCode.NONE, null);
    }
    broker.adoptForwardedChange();
    return { throttleTimeMs: 0, results };
  },
});
