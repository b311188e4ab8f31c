/**
 * InitProducerId (key 22), v0-5, as Kafka's `KafkaApis.handleInitProducerIdRequest`:
 * - no transactional id (idempotent producers): a fresh producer id from the controller's cluster-wide counter at
 *   epoch 0, from any broker (KIP-360 retries get a fresh id too, as in Kafka);
 * - a transactional id: the transaction coordinator's answer (NOT_COORDINATOR when this broker does not lead the
 *   id's `__transaction_state` partition; an epoch bump that fences the previous producer; CONCURRENT_TRANSACTIONS
 *   while an earlier transaction of the id is completing or being aborted for this request;
 *   INVALID_TRANSACTION_TIMEOUT for a timeout <= 0 or above `transaction.max.timeout.ms`; INVALID_REQUEST for an
 *   empty id);
 * - v3+ (KIP-360): a producer id and epoch in the request ask to bump that producer's own epoch; only one of the
 *   two set is INVALID_REQUEST; a stale pair is PRODUCER_FENCED, which v0-3 get as INVALID_PRODUCER_EPOCH.
 * Leaves out: authorization, TRANSACTION_ABORTABLE (v5 is served, the error never occurs).
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle: async ({ broker, header }, request) => {
    const version = header.apiVersion;
    const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    let expected: { producerId: bigint; producerEpoch: number } | null = null;
    if (version >= 3 && (request.producerId !== -1n || request.producerEpoch !== -1)) {
      if (request.producerId === -1n || request.producerEpoch === -1) return fail(ErrorCode.INVALID_REQUEST);
      expected = { producerId: request.producerId, producerEpoch: request.producerEpoch };
    }
    const result = await broker.transactionCoordinator.handleInitProducerId(request.transactionalId, request.transactionTimeoutMs, expected);
    // Clients before v4 do not know PRODUCER_FENCED and handle INVALID_PRODUCER_EPOCH the same way.
    const errorCode = version < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
});
