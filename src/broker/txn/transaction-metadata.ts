/**
 * The state of one transactional id on its coordinator (Kafka's `TransactionMetadata`, `TxnTransitMetadata` and
 * `TransactionState`, KIP-98): producer id and epoch, the previous ones (KIP-360 retries), the transaction timeout,
 * the state, the partitions of the ongoing transaction and its timestamps.
 *
 * Every change goes in two steps, as in Kafka: `prepare...` checks the transition, records the target as the pending
 * state and returns the target metadata, which is written to `__transaction_state`; `completeTransitionTo` applies
 * it once the write is replicated. While a transition is pending, requests that would start another get
 * CONCURRENT_TRANSACTIONS (the client retries).
 *
 * States and the states they may follow:
 *   Empty <- Empty, CompleteCommit, CompleteAbort      (InitProducerId)
 *   Ongoing <- Ongoing, Empty, CompleteCommit, CompleteAbort   (AddPartitionsToTxn)
 *   PrepareCommit <- Ongoing; PrepareAbort <- Ongoing, PrepareEpochFence   (EndTxn, timeouts, fencing)
 *   CompleteCommit <- PrepareCommit; CompleteAbort <- PrepareAbort   (all markers written)
 *   Dead <- Empty, CompleteCommit, CompleteAbort   (transactional id expiration)
 *   PrepareEpochFence <- Ongoing   (a pending state only: InitProducerId or a timeout fencing the producer)
 *
 * Left out: KIP-890 part 2 (epoch bump per transaction, transaction version 2).
 */
import { assert } from '../../runtime/assert.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';

export type TransactionState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence';

/** The `TransactionStatus` byte of a `__transaction_state` record. */
export const TRANSACTION_STATUS: Readonly<Record<TransactionState, number>> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
};

export const TRANSACTION_STATES = Object.keys(TRANSACTION_STATUS) as TransactionState[];

const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
const MAX_EPOCH = 32767;

/** Kafka never hands out Short.MaxValue, so a coordinator can always fence the last epoch by bumping it. */
export const isEpochExhausted = (epoch: number): boolean => epoch >= MAX_EPOCH - 1;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A map key for a partition (topic names never contain ':'). */
export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

