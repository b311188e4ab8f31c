/**
 * The group coordinator of one broker (Kafka's `GroupCoordinator` / `GroupMetadataManager`). Placeholder:
 * the classic group protocol lands here with the client work.
 */
import type { Broker } from '../broker.ts';
import type { MetadataImage } from '../metadata.ts';

export class GroupCoordinator {
  constructor(readonly broker: Broker) {}

  /** The broker started (or restarted). */
  start(): void {}

  /** The broker crashed or shut down: drop in-memory state and cancel timers. */
  stop(): void {}

  /** The broker adopted a new metadata image (leadership of offsets partitions may have changed). */
  onImage(_image: MetadataImage): void {}

  /**
   * A transaction marker for `producerId` was written to partition `offsetsPartition` of __consumer_offsets
   * on this broker: pending transactional offset commits of that producer become committed (commit) or are
   * dropped (abort), as Kafka's `GroupCoordinator.onTransactionCompleted` does.
   */
  completeTransaction(_offsetsPartition: number, _producerId: bigint, _producerEpoch: number, _commit: boolean): void {}
}
