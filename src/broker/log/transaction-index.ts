/**
 * The transaction index of one segment (Kafka's `TransactionIndex`, the `.txnindex` file named like its segment,
 * KIP-98): one entry per transaction that an ABORT marker in this segment ended, with the producer id, the
 * transaction's first offset, the marker's offset and the last stable offset at the time the marker was appended.
 * A read_committed Fetch collects the entries overlapping what it returns (`collectAbortedTxns`), so consumers can
 * drop aborted records without reading the whole log.
 *
 * Entries are appended in the order markers reach the log, so their last offsets increase; a truncation drops the
 * entries whose marker is gone. The entries live in memory next to their segment (as the offset and time indexes
 * do here) and are rebuilt from the batches after a crash, a truncation or a cleaning pass.
 *
 * Left out: the file format itself (34-byte entries with a version, reported as `sizeInBytes`), sanity checks of a
 * loaded file (nothing is loaded: everything is rebuilt).
 */
import { assert } from '../../runtime/assert.ts';

/** Kafka's `AbortedTxn`: the answer element of read_committed fetches is its (producerId, firstOffset). */
export interface AbortedTxn {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** The offset of the ABORT marker. */
  readonly lastOffset: bigint;
  /** The last stable offset right after the marker: no open transaction began before it. */
  readonly lastStableOffset: bigint;
}

/** version (2) + producerId (8) + firstOffset (8) + lastOffset (8) + lastStableOffset (8). */
export const ABORTED_TXN_ENTRY_SIZE = 34;

export interface TxnIndexSearchResult {
  abortedTransactions: AbortedTxn[];
  /** No later segment can hold an entry overlapping the searched range. */
  isComplete: boolean;
}

export class TransactionIndex {
  private entries: AbortedTxn[] = [];

  constructor(readonly baseOffset: bigint) {}

  get sizeInBytes(): number {
    return this.entries.length * ABORTED_TXN_ENTRY_SIZE;
  }

  append(txn: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    assert(last === undefined || txn.lastOffset > last.lastOffset, `aborted transaction ending at ${txn.lastOffset} follows the one ending at ${last?.lastOffset}`);
    assert(txn.firstOffset <= txn.lastOffset, `aborted transaction [${txn.firstOffset}, ${txn.lastOffset}] is a range`);
    this.entries.push(txn);
  }

  /** Drops the entries whose marker is at or after `offset`. */
  truncateTo(offset: bigint): void {
    this.entries = this.entries.filter((entry) => entry.lastOffset < offset);
  }

  reset(): void {
    this.entries = [];
  }

  allAbortedTxns(): AbortedTxn[] {
    return [...this.entries];
  }

  /** Kafka's `collectAbortedTxns`: entries overlapping [fetchOffset, upperBoundOffset). */
  collectAbortedTxns(fetchOffset: bigint, upperBoundOffset: bigint): TxnIndexSearchResult {
    const abortedTransactions: AbortedTxn[] = [];
    for (const entry of this.entries) {
      if (entry.lastOffset >= fetchOffset && entry.firstOffset < upperBoundOffset) abortedTransactions.push(entry);
      if (entry.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }
}
