/**
 * DescribeTransactions (key 65), v0 (KIP-664): per transactional id its coordinator's view (state name as Kafka
 * spells it, timeout, start time, producer id and epoch, partitions of the ongoing transaction), or
 * NOT_COORDINATOR, TRANSACTIONAL_ID_NOT_FOUND, INVALID_REQUEST for an empty id.
 * Leaves out: authorization.
 */
import { ApiKey } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle: ({ broker }, request) => ({
    throttleTimeMs: 0,
    transactionStates: request.transactionalIds.map((id) => broker.transactionCoordinator.describeTransaction(id)),
  }),
});
