/**
 * What the partition log's operations answer (Kafka's `LogAppendInfo`, `FetchDataInfo`, the cleaner's stats):
 * plain values carrying Kafka error codes, never exceptions, so a handler copies them into a response.
 *
 * Left out: `LogAppendInfo`'s validation stats and leader-HW change hints.
 */
import type { RecordError } from './log-validator.ts';
import type { AbortedTxn } from './transaction-index.ts';

/** What an append did (Kafka's `LogAppendInfo`); on an error nothing was appended and offsets are -1. */
export interface LogAppendResult {
  errorCode: number;
  errorMessage: string | null;
  /** Record-level failures, as ProduceResponse's `recordErrors`. */
  recordErrors: RecordError[];
  firstOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped on LogAppendTime batches, else -1. */
  logAppendTime: bigint;
  maxTimestamp: bigint;
  /** Batches appended. */
  shallowCount: number;
  validBytes: number;
  logStartOffset: bigint;
}

export interface LogReadOptions {
  maxBytes: number;
  /** Exclusive bound: only batches whose last offset is below it (high watermark, last stable offset). Default LEO. */
  maxOffset?: bigint;
  /** Return the first batch even when larger than `maxBytes` (KIP-74). Default true. */
  minOneMessage?: boolean;
  /** Also collect the aborted transactions overlapping what is read (a read_committed Fetch). Default false. */
  includeAbortedTransactions?: boolean;
}

export interface LogReadResult {
  errorCode: number;
  /** Whole v2 batches, possibly starting before the fetch offset. */
  records: Buffer;
  fetchOffset: bigint;
  /** Base offset of the first batch returned, -1 when none. */
  firstOffset: bigint;
  /** Last offset of the last batch returned, -1 when none. */
  lastOffset: bigint;
  batchCount: number;
  /** The first batch is larger than `maxBytes` and `minOneMessage` was false, so nothing came back. */
  isFirstEntryIncomplete: boolean;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** With `includeAbortedTransactions`: the aborted transactions overlapping the records read (`FetchDataInfo`); else null. */
  abortedTransactions: AbortedTxn[] | null;
}

export interface CompactionSummary {
  isCleaned: boolean;
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  segmentsCleaned: number;
  recordsRead: number;
  recordsRetained: number;
}
