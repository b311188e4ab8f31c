/**
 * WriteTxnMarkers (key 27), v0-1, the inter-broker request a transaction coordinator sends to partition leaders
 * (Kafka's `KafkaApis.handleWriteTxnMarkersRequest`). Per marker and partition the leader appends a COMMIT or
 * ABORT control batch carrying the producer id and epoch and, in its value, the coordinator epoch; then waits, as
 * acks=all, for the high watermark to pass it (up to `request.timeout.ms`). Answers per partition:
 * - UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER: the coordinator retries with the current leader;
 * - INVALID_PRODUCER_EPOCH: the marker's epoch is older than the producer's on this partition;
 * - TRANSACTION_COORDINATOR_FENCED: a marker from this producer with a newer coordinator epoch was written already;
 * - NOT_ENOUGH_REPLICAS (ISR below `min.insync.replicas`), NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT.
 * The marker closes the producer's open transaction on the partition (the LSO moves; an abort lands in the
 * segment's `.txnindex`). Once a marker is written to a `__consumer_offsets` partition, the group coordinator
 * materializes or drops the producer's pending offsets there (`GroupCoordinator.completeTransaction`).
 * Leaves out: authorization (CLUSTER_ACTION), message format checks (every log is v2).
 */
import { ApiKey, encodeEndTxnMarkerBatch, ControlRecordType, ErrorCode, readBatchHeader, type WriteTxnMarkersRequestWritableTxnMarker } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { OFFSETS_TOPIC } from '../internal-topics.ts';
import { topicPartitionKey } from '../metadata.ts';
import { defineHandler } from './handler.ts';

async function writeMarker(broker: Broker, marker: WriteTxnMarkersRequestWritableTxnMarker, topicName: string, partition: number): Promise<number> {
  const topic = broker.image.topics.get(topicName);
  if (topic === undefined || partition < 0 || partition >= topic.partitions.length) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const replica = broker.replicas.get(topicPartitionKey(topicName, partition));
  if (replica === undefined || !replica.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const epochError = replica.producerState.checkMarker(marker.producerId, marker.producerEpoch);
  if (epochError !== ErrorCode.NONE) return epochError;
  if (marker.producerId >= 0n && marker.coordinatorEpoch < replica.log.coordinatorEpochOf(marker.producerId)) return ErrorCode.TRANSACTION_COORDINATOR_FENCED;
  const minInsyncReplicas = broker.topicConfig(topic).number('min.insync.replicas');
  if (replica.isr.length < minInsyncReplicas) return ErrorCode.NOT_ENOUGH_REPLICAS;
  const batch = encodeEndTxnMarkerBatch({
    type: marker.transactionResult ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    coordinatorEpoch: marker.coordinatorEpoch,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    timestamp: BigInt(broker.runtime.now()),
  });
  const appended = replica.log.appendAsLeader(batch, { leaderEpoch: replica.leaderEpoch, nowMs: broker.runtime.now(), origin: 'coordinator' });
  if (appended.errorCode !== ErrorCode.NONE) return appended.errorCode;
  replica.producerState.update(readBatchHeader(batch), appended.firstOffset, appended.lastOffset, appended.maxTimestamp);
  replica.afterLeaderAppend();
  const errorCode = await replica.waitForHighWatermark(appended.lastOffset + 1n, minInsyncReplicas, broker.config.int('request.timeout.ms'));
  // Kafka tells the group coordinator once the marker is replicated (KafkaApis' maybeSendResponseCallback).
  if (errorCode === ErrorCode.NONE && topicName === OFFSETS_TOPIC && broker.status === 'running') {
    broker.groupCoordinator.completeTransaction(partition, marker.producerId, marker.producerEpoch, marker.transactionResult);
  }
  return errorCode;
}

export const writeTxnMarkersHandler = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  handle: async ({ broker }, request) => ({
    markers: await Promise.all(
      request.markers.map(async (marker) => ({
        producerId: marker.producerId,
        topics: await Promise.all(
          marker.topics.map(async (topic) => ({
            name: topic.name,
            partitions: await Promise.all(
              topic.partitionIndexes.map(async (partitionIndex) => ({ partitionIndex, errorCode: await writeMarker(broker, marker, topic.name, partitionIndex) })),
            ),
          })),
        ),
      })),
    ),
  }),
});
