/**
 * AddOffsetsToTxn (key 25), v0-4, as Kafka's `KafkaApis.handleAddOffsetsToTxnRequest`: the group's
 * `__consumer_offsets` partition (`abs(hashCode(groupId)) % partitions`, the topic's partition count or
 * `offsets.topic.num.partitions` before FindCoordinator created it) joins the transaction, so TxnOffsetCommit may
 * follow and the transaction's markers reach the group coordinator. Errors as AddPartitionsToTxn's: NOT_COORDINATOR,
 * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS.
 * Leaves out: authorization, TRANSACTION_ABORTABLE (v4 is served, the error never occurs).
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  handle: async ({ broker, header }, request) => {
    const errorCode = await broker.transactionCoordinator.handleAddOffsetsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.groupId);
    return { throttleTimeMs: 0, errorCode: header.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode };
  },
});
