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
