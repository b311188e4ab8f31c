/**
 * The transaction metadata a coordinator holds and the `__transaction_state` log behind it (Kafka's
 * `TransactionStateManager`): which partitions of the topic this broker leads (one cache per partition, stamped with
 * the partition's leader epoch as the coordinator epoch), the metadata per transactional id, and the write of every
 * transition to the log.
 *
 * - A transactional id belongs to partition `abs(hashCode(id)) % partitions` (the topic's partition count, or
 *   `transaction.state.log.num.partitions` before it exists); a broker not leading that partition answers
 *   NOT_COORDINATOR.
 * - `appendTransactionToLog` appends one record as the partition leader with acks=all semantics (refused up front
 *   below `min.insync.replicas`, then waits up to `request.timeout.ms` for the high watermark) and applies the
 *   transition only when the record is replicated and the coordinator epoch is unchanged. Append errors are mapped
 *   as Kafka maps them (timeouts and missing replicas to COORDINATOR_NOT_AVAILABLE, lost leadership to
 *   NOT_COORDINATOR); on an error the pending transition is dropped unless the caller will retry it.
 * - On becoming leader of a partition the coordinator replays its log (`load`): the latest record per id is its state.
 *   The caller then completes the transactions found in PrepareCommit/PrepareAbort by sending their markers again.
 *   On losing leadership the cache goes (`unload`).
 *
 * Left out: asynchronous loading (COORDINATOR_LOAD_IN_PROGRESS never happens: the replay is instant in virtual time),
 * the load buffer size, metrics.
 */
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Broker } from '../broker.ts';
import { coordinatorPartition, effectiveReplicationFactor, TRANSACTION_STATE_TOPIC } from '../internal-topics.ts';
import { topicPartitionKey } from '../metadata.ts';
import type { Replica } from '../partition.ts';
import { encodeTransactionLogBatch, replayTransactionLog } from './transaction-log.ts';
import type { TransactionMetadata, TxnTransitMetadata } from './transaction-metadata.ts';

export interface CoordinatorEpochAndMetadata {
  readonly coordinatorEpoch: number;
  readonly metadata: TransactionMetadata;
}

/** NONE with the id's metadata (null when unknown), or NOT_COORDINATOR. */
export interface TransactionStateLookup {
  readonly errorCode: number;
  readonly entry: CoordinatorEpochAndMetadata | null;
}

interface PartitionCache {
  readonly coordinatorEpoch: number;
  readonly transactions: Map<string, TransactionMetadata>;
}

const LOAD_READ_BYTES = 5 * 1024 * 1024;

/** Kafka's `TransactionStateManager.transactionTopicConfigs`, with `min.insync.replicas` capped like the replication factor. */
export function transactionTopicConfigs(broker: Broker): Map<string, string> {
  const replicationFactor = effectiveReplicationFactor(broker, 'transaction.state.log.replication.factor');
  const configuredMinIsr = broker.config.int('transaction.state.log.min.isr');
  // With the replication factor lowered for a small cluster, the default min ISR (2) would refuse every write.
  const minIsr = broker.config.has('transaction.state.log.min.isr') ? configuredMinIsr : Math.min(configuredMinIsr, replicationFactor);
  return new Map([
    ['unclean.leader.election.enable', 'false'],
    ['compression.type', 'uncompressed'],
    ['cleanup.policy', 'compact'],
    ['min.insync.replicas', String(minIsr)],
    ['segment.bytes', String(broker.config.int('transaction.state.log.segment.bytes'))],
  ]);
}

/** How Kafka reports a failed append to the transaction log. */
function mapAppendError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

export class TransactionStateManager {
  private readonly caches = new Map<number, PartitionCache>();
  /** Bumped when the broker stops: work started before then must not touch the new state. */
  private generation = 0;

  constructor(private readonly broker: Broker) {}

  partitionCount(): number {
    return this.broker.image.topics.get(TRANSACTION_STATE_TOPIC)?.partitions.length ?? this.broker.config.int('transaction.state.log.num.partitions');
  }

  partitionFor(transactionalId: string): number {
    return coordinatorPartition(transactionalId, this.partitionCount());
  }

  /** Partitions of `__transaction_state` this broker coordinates, with their coordinator epochs. */
  ownedPartitions(): Array<{ partition: number; coordinatorEpoch: number }> {
    return [...this.caches].map(([partition, cache]) => ({ partition, coordinatorEpoch: cache.coordinatorEpoch })).sort((a, b) => a.partition - b.partition);
  }

  getTransactionState(transactionalId: string): TransactionStateLookup {
    const cache = this.caches.get(this.partitionFor(transactionalId));
    if (cache === undefined) return { errorCode: ErrorCode.NOT_COORDINATOR, entry: null };
    const metadata = cache.transactions.get(transactionalId);
    return { errorCode: ErrorCode.NONE, entry: metadata === undefined ? null : { coordinatorEpoch: cache.coordinatorEpoch, metadata } };
  }

  /** The id's metadata, `created` when it has none yet. */
  putTransactionStateIfNotExists(created: TransactionMetadata): TransactionStateLookup {
    const cache = this.caches.get(this.partitionFor(created.transactionalId));
    if (cache === undefined) return { errorCode: ErrorCode.NOT_COORDINATOR, entry: null };
    let metadata = cache.transactions.get(created.transactionalId);
    if (metadata === undefined) {
      metadata = created;
      cache.transactions.set(created.transactionalId, created);
    }
    return { errorCode: ErrorCode.NONE, entry: { coordinatorEpoch: cache.coordinatorEpoch, metadata } };
  }

