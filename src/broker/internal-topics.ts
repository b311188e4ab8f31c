/**
 * What the two coordinators share about their internal topics (`__consumer_offsets`,
 * `__transaction_state`): which partition a group id or transactional id maps to, and the lazy creation
 * Kafka does on the first FindCoordinator for that topic (`AutoTopicCreationManager`).
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Broker } from './broker.ts';
import { NO_LEADER } from './metadata.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Java's `String.hashCode` over UTF-16 code units, as Kafka hashes group and transactional ids. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(31, hash) + value.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's `Utils.abs(key.hashCode) % partitionCount` (Utils.abs maps MIN_VALUE to 0). */
export function coordinatorPartition(key: string, partitionCount: number): number {
  const hash = javaStringHashCode(key);
  const positive = hash === -2147483648 ? 0 : Math.abs(hash);
  return positive % partitionCount;
}

export interface CoordinatorLookup {
  readonly errorCode: number;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

const NOT_AVAILABLE: CoordinatorLookup = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };

/**
 * The broker leading the internal topic's partition for `key`, as this broker's metadata image says. If the
 * topic does not exist yet it is created (replication factor capped to the live brokers only when the
 * config was left at its default, see `effectiveReplicationFactor`) and the caller gets
 * COORDINATOR_NOT_AVAILABLE, as Kafka answers until the new partitions have leaders.
 */
export function lookupCoordinator(
  broker: Broker,
  topic: string,
  key: string,
  options: { partitions: number; replicationFactor: number; configs?: ReadonlyMap<string, string> },
): CoordinatorLookup {
  const registration = broker.image.topics.get(topic);
  if (registration === undefined) {
    if (!broker.controller.current.topics.has(topic)) {
      try {
        broker.controller.createTopic({
          name: topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor,
          configs: options.configs,
          isInternal: true,
        });
      } catch {
        // Not enough live brokers for the replication factor: Kafka keeps answering COORDINATOR_NOT_AVAILABLE.
      }
    }
    return NOT_AVAILABLE;
  }
  const partition = registration.partitions[coordinatorPartition(key, registration.partitions.length)];
  if (partition === undefined || partition.leader === NO_LEADER) return NOT_AVAILABLE;
  const leader = broker.image.brokers.get(partition.leader);
  if (leader === undefined || leader.fenced) return NOT_AVAILABLE;
  return { errorCode: ErrorCode.NONE, nodeId: leader.id, host: leader.host, port: leader.port };
}

/**
 * Kafka refuses to create an internal topic with more replicas than live brokers. Single-broker dev setups
 * therefore always lower `offsets.topic.replication.factor`; the simulator does that for them when the
 * config is at its default (3), and keeps Kafka's behaviour when the user set it explicitly.
 */
export function effectiveReplicationFactor(broker: Broker, name: 'offsets.topic.replication.factor' | 'transaction.state.log.replication.factor'): number {
  const configured = broker.config.int(name);
  if (broker.config.has(name)) return configured;
  const live = [...broker.image.brokers.values()].filter((b) => !b.fenced).length;
  return Math.max(1, Math.min(configured, live));
}
