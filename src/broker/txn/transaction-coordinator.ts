/**
 * The transaction coordinator of one broker (Kafka's `TransactionCoordinator` / `TransactionStateManager`).
 * Placeholder: transactions land here with the client work.
 */
import type { Broker } from '../broker.ts';
import type { MetadataImage } from '../metadata.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { CoordinatorLookup } from '../internal-topics.ts';

export class TransactionCoordinator {
  constructor(readonly broker: Broker) {}

  /** The broker started (or restarted). */
  start(): void {}

  /** The broker crashed or shut down: drop in-memory state and cancel timers. */
  stop(): void {}

  /** The broker adopted a new metadata image (leadership of transaction-state partitions may have changed). */
  onImage(_image: MetadataImage): void {}

  /** FindCoordinator with key type 1 (transaction): the leader of the transactional id's state partition. */
  findCoordinator(_transactionalId: string): CoordinatorLookup {
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };
  }
}
