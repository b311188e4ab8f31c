/**
 * EndTxn (key 26), v0-4, as Kafka's `KafkaApis.handleEndTxnRequest` and `TransactionCoordinator.handleEndTransaction`:
 * commit or abort the ongoing transaction. NONE once PrepareCommit/PrepareAbort is replicated in
 * `__transaction_state`; the markers are written after the answer, and until CompleteCommit/CompleteAbort the id's
 * next requests get CONCURRENT_TRANSACTIONS. A retry of a finished end answers NONE; ending the other way, or ending
 * an Empty transaction, is INVALID_TXN_STATE; a retry while the markers are being written is CONCURRENT_TRANSACTIONS;
 * a stale epoch is PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2); an unknown id or producer id
 * INVALID_PRODUCER_ID_MAPPING; NOT_COORDINATOR when this broker does not coordinate the id.
 * Leaves out: v5 (KIP-890 part 2: an epoch bump per transaction), TRANSACTION_ABORTABLE.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  handle: async ({ broker, header }, request) => {
    const errorCode = await broker.transactionCoordinator.handleEndTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
    return { throttleTimeMs: 0, errorCode: header.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode };
  },
});
