/**
 * Public types of KafkaJS's `types/index.d.ts` shared by several client modules, spelled as KafkaJS spells them.
 */

/** One partition of a topic's metadata, as KafkaJS exposes it. */
export type PartitionMetadata = {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
};

/** Offsets as KafkaJS passes them around: the next offset to consume, as a string. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

export interface Offsets {
  topics: TopicOffsets[];
}
