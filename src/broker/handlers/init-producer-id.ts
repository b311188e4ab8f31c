/**
 * InitProducerId (key 22), v0-5, for idempotent producers (no transactional id): a fresh producer id from the
 * controller's cluster-wide counter at epoch 0. Transactional ids are served by the transaction coordinator
 * (with the client work); until then a transactional id gets COORDINATOR_NOT_AVAILABLE rather than a
 * silently non-transactional producer.
 * Leaves out: KIP-360 epoch bumps of an existing idempotent producer id.
 */
import { ApiKey, ErrorCode } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle: ({ broker }, request) => {
    if (request.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: broker.controller.allocateProducerId(), producerEpoch: 0 };
  },
});
