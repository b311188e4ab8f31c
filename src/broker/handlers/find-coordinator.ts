/**
 * FindCoordinator (key 10), v0-4, as Kafka's `KafkaApis.handleFindCoordinatorRequest`:
 * - key type 0 (group): the leader of the group's `__consumer_offsets` partition. The first lookup creates the
 *   topic (`offsets.topic.num.partitions`, `offsets.topic.replication.factor` capped to the live brokers while
 *   left at its default, compacted) and answers COORDINATOR_NOT_AVAILABLE until the partition has a leader;
 * - key type 1 (transaction): the transaction coordinator's answer;
 * - any other key type: INVALID_REQUEST (for every key from v4);
 * - v0-3 answer one key, with errorMessage "NONE" on success (Kafka's `Errors.NONE.message()`) and the error's
 *   message with node -1 otherwise; v4 answers each of `coordinatorKeys` (KIP-699).
 * Leaves out: authorization, share-group keys (v6).
 */
import { ApiKey, ErrorCode, errorInfo, type FindCoordinatorResponseInput } from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import type { CoordinatorLookup } from '../internal-topics.ts';
import { defineHandler } from './handler.ts';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function lookup(broker: Broker, keyType: number, key: string): CoordinatorLookup {
  return keyType === KEY_TYPE_GROUP ? broker.groupCoordinator.findCoordinator(key) : broker.transactionCoordinator.findCoordinator(key);
}

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  handle: ({ broker, header }, request): FindCoordinatorResponseInput => {
    const isValidKeyType = request.keyType === KEY_TYPE_GROUP || request.keyType === KEY_TYPE_TRANSACTION;
    if (header.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: request.coordinatorKeys.map((key) => {
          if (!isValidKeyType) {
            return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type received: ${request.keyType}` };
          }
          const found = lookup(broker, request.keyType, key);
          return { key, nodeId: found.nodeId, host: found.host, port: found.port, errorCode: found.errorCode, errorMessage: null };
        }),
      };
    }
    const found = isValidKeyType ? lookup(broker, request.keyType, request.key) : { errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 };
    if (found.errorCode !== ErrorCode.NONE) {
      return { throttleTimeMs: 0, errorCode: found.errorCode, errorMessage: errorInfo(found.errorCode).message, nodeId: -1, host: '', port: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: 'NONE', nodeId: found.nodeId, host: found.host, port: found.port };
  },
});
