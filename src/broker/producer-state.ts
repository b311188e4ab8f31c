/**
 * Idempotent-producer state of one partition replica (Kafka's `ProducerStateManager` and
 * `ProducerAppendInfo`, KIP-98): per producer id the current epoch and the metadata of its last five
 * batches, which is how a retried batch is recognised as a duplicate and answered with the offsets it
 * already has instead of being appended twice.
 *
 * Rules, as `ProducerAppendInfo.checkSequence` applies them to client appends:
 * - an epoch older than the producer's current one: INVALID_PRODUCER_EPOCH;
 * - a batch whose sequences match one of the last five: a duplicate (NONE with the original offsets);
 * - a producer the partition has no state for may start at any sequence (KIP-360); a new epoch of a known
 *   producer must start at 0; otherwise the first sequence must follow the last one (wrapping at 2^31-1):
 *   anything else is OUT_OF_ORDER_SEQUENCE_NUMBER.
 * Leaders and followers both update the state from the batches they append, so a new leader already knows
 * every producer; after a truncation the state is rebuilt from the remaining log.
 *
 * Left out: producer id expiration (`producer.id.expiration.ms`) and snapshots; transactions add their
 * first offsets here in the transactions work.
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
  /** First offset of the producer's open transaction, if any (drives the last stable offset). */
  currentTxnFirstOffset: bigint | null;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'error'; readonly errorCode: number };

const lastSequenceOf = (header: Pick<RecordBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number =>
  (header.baseSequence + header.lastOffsetDelta) % 2147483648;

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();

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
      return header.baseSequence === 0 ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    const lastSequence = lastSequenceOf(header);
    const duplicate = entry.batches.find((b) => b.firstSequence === header.baseSequence && b.lastSequence === lastSequence);
    if (duplicate !== undefined) return { kind: 'duplicate', batch: duplicate };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : (last.lastSequence + 1) % 2147483648;
    return header.baseSequence === expected ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }

  /** Records an appended batch (leader or follower). Control batches end a transaction. */
  update(header: RecordBatchHeader, firstOffset: bigint, lastOffset: bigint, timestamp: bigint = header.maxTimestamp): void {
    if (header.producerId === NO_PRODUCER_ID) return;
    let entry = this.producers.get(header.producerId);
    if (entry === undefined || header.producerEpoch > entry.epoch) {
      entry = { producerId: header.producerId, epoch: header.producerEpoch, batches: [], currentTxnFirstOffset: null };
      this.producers.set(header.producerId, entry);
    }
    if (header.isControl) {
      entry.currentTxnFirstOffset = null;
      return;
    }
    if (header.isTransactional && entry.currentTxnFirstOffset === null) entry.currentTxnFirstOffset = firstOffset;
    if (header.baseSequence >= 0) {
      entry.batches.push({ firstSequence: header.baseSequence, lastSequence: lastSequenceOf(header), firstOffset, lastOffset, timestamp });
      if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    }
  }

  /** The first offset of the oldest open transaction: the last stable offset can not pass it. */
  firstUnstableOffset(): bigint | null {
    let first: bigint | null = null;
    for (const entry of this.producers.values()) {
      const offset = entry.currentTxnFirstOffset;
      if (offset !== null && (first === null || offset < first)) first = offset;
    }
    return first;
  }

  clear(): void {
    this.producers.clear();
  }
}
