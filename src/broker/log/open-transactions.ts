/**
 * The transactions a partition log has open, as its batches say (the transactional part of Kafka's
 * `ProducerStateManager`, `ProducerAppendInfo.appendEndTxnMarker` and `CompletedTxn`, KIP-98): per producer id the
 * first offset of its open transaction and the coordinator epoch of the last marker it saw. A transactional data
 * batch opens a transaction (if its producer has none open); a COMMIT or ABORT control batch closes it and says
 * whether it was aborted, which is what the transaction index records. The first offset of the oldest open
 * transaction bounds the last stable offset.
 *
 * The log feeds every appended batch here (leader and follower alike) and rebuilds it by a scan after recovery,
 * truncation or cleaning, so a follower that becomes leader already knows the open transactions. A marker may also
 * come for a producer with nothing open (the partition was added to the transaction but never written to): it
 * completes nothing, as in Kafka.
 *
 * Left out: producer-state snapshots (the log is rescanned instead), and the epoch and sequence rules of producers,
 * which the broker's `producer-state.ts` applies before an append.
 */
import { ControlRecordType, decodeControlRecordKey, decodeEndTxnMarkerValue } from '../../protocol/codec/control-records.ts';
import { RecordBatchDecodeError, decodeRecordBatch } from '../../protocol/codec/record-batch.ts';

/** A transaction a marker just ended (Kafka's `CompletedTxn`). */
export interface CompletedTxn {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** The marker's offset. */
  readonly lastOffset: bigint;
  readonly isAborted: boolean;
}

export interface TransactionMarker {
  readonly type: typeof ControlRecordType.ABORT | typeof ControlRecordType.COMMIT;
  readonly coordinatorEpoch: number;
}

/** What a batch header tells about transactions. */
export interface TransactionalBatchInfo {
  readonly producerId: bigint;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
}

/** The transaction marker a control batch carries; null for other control records or unreadable ones. */
export function readTransactionMarker(batch: Buffer): TransactionMarker | null {
  try {
    const decoded = decodeRecordBatch(batch, { verifyCrc: false });
    const record = decoded.records[0];
    if (!decoded.isControl || record === undefined) return null;
    const { type } = decodeControlRecordKey(record.key);
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
    return { type, coordinatorEpoch: decodeEndTxnMarkerValue(record.value).coordinatorEpoch };
  } catch (error) {
    if (error instanceof RecordBatchDecodeError) return null;
    throw error;
  }
}

export class OpenTransactions {
  private readonly firstOffsets = new Map<bigint, bigint>();
  private readonly coordinatorEpochs = new Map<bigint, number>();

  /** Applies one appended batch; a marker returns the transaction it ended, if one was open. */
  onBatch(batch: TransactionalBatchInfo, marker: TransactionMarker | null): CompletedTxn | null {
    if (batch.producerId < 0n || !batch.isTransactional) return null;
    if (!batch.isControl) {
      if (!this.firstOffsets.has(batch.producerId)) this.firstOffsets.set(batch.producerId, batch.baseOffset);
      return null;
    }
    if (marker === null) return null;
    this.coordinatorEpochs.set(batch.producerId, marker.coordinatorEpoch);
    const firstOffset = this.firstOffsets.get(batch.producerId);
    if (firstOffset === undefined) return null;
    this.firstOffsets.delete(batch.producerId);
    return { producerId: batch.producerId, firstOffset, lastOffset: batch.lastOffset, isAborted: marker.type === ControlRecordType.ABORT };
  }

  /**
   * Kafka's `lastStableOffset(completedTxn)`, asked once the transaction is closed: the first offset of the oldest
   * transaction still open, or the offset after the marker when none is.
   */
  lastStableOffsetAfter(completed: CompletedTxn): bigint {
    return this.firstUnstableOffset() ?? completed.lastOffset + 1n;
  }

  /** The first offset of the oldest open transaction. */
  firstUnstableOffset(): bigint | null {
    let first: bigint | null = null;
    for (const offset of this.firstOffsets.values()) if (first === null || offset < first) first = offset;
    return first;
  }

  /** The first offset of the producer's open transaction, null when it has none. */
  firstOffsetOf(producerId: bigint): bigint | null {
    return this.firstOffsets.get(producerId) ?? null;
  }

  /** The coordinator epoch of the last marker written for the producer, -1 when none was. */
  coordinatorEpochOf(producerId: bigint): number {
    return this.coordinatorEpochs.get(producerId) ?? -1;
  }

  /** Producer ids with an open transaction and its first offset, oldest first. */
  open(): Array<{ producerId: bigint; firstOffset: bigint }> {
    return [...this.firstOffsets]
      .map(([producerId, firstOffset]) => ({ producerId, firstOffset }))
      .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  clear(): void {
    this.firstOffsets.clear();
    this.coordinatorEpochs.clear();
  }
}