  /** Drops an id whose tombstone is written (expiration). */
  removeTransactionalId(transactionalId: string, coordinatorEpoch: number): void {
    const cache = this.caches.get(this.partitionFor(transactionalId));
    if (cache !== undefined && cache.coordinatorEpoch === coordinatorEpoch) cache.transactions.delete(transactionalId);
  }

  /** Every cached transaction, by partition then in insertion order. */
  allTransactions(): TransactionMetadata[] {
    return this.ownedPartitions().flatMap(({ partition }) => [...this.caches.get(partition)!.transactions.values()]);
  }

  /**
   * Writes `transit` for the id and, once it is replicated under the same coordinator epoch, applies it. Resolves with
   * NONE or the error the client gets. `retryOnError` keeps the pending transition for a caller that retries.
   */
  async appendTransactionToLog(transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, retryOnError: (errorCode: number) => boolean = () => false): Promise<number> {
    const generation = this.generation;
    const partition = this.partitionFor(transactionalId);
    const errorCode = await this.append(partition, encodeTransactionLogBatch(transactionalId, transit.state === 'Dead' ? null : transit, this.broker.runtime.now()));
    if (generation !== this.generation) return ErrorCode.NOT_COORDINATOR;
    const lookup = this.getTransactionState(transactionalId);
    const isSameCoordinator = lookup.errorCode === ErrorCode.NONE && lookup.entry !== null && lookup.entry.coordinatorEpoch === coordinatorEpoch;
    if (errorCode === ErrorCode.NONE) {
      // The partition moved away and back (or the id expired) meanwhile: the client must find its coordinator again.
      if (!isSameCoordinator) return ErrorCode.NOT_COORDINATOR;
      lookup.entry!.metadata.completeTransitionTo(transit);
      return ErrorCode.NONE;
    }
    if (isSameCoordinator && !retryOnError(errorCode)) lookup.entry!.metadata.pendingState = null;
    return errorCode;
  }

  private async append(partition: number, batch: Buffer): Promise<number> {
    const replica = this.broker.replicas.get(topicPartitionKey(TRANSACTION_STATE_TOPIC, partition));
    const topic = this.broker.image.topics.get(TRANSACTION_STATE_TOPIC);
    if (replica === undefined || topic === undefined) return ErrorCode.NOT_COORDINATOR;
    if (!replica.isLeader) return mapAppendError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const minInsyncReplicas = this.broker.topicConfig(topic).number('min.insync.replicas');
    if (replica.isr.length < minInsyncReplicas) return mapAppendError(ErrorCode.NOT_ENOUGH_REPLICAS);
    const appended = replica.log.appendAsLeader(batch, { leaderEpoch: replica.leaderEpoch, nowMs: this.broker.runtime.now(), origin: 'coordinator' });
    if (appended.errorCode !== ErrorCode.NONE) return mapAppendError(appended.errorCode);
    replica.afterLeaderAppend();
    const errorCode = await replica.waitForHighWatermark(appended.lastOffset + 1n, minInsyncReplicas, this.broker.config.int('request.timeout.ms'));
    return mapAppendError(errorCode);
  }

  // -------------------------------------------------------------------------------------------------------
  // Leadership of __transaction_state partitions

  /** Replays the partition's log as its new coordinator; returns the transactions left in PrepareCommit/PrepareAbort. */
  load(partition: number, replica: Replica): TransactionMetadata[] {
    const transactions = new Map<string, TransactionMetadata>();
    let offset = replica.logStartOffset;
    const end = replica.logEndOffset;
    while (offset < end) {
      const read = replica.log.read(offset, { maxBytes: LOAD_READ_BYTES, maxOffset: end, minOneMessage: true });
      if (read.errorCode !== ErrorCode.NONE || read.batchCount === 0) break;
      replayTransactionLog(read.records, transactions);
      offset = read.lastOffset + 1n;
    }
    this.caches.set(partition, { coordinatorEpoch: replica.leaderEpoch, transactions });
    return [...transactions.values()].filter((m) => m.state === 'PrepareCommit' || m.state === 'PrepareAbort');
  }

  unload(partition: number): void {
    this.caches.delete(partition);
  }

  coordinatorEpochOf(partition: number): number | null {
    return this.caches.get(partition)?.coordinatorEpoch ?? null;
  }

  /** Ongoing transactions older than their timeout, with no transition pending (Kafka's `timedOutTransactions`). */
  timedOutTransactions(nowMs: number): Array<{ transactionalId: string; producerId: bigint; producerEpoch: number }> {
    return this.allTransactions()
      .filter((m) => !m.pendingTransitionInProgress && m.state === 'Ongoing' && m.txnStartTimestamp + m.txnTimeoutMs < nowMs)
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch }));
  }

  /** Idle transactional ids not used for `transactional.id.expiration.ms`. */
  expiredTransactionalIds(nowMs: number): TransactionMetadata[] {
    const expirationMs = this.broker.config.int('transactional.id.expiration.ms');
    return this.allTransactions().filter(
      (m) => !m.pendingTransitionInProgress && (m.state === 'Empty' || m.state === 'CompleteCommit' || m.state === 'CompleteAbort') && m.txnLastUpdateTimestamp <= nowMs - expirationMs,
    );
  }

  clear(): void {
    this.caches.clear();
    this.generation++;
  }
}
