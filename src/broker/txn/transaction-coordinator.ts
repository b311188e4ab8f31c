/**
 * The transaction coordinator of one broker (Kafka's `TransactionCoordinator`, KIP-98, KIP-360): it serves the
 * transactional ids that hash to the `__transaction_state` partitions this broker leads, keeping their state in that
 * log (`transaction-state-manager.ts`) and ending transactions with markers (`transaction-marker-channel.ts`).
 *
 * What clients see, as Kafka answers:
 * - InitProducerId: a new transactional id gets a fresh producer id at epoch 0; a known one gets its epoch bumped,
 *   which fences the previous producer (its requests now carry an old epoch). An Ongoing transaction of the previous
 *   producer is aborted first, under a bumped epoch that fences it at the partitions, and the caller gets
 *   CONCURRENT_TRANSACTIONS until that abort completes; a retry then bumps again. KIP-360: a request naming its
 *   current producer id and epoch may bump its own epoch; an exhausted epoch rotates the producer id.
 * - AddPartitionsToTxn / AddOffsetsToTxn: add partitions to the transaction (Empty or Complete* becomes Ongoing and
 *   starts the transaction clock).
 * - EndTxn: PrepareCommit/PrepareAbort is written, the client is answered, then the markers go out and
 *   CompleteCommit/CompleteAbort follows. Until then the next transaction's requests get CONCURRENT_TRANSACTIONS.
 * - Every `transaction.abort.timed.out.transaction.cleanup.interval.ms` the coordinator aborts Ongoing transactions
 *   older than their timeout, bumping the epoch so the zombie producer is fenced.
 * - Every `transaction.remove.expired.transaction.cleanup.interval.ms`, ids idle for `transactional.id.expiration.ms`
 *   are forgotten (a tombstone in the log).
 * - On becoming leader of a `__transaction_state` partition it replays the log and resends the markers of
 *   transactions left in PrepareCommit/PrepareAbort; on losing it, it forgets that partition.
 *
 * The coordinator epoch is the partition's leader epoch; partition leaders refuse markers from an older one.
 * It also verifies transactional produce for partition leaders (KIP-890 part 1, `verifyPartition`).
 *
 * Left out: KIP-890 part 2 (epoch bump per transaction, EndTxn v5), TRANSACTION_ABORTABLE, producer id blocks
 * (ids come from the controller's counter).
 */
import type { Timer } from '../../runtime/index.ts';
import {
  ApiKey,
  ErrorCode,
  type DescribeTransactionsResponseTransactionStateInput,
  type ListTransactionsResponseInput,
} from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { coordinatorPartition, lookupCoordinator, effectiveReplicationFactor, OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, type CoordinatorLookup } from '../internal-topics.ts';
import { NO_LEADER, topicPartitionKey, type MetadataImage } from '../metadata.ts';
import { InterBrokerClient } from './inter-broker-client.ts';
import { TransactionMarkerChannel } from './transaction-marker-channel.ts';
import {
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  partitionKey,
  TRANSACTION_STATES,
  TransactionMetadata,
  type TopicPartition,
  type TxnTransitMetadata,
} from './transaction-metadata.ts';
import { TransactionStateManager, transactionTopicConfigs } from './transaction-state-manager.ts';

export interface InitProducerIdResult {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface ProducerIdAndEpoch {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

const initError = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

/** Errors a partition leader turns into NOT_ENOUGH_REPLICAS so that older producers retry (Kafka's ReplicaManager). */
const RETRIABLE_VERIFICATION_ERRORS = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
const ADD_PARTITIONS_VERIFY_VERSION = 4;

export class TransactionCoordinator {
  readonly state: TransactionStateManager;
  readonly markers: TransactionMarkerChannel;
  private readonly verificationClient: InterBrokerClient;
  private readonly timers: Timer[] = [];
  private isActive = false;

  constructor(readonly broker: Broker) {
    this.state = new TransactionStateManager(broker);
    this.markers = new TransactionMarkerChannel(broker, this.state);
    this.verificationClient = new InterBrokerClient(broker, `${broker.node}-txn-verification`);
  }

