/**
 * The cluster metadata as KRaft publishes it: an immutable image (brokers, topics, partitions with their
 * replicas, ISR, leader, leader epoch and partition epoch) with a version number. The controller makes a
 * new image for every change; each broker acts on the newest image it has received, which may be older
 * than the controller's when the broker cannot reach the controller. That lag is real Kafka behaviour
 * and is what lets a partitioned ex-leader keep accepting acks=1 writes that are later truncated.
 *
 * Left out: the metadata log itself (records, snapshots, offsets) and ELR (KIP-966).
 */

export const NO_LEADER = -1;

export interface BrokerRegistration {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** A fenced broker has missed its session (or is starting): it leads nothing and is not in any ISR. */
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
}

export interface PartitionRegistration {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Bumped on every change of leader or ISR; AlterPartition must name the current one. */
  readonly partitionEpoch: number;
}

export interface TopicRegistration {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionRegistration[];
  /** The topic's config overrides (CreateTopics configs, AlterConfigs). */
  readonly configs: ReadonlyMap<string, string>;
  readonly isInternal: boolean;
}

export interface MetadataImage {
  readonly version: number;
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: ReadonlyMap<string, TopicRegistration>;
}

export const topicPartitionKey = (topic: string, partition: number): string => `${topic}-${partition}`;

export function findPartition(image: MetadataImage, topic: string, partition: number): PartitionRegistration | undefined {
  return image.topics.get(topic)?.partitions[partition];
}

export function topicById(image: MetadataImage, topicId: string): TopicRegistration | undefined {
  for (const topic of image.topics.values()) if (topic.topicId === topicId) return topic;
  return undefined;
}

/** Brokers that are registered and not fenced, in id order. */
export function liveBrokers(image: MetadataImage): BrokerRegistration[] {
  return [...image.brokers.values()].filter((broker) => !broker.fenced).sort((a, b) => a.id - b.id);
}

/** Kafka's topic name rules (`org.apache.kafka.common.internals.Topic.validate`). */
export function invalidTopicNameReason(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Names that differ only in '.' versus '_' collide in Kafka's metric names, so Kafka refuses the second. */
export const collisionKey = (name: string): string => name.replace(/\./g, '_');

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);