export function sortPartitions(partitions: Iterable<TopicPartition>): TopicPartition[] {
  return [...partitions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** The target of a transition (Kafka's `TxnTransitMetadata`): what is written to the log. */
export interface TxnTransitMetadata {
  readonly producerId: bigint;
  readonly lastProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

export class TransactionMetadata {
  producerId: bigint;
  lastProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TransactionState;
  readonly topicPartitions = new Map<string, TopicPartition>();
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The state a transition in flight leads to. */
  pendingState: TransactionState | null = null;
  /** A fencing bump whose write failed: the next fence reuses that epoch (it was never handed out). */
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    init: Omit<TxnTransitMetadata, 'topicPartitions'> & { topicPartitions?: readonly TopicPartition[] },
  ) {
    this.producerId = init.producerId;
    this.lastProducerId = init.lastProducerId;
    this.producerEpoch = init.producerEpoch;
    this.lastProducerEpoch = init.lastProducerEpoch;
    this.txnTimeoutMs = init.txnTimeoutMs;
    this.state = init.state;
    for (const tp of init.topicPartitions ?? []) this.topicPartitions.set(partitionKey(tp), tp);
    this.txnStartTimestamp = init.txnStartTimestamp;
    this.txnLastUpdateTimestamp = init.txnLastUpdateTimestamp;
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  partitions(): TopicPartition[] {
    return sortPartitions(this.topicPartitions.values());
  }

  prepareFenceProducerEpoch(): TxnTransitMetadata {
    assert(this.producerEpoch < MAX_EPOCH, 'an epoch below Short.MaxValue can be fenced');
    const bumpedEpoch = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepareTransitionTo('PrepareEpochFence', this.producerId, bumpedEpoch, NO_PRODUCER_EPOCH, this.txnTimeoutMs, this.partitions(), this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  /** InitProducerId on an idle transactional id; `expectedEpoch` is the KIP-360 retry's epoch. A number is an error code. */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedEpoch: number | null, nowMs: number): TxnTransitMetadata | number {
    assert(!this.isProducerEpochExhausted, `producer ${this.producerId} has epochs left`);
    const bumped = this.producerEpoch + 1;
    let next: [number, number];
    if (expectedEpoch === null) next = [bumped, NO_PRODUCER_EPOCH];
    else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) next = [bumped, this.producerEpoch];
    // A retry of a bump whose answer was lost: the same epoch again (a new producer would have reset lastProducerEpoch).
    else if (expectedEpoch === this.lastProducerEpoch) next = [this.producerEpoch, this.lastProducerEpoch];
    else return ErrorCode.PRODUCER_FENCED;
    return this.prepareTransitionTo('Empty', this.producerId, next[0], next[1], newTxnTimeoutMs, [], -1, nowMs);
  }

  prepareProducerIdRotation(newProducerId: bigint, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TxnTransitMetadata {
    return this.prepareTransitionTo('Empty', newProducerId, 0, recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH, newTxnTimeoutMs, [], -1, nowMs);
  }

  prepareAddPartitions(added: readonly TopicPartition[], nowMs: number): TxnTransitMetadata {
    const startsTransaction = this.state === 'Empty' || this.state === 'CompleteAbort' || this.state === 'CompleteCommit';
    const partitions = new Map(this.topicPartitions);
    for (const tp of added) partitions.set(partitionKey(tp), tp);
    return this.prepareTransitionTo('Ongoing', this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, sortPartitions(partitions.values()), startsTransaction ? nowMs : this.txnStartTimestamp, nowMs);
  }

  prepareAbortOrCommit(newState: 'PrepareCommit' | 'PrepareAbort', nowMs: number): TxnTransitMetadata {
    return this.prepareTransitionTo(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, this.partitions(), this.txnStartTimestamp, nowMs);
  }

  prepareComplete(nowMs: number): TxnTransitMetadata {
    const newState = this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
    this.hasFailedEpochFence = false;
    return this.prepareTransitionTo(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [], this.txnStartTimestamp, nowMs);
  }

  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo('Dead', this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [], this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  private prepareTransitionTo(
    state: TransactionState,
    producerId: bigint,
    producerEpoch: number,
    lastProducerEpoch: number,
    txnTimeoutMs: number,
    topicPartitions: readonly TopicPartition[],
    txnStartTimestamp: number,
    txnLastUpdateTimestamp: number,
  ): TxnTransitMetadata {
    assert(this.pendingState === null, `${this.transactionalId}: no transition to ${state} while one to ${this.pendingState} is pending`);
    assert(producerId >= 0n, `${this.transactionalId}: producer id ${producerId} is valid`);
    assert(state === 'Dead' || producerEpoch >= 0, `${this.transactionalId}: producer epoch ${producerEpoch} is valid`);
    assert(VALID_PREVIOUS_STATES[state].includes(this.state), `${this.transactionalId}: ${state} may follow ${this.state}`);
    this.pendingState = state;
    return { producerId, lastProducerId: this.producerId, producerEpoch, lastProducerEpoch, txnTimeoutMs, state, topicPartitions, txnStartTimestamp, txnLastUpdateTimestamp };
  }

  /** Applies a transition whose record is now replicated. */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    assert(this.pendingState === transit.state, `${this.transactionalId}: completing ${transit.state}, the pending ${this.pendingState}`);
    this.producerId = transit.producerId;
    this.lastProducerId = transit.lastProducerId;
    this.producerEpoch = transit.producerEpoch;
    this.lastProducerEpoch = transit.lastProducerEpoch;
    this.txnTimeoutMs = transit.txnTimeoutMs;
    this.state = transit.state;
    this.topicPartitions.clear();
    for (const tp of transit.topicPartitions) this.topicPartitions.set(partitionKey(tp), tp);
    this.txnStartTimestamp = transit.txnStartTimestamp;
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp;
    this.pendingState = null;
  }

  /** A marker reached the partition: it leaves the transaction's list (only while Prepare*). */
  removePartition(tp: TopicPartition): void {
    if (this.state === 'PrepareCommit' || this.state === 'PrepareAbort') this.topicPartitions.delete(partitionKey(tp));
  }
}