  /** The broker started (or restarted). */
  start(): void {
    if (this.isActive) return;
    this.isActive = true;
    this.every('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'txn-abort-timed-out', () => this.abortTimedOutTransactions());
    this.every('transaction.remove.expired.transaction.cleanup.interval.ms', 'txn-id-expiration', () => this.expireTransactionalIds());
  }

  /** The broker crashed or shut down: drop in-memory state and cancel timers. */
  stop(): void {
    this.isActive = false;
    for (const timer of this.timers.splice(0)) timer.cancel();
    this.state.clear();
    this.markers.stop();
    this.verificationClient.closeAll();
  }

  private every(configName: string, label: string, task: () => void): void {
    const intervalMs = this.broker.config.int(configName);
    const tick = (): void => {
      if (!this.isActive) return;
      task();
      this.timers.push(this.broker.runtime.timer(intervalMs, tick, `${this.broker.node}:${label}`));
    };
    this.timers.push(this.broker.runtime.timer(intervalMs, tick, `${this.broker.node}:${label}`));
  }

  /** The broker adopted a new metadata image: take over or give up `__transaction_state` partitions (onElection / onResignation). */
  onImage(_image: MetadataImage): void {
    if (this.broker.status !== 'running') return;
    for (const { partition, coordinatorEpoch } of this.state.ownedPartitions()) {
      const replica = this.broker.replicas.get(topicPartitionKey(TRANSACTION_STATE_TOPIC, partition));
      if (replica === undefined || !replica.isLeader || replica.leaderEpoch !== coordinatorEpoch) {
        this.state.unload(partition);
        this.markers.removeMarkersForTxnTopicPartition(partition);
      }
    }
    const topic = this.broker.image.topics.get(TRANSACTION_STATE_TOPIC);
    for (let partition = 0; partition < (topic?.partitions.length ?? 0); partition++) {
      const replica = this.broker.replicas.get(topicPartitionKey(TRANSACTION_STATE_TOPIC, partition));
      if (replica === undefined || !replica.isLeader || this.state.coordinatorEpochOf(partition) !== null) continue;
      this.markers.removeMarkersForTxnTopicPartition(partition);
      const unfinished = this.state.load(partition, replica);
      const now = this.broker.runtime.now();
      for (const metadata of unfinished) {
        const isCommit = metadata.state === 'PrepareCommit';
        this.markers.addTxnMarkersToSend(replica.leaderEpoch, isCommit, metadata, metadata.prepareComplete(now));
      }
    }
    this.markers.onImage();
  }

  /** FindCoordinator with key type 1 (transaction): the leader of the transactional id's state partition. */
  findCoordinator(transactionalId: string): CoordinatorLookup {
    return lookupCoordinator(this.broker, TRANSACTION_STATE_TOPIC, transactionalId, {
      partitions: this.broker.config.int('transaction.state.log.num.partitions'),
      replicationFactor: effectiveReplicationFactor(this.broker, 'transaction.state.log.replication.factor'),
      configs: transactionTopicConfigs(this.broker),
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // InitProducerId

  async handleInitProducerId(transactionalId: string | null, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<InitProducerIdResult> {
    // Without a transactional id Kafka blindly hands out a new producer id (also for KIP-360 retries).
    if (transactionalId === null) return { errorCode: ErrorCode.NONE, producerId: this.broker.controller.allocateProducerId(), producerEpoch: 0 };
    if (transactionalId.length === 0) return initError(ErrorCode.INVALID_REQUEST);
    if (!(transactionTimeoutMs > 0 && transactionTimeoutMs <= this.broker.config.int('transaction.max.timeout.ms'))) return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let lookup = this.state.getTransactionState(transactionalId);
    if (lookup.errorCode !== ErrorCode.NONE) return initError(lookup.errorCode);
    if (lookup.entry === null) {
      const created = new TransactionMetadata(transactionalId, {
        producerId: this.broker.controller.allocateProducerId(),
        lastProducerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
        txnTimeoutMs: transactionTimeoutMs,
        state: 'Empty',
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: this.broker.runtime.now(),
      });
      lookup = this.state.putTransactionStateIfNotExists(created);
      if (lookup.entry === null) return initError(lookup.errorCode);
    }
    const { metadata, coordinatorEpoch } = lookup.entry;
    const now = this.broker.runtime.now();
    if (metadata.pendingTransitionInProgress) return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected !== null && !this.isValidProducerId(metadata, expected)) return initError(ErrorCode.PRODUCER_FENCED);
    let transit: TxnTransitMetadata;
    switch (metadata.state) {
      case 'CompleteAbort':
      case 'CompleteCommit':
      case 'Empty': {
        if (metadata.isProducerEpochExhausted && (expected === null || expected.producerEpoch === metadata.producerEpoch)) {
          transit = metadata.prepareProducerIdRotation(this.broker.controller.allocateProducerId(), transactionTimeoutMs, now, expected !== null);
        } else {
          const bumped = metadata.prepareIncrementProducerEpoch(transactionTimeoutMs, expected?.producerEpoch ?? null, now);
          if (typeof bumped === 'number') return initError(bumped);
          transit = bumped;
        }
        break;
      }
      case 'Ongoing': {
        // Abort the previous producer's transaction under a bumped epoch (never returned to anyone), then let the
        // client retry: the retry bumps again, from a completed state.
        const fence = metadata.prepareFenceProducerEpoch();
        const errorCode = await this.endTransaction(transactionalId, fence.producerId, fence.producerEpoch, false, false);
        return initError(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
      }
      default:
        return initError(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    const errorCode = await this.state.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    return errorCode === ErrorCode.NONE ? { errorCode, producerId: transit.producerId, producerEpoch: transit.producerEpoch } : initError(errorCode);
  }

  /** KIP-360: which (producer id, epoch) a client may name when asking for a bump. */
  private isValidProducerId(metadata: TransactionMetadata, expected: ProducerIdAndEpoch): boolean {
    return (
      metadata.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === metadata.producerId ||
      (expected.producerId === metadata.lastProducerId && isEpochExhausted(expected.producerEpoch))
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn

  async handleAddPartitionsToTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<number> {
    if (transactionalId.length === 0) return ErrorCode.INVALID_REQUEST;
    const lookup = this.state.getTransactionState(transactionalId);
    if (lookup.errorCode !== ErrorCode.NONE) return lookup.errorCode;
    if (lookup.entry === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const { metadata, coordinatorEpoch } = lookup.entry;
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === 'Ongoing' && partitions.every((tp) => metadata.topicPartitions.has(partitionKey(tp)))) return ErrorCode.NONE;
    if (metadata.state === 'Dead' || metadata.state === 'PrepareEpochFence') return ErrorCode.CONCURRENT_TRANSACTIONS;
    const transit = metadata.prepareAddPartitions(partitions, this.broker.runtime.now());
    return this.state.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  handleAddOffsetsToTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    const partitionCount = this.broker.image.topics.get(OFFSETS_TOPIC)?.partitions.length ?? this.broker.config.int('offsets.topic.num.partitions');
    return this.handleAddPartitionsToTransaction(transactionalId, producerId, producerEpoch, [{ topic: OFFSETS_TOPIC, partition: coordinatorPartition(groupId, partitionCount) }]);
  }

  /**
   * AddPartitionsToTxn v4 with verifyOnly (KIP-890 part 1): whether each partition is in the ongoing transaction. A
   * number is an error for the whole transaction.
   */
  handleVerifyPartitionsInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[]): number | Map<string, number> {
    if (transactionalId.length === 0) return ErrorCode.INVALID_REQUEST;
    const lookup = this.state.getTransactionState(transactionalId);
    if (lookup.errorCode !== ErrorCode.NONE) return lookup.errorCode;
    if (lookup.entry === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const { metadata } = lookup.entry;
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
    return new Map(partitions.map((tp) => [partitionKey(tp), metadata.topicPartitions.has(partitionKey(tp)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE]));
  }

  // -------------------------------------------------------------------------------------------------------
  // EndTxn

  handleEndTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, isCommit: boolean): Promise<number> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, isCommit, true);
  }

  /** Writes PrepareCommit/PrepareAbort, then starts the markers; resolves when the prepare record is replicated. */
  private async endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, isCommit: boolean, isFromClient: boolean): Promise<number> {
    if (transactionalId.length === 0) return ErrorCode.INVALID_REQUEST;
    const lookup = this.state.getTransactionState(transactionalId);
    if (lookup.errorCode !== ErrorCode.NONE) return lookup.errorCode;
    if (lookup.entry === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const { metadata, coordinatorEpoch } = lookup.entry;
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // Clients must name the current epoch; the coordinator's own aborts carry the bumped one.
    if ((isFromClient && producerEpoch !== metadata.producerEpoch) || producerEpoch < metadata.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress && metadata.pendingState !== 'PrepareEpochFence') return ErrorCode.CONCURRENT_TRANSACTIONS;
    let isEpochFence = false;
    switch (metadata.state) {
      case 'Ongoing':
        if (metadata.pendingState === 'PrepareEpochFence') {
          if (isCommit) return ErrorCode.CONCURRENT_TRANSACTIONS;
          isEpochFence = true;
          metadata.pendingState = null;
          metadata.producerEpoch = producerEpoch;
          metadata.lastProducerEpoch = NO_PRODUCER_EPOCH;
        }
        break;
      case 'CompleteCommit':
        return isCommit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case 'CompleteAbort':
        return isCommit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case 'PrepareCommit':
        return isCommit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case 'PrepareAbort':
        return isCommit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
    const transit = metadata.prepareAbortOrCommit(isCommit ? 'PrepareCommit' : 'PrepareAbort', this.broker.runtime.now());
    const errorCode = await this.state.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (errorCode !== ErrorCode.NONE) {
      const again = this.state.getTransactionState(transactionalId).entry;
      // The bumped epoch may not be in the log: the next fence must not bump it again (it was never handed out).
      if (isEpochFence && again !== null && again.coordinatorEpoch === coordinatorEpoch) again.metadata.hasFailedEpochFence = true;
      return errorCode;
    }
    const again = this.state.getTransactionState(transactionalId);
    if (again.errorCode !== ErrorCode.NONE) return again.errorCode;
    if (again.entry === null || again.entry.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR;
    const current = again.entry.metadata;
    if (current.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (current.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (current.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (current.state !== (isCommit ? 'PrepareCommit' : 'PrepareAbort')) return ErrorCode.INVALID_TXN_STATE;
    this.markers.addTxnMarkersToSend(coordinatorEpoch, isCommit, current, current.prepareComplete(this.broker.runtime.now()));
    return ErrorCode.NONE;
  }

  // -------------------------------------------------------------------------------------------------------
  // Background tasks

  /** Aborts Ongoing transactions past their timeout, fencing their producers (Kafka's `abortTimedOutTransactions`). */
  abortTimedOutTransactions(): void {
    for (const timedOut of this.state.timedOutTransactions(this.broker.runtime.now())) {
      const entry = this.state.getTransactionState(timedOut.transactionalId).entry;
      if (entry === null) continue;
      const { metadata } = entry;
      if (metadata.producerId !== timedOut.producerId || metadata.pendingTransitionInProgress || metadata.state !== 'Ongoing') continue;
      const fence = metadata.prepareFenceProducerEpoch();
      void this.endTransaction(timedOut.transactionalId, fence.producerId, fence.producerEpoch, false, false);
    }
  }

  /** Writes tombstones for ids idle longer than `transactional.id.expiration.ms` and forgets them. */
  expireTransactionalIds(): void {
    for (const metadata of this.state.expiredTransactionalIds(this.broker.runtime.now())) {
      const entry = this.state.getTransactionState(metadata.transactionalId).entry;
      if (entry === null || entry.metadata !== metadata) continue;
      const transit = metadata.prepareDead();
      void this.state.appendTransactionToLog(metadata.transactionalId, entry.coordinatorEpoch, transit).then((errorCode) => {
        if (errorCode === ErrorCode.NONE) this.state.removeTransactionalId(metadata.transactionalId, entry.coordinatorEpoch);
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // KIP-890 part 1: a partition leader asks the coordinator before a transaction's first batch

  /**
   * Whether the partition is in the producer's ongoing transaction, asked of the transactional id's coordinator with
   * AddPartitionsToTxn v4 (verifyOnly), as Kafka's `AddPartitionsToTxnManager` does. Answers the error the Produce
   * response carries: coordinator trouble becomes NOT_ENOUGH_REPLICAS (retriable for every producer version),
   * PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH.
   */
  async verifyPartition(transactionalId: string, producerId: bigint, producerEpoch: number, tp: TopicPartition): Promise<number> {
    const errorCode = await this.askVerification(transactionalId, producerId, producerEpoch, tp);
    if (errorCode === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (RETRIABLE_VERIFICATION_ERRORS.has(errorCode)) return ErrorCode.NOT_ENOUGH_REPLICAS;
    return errorCode;
  }

  private async askVerification(transactionalId: string, producerId: bigint, producerEpoch: number, tp: TopicPartition): Promise<number> {
    const topic = this.broker.image.topics.get(TRANSACTION_STATE_TOPIC);
    const registration = topic?.partitions[coordinatorPartition(transactionalId, topic.partitions.length)];
    if (registration === undefined || registration.leader === NO_LEADER) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      const response = await this.verificationClient.request(
        registration.leader,
        ApiKey.AddPartitionsToTxn,
        ADD_PARTITIONS_VERIFY_VERSION,
        { transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [{ name: tp.topic, partitions: [tp.partition] }] }] },
        this.broker.config.int('request.timeout.ms'),
      );
      if (response.errorCode !== ErrorCode.NONE) return response.errorCode;
      const result = response.resultsByTransaction.find((r) => r.transactionalId === transactionalId);
      const answer = result?.topicResults.find((t) => t.name === tp.topic)?.resultsByPartition.find((p) => p.partitionIndex === tp.partition);
      return answer?.partitionErrorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch {
      return ErrorCode.NETWORK_EXCEPTION;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // DescribeTransactions, ListTransactions

  describeTransaction(transactionalId: string): DescribeTransactionsResponseTransactionStateInput {
    const answer: DescribeTransactionsResponseTransactionStateInput = {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: 0n,
      producerId: 0n,
      producerEpoch: 0,
      topics: [],
    };
    if (!this.isActive) return { ...answer, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (transactionalId.length === 0) return { ...answer, errorCode: ErrorCode.INVALID_REQUEST };
    const lookup = this.state.getTransactionState(transactionalId);
    if (lookup.errorCode !== ErrorCode.NONE) return { ...answer, errorCode: lookup.errorCode };
    if (lookup.entry === null || lookup.entry.metadata.state === 'Dead') return { ...answer, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const { metadata } = lookup.entry;
    const topics = new Map<string, number[]>();
    for (const tp of metadata.partitions()) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    return {
      ...answer,
      transactionState: metadata.state,
      transactionTimeoutMs: metadata.txnTimeoutMs,
      transactionStartTimeMs: BigInt(metadata.txnStartTimestamp),
      producerId: metadata.producerId,
      producerEpoch: metadata.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  listTransactions(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: bigint): Omit<ListTransactionsResponseInput, 'throttleTimeMs'> {
    if (!this.isActive) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    const known = new Set<string>(TRANSACTION_STATES);
    const unknownStateFilters = stateFilters.filter((s) => !known.has(s));
    const states = new Set(stateFilters);
    const producerIds = new Set(producerIdFilters);
    const now = BigInt(this.broker.runtime.now());
    const transactionStates = this.state
      .allTransactions()
      .filter((m) => m.state !== 'Dead')
      .filter((m) => states.size === 0 || states.has(m.state))
      .filter((m) => producerIds.size === 0 || producerIds.has(m.producerId))
      .filter((m) => durationFilterMs < 0n || now - BigInt(m.txnStartTimestamp) >= durationFilterMs)
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state }));
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}
