/**
 * ListTransactions (key 66), v0-1 (KIP-664, KIP-994): the transactions this broker coordinates, filtered by state
 * names (unknown ones are echoed in `unknownStateFilters`), producer ids and, from v1, a minimum running time
 * (`durationFilter`, -1 for none). Each broker lists only its own; admin clients ask every broker.
 * Leaves out: authorization.
 */
import { ApiKey } from '../../protocol/index.ts';
import { defineHandler } from './handler.ts';

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle: ({ broker, header }, request) => ({
    throttleTimeMs: 0,
    ...broker.transactionCoordinator.listTransactions(request.stateFilters, request.producerIdFilters, header.apiVersion >= 1 ? request.durationFilter : -1n),
  }),
});
