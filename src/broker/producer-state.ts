/**
 * Producer state of one partition replica (Kafka's `ProducerStateManager` and `ProducerAppendInfo`, KIP-98): per
 * producer id the current epoch, the metadata of its last five batches, which is how a retried batch is recognised
 * as a duplicate and answered with the offsets it already has instead of being appended twice, and the first offset
 * of its open transaction.
 *
 * Rules, as `ProducerAppendInfo` applies them to client appends:
 * - an epoch older than the producer's current one: INVALID_PRODUCER_EPOCH;
 * - a batch whose sequences match one of the last five: a duplicate (NONE with the original offsets);
 * - a producer the partition has no state for may start at any sequence (KIP-360); a new epoch of a known
 *   producer must start at 0; otherwise the first sequence must follow the last one (wrapping at 2^31-1):
 *   anything else is OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - a non-transactional batch from a producer with an open transaction: INVALID_TXN_STATE;
 * - a transaction marker with an epoch older than the producer's: INVALID_PRODUCER_EPOCH (the coordinator that
 *   sent it is a zombie); a marker with a newer epoch (the coordinator fenced the producer) becomes the producer's
 *   epoch and forgets its sequences, so the fenced producer's next batch is refused.
 * Leaders and followers both update the state from the batches they append, so a new leader already knows
 * every producer; after a truncation the state is rebuilt from the remaining log.
 *
 * KIP-890 part 1 (transaction verification): before the first transactional batch of a producer's transaction is
 * appended, the leader asks the transaction coordinator whether the partition is in the transaction. The
 * verification guard taken before asking must still be the producer's when the append happens: a marker in between
 * (the transaction ended) drops it, so a late batch cannot open a transaction nobody will close.
 *
 * Left out: producer id expiration (`producer.id.expiration.ms`) and snapshots. The open transactions that decide
 * the last stable offset and the `.txnindex` are the log's (`log/open-transactions.ts`).
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import type { RecordBatchHeader } from '../protocol/codec/record-batch.ts';

export const NO_PRODUCER_ID = -1n;
const MAX_CACHED_BATCHES = 5;

export interface BatchMetadata {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** The batch's max timestamp as appended: a duplicate's answer reports it as the append time. */
  readonly timestamp: bigint;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  epoch: number;
  batches: BatchMetadata[];
  /** First offset of the producer's open transaction, if any. */
  currentTxnFirstOffset: bigint | null;
}

/** KIP-890's `VerificationGuard`: an identity compared by reference. */
export interface VerificationGuard {
  readonly producerId: bigint;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'error'; readonly errorCode: number };

const lastSequenceOf = (header: Pick<RecordBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number =>
  (header.baseSequence + header.lastOffsetDelta) % 2147483648;

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();
  private readonly verificationGuards = new Map<bigint, VerificationGuard>();

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Validates a client batch before the leader appends it. */
  check(header: RecordBatchHeader): SequenceCheck {
    if (header.producerId === NO_PRODUCER_ID) return { kind: 'append' };
    const entry = this.producers.get(header.producerId);
    // KIP-360: with no state for the producer (new, or expired) any first sequence is accepted.
    if (entry === undefined) return { kind: 'append' };
    if (header.producerEpoch < entry.epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH };
    if (header.producerEpoch > entry.epoch) {
      if (header.baseSequence !== 0) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
      return this.checkTransaction(header, entry);
    }
    const lastSequence = lastSequenceOf(header);
    const duplicate = entry.batches.find((b) => b.firstSequence === header.baseSequence && b.lastSequence === lastSequence);
    if (duplicate !== undefined) return { kind: 'duplicate', batch: duplicate };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : (last.lastSequence + 1) % 2147483648;
    if (header.baseSequence !== expected) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    return this.checkTransaction(header, entry);
  }

  /** `ProducerAppendInfo.appendDataBatch`: a producer with an open transaction writes transactionally. */
  private checkTransaction(header: RecordBatchHeader, entry: ProducerEntry): SequenceCheck {
    if (!header.isTransactional && entry.currentTxnFirstOffset !== null) return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE };
    return { kind: 'append' };
  }

  /** `ProducerAppendInfo.checkProducerEpoch` for a marker the coordinator asks the leader to write. */
  checkMarker(producerId: bigint, producerEpoch: number): number {
    const entry = this.producers.get(producerId);
    return entry !== undefined && producerEpoch < entry.epoch ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.NONE;
  }

  /** Whether the producer has an open transaction on this partition. */
  hasOngoingTransaction(producerId: bigint): boolean {
    return (this.producers.get(producerId)?.currentTxnFirstOffset ?? null) !== null;
  }

  /** KIP-890: the guard a verification of the producer's transaction starts with (the pending one, or a new one). */
  startVerification(producerId: bigint): VerificationGuard {
    let guard = this.verificationGuards.get(producerId);
    if (guard === undefined) {
      guard = { producerId };
      this.verificationGuards.set(producerId, guard);
    }
    return guard;
  }

  /** A verified batch may open a transaction only while its guard is still the producer's (no marker came since). */
  isVerified(producerId: bigint, guard: VerificationGuard): boolean {
    return this.hasOngoingTransaction(producerId) || this.verificationGuards.get(producerId) === guard;
  }

  /** Records an appended batch (leader or follower). Control batches end a transaction. */
  update(header: RecordBatchHeader, firstOffset: bigint, lastOffset: bigint, timestamp: bigint = header.maxTimestamp): void {
    if (header.producerId === NO_PRODUCER_ID) return;
    let entry = this.producers.get(header.producerId);
    if (entry === undefined) {
      entry = { producerId: header.producerId, epoch: header.producerEpoch, batches: [], currentTxnFirstOffset: null };
      this.producers.set(header.producerId, entry);
    } else if (header.producerEpoch !== entry.epoch && (header.isControl || header.producerEpoch > entry.epoch)) {
      // Kafka's `maybeUpdateProducerEpoch`: a new epoch forgets the sequences of the old one (an open transaction stays).
      entry.epoch = header.producerEpoch;
      entry.batches = [];
    }
    if (header.isControl) {
      if (header.isTransactional) {
        entry.currentTxnFirstOffset = null;
        this.verificationGuards.delete(header.producerId);
      }
      return;
    }
    if (header.isTransactional && entry.currentTxnFirstOffset === null) {
      entry.currentTxnFirstOffset = firstOffset;
      this.verificationGuards.delete(header.producerId);
    }
    if (header.baseSequence >= 0) {
      entry.batches.push({ firstSequence: header.baseSequence, lastSequence: lastSequenceOf(header), firstOffset, lastOffset, timestamp });
      if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    }
  }

  clear(): void {
    this.producers.clear();
    this.verificationGuards.clear();
  }
}
