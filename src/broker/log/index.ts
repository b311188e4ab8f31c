/**
 * The partition log: Kafka's UnifiedLog / LocalLog / LogSegment / OffsetIndex / TimeIndex / LogCleaner /
 * LogLoader / LeaderEpochFileCache for one replica, over a `SegmentStore` (in memory by default). See README.md.
 */
export { PartitionLog } from './log.ts';
export type { PartitionLogOptions } from './log.ts';
export type { CompactionSummary, LogAppendResult, LogReadOptions, LogReadResult } from './log-results.ts';
export type { CleanableRange } from './log-cleaner-manager.ts';
export type { OffsetLocation, SegmentInfo } from './local-log.ts';
export { DEFAULT_LOG_CONFIG, isCompacted, isDeleteEnabled } from './log-config.ts';
export type { LogConfig, MessageTimestampType } from './log-config.ts';
export type { AppendOrigin, RecordError } from './log-validator.ts';
export type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.ts';
export type { TimestampAndOffset } from './file-records.ts';
export type { LoadResult } from './log-loader.ts';
export { InMemorySegmentStore } from './segment-store.ts';
export type { CrashOptions, SegmentFile, SegmentStore } from './segment-store.ts';
export { baseOffsetFromFileName, fileName } from './segment.ts';
export type { SegmentFileSuffix } from './segment.ts';
export { OFFSET_INDEX_ENTRY_SIZE } from './offset-index.ts';
export type { OffsetPosition } from './offset-index.ts';
export { TIME_INDEX_ENTRY_SIZE } from './time-index.ts';
export type { TimestampOffset } from './time-index.ts';
export { ABORTED_TXN_ENTRY_SIZE, TransactionIndex } from './transaction-index.ts';
export type { AbortedTxn } from './transaction-index.ts';
export { OpenTransactions, readTransactionMarker } from './open-transactions.ts';
export type { CompletedTxn, TransactionMarker } from './open-transactions.ts';
