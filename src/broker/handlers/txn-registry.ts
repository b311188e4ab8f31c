/** Handlers of the transaction APIs, merged into the registry in `index.ts`. */
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.ts';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn.ts';
import { describeTransactionsHandler } from './describe-transactions.ts';
import { endTxnHandler } from './end-txn.ts';
import type { Handler } from './handler.ts';
import { listTransactionsHandler } from './list-transactions.ts';
import { writeTxnMarkersHandler } from './write-txn-markers.ts';

export const TXN_HANDLERS: readonly Handler[] = [
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
] as unknown as readonly Handler[];
