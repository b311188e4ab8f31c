/**
 * The topic-level configs one partition log reads (Kafka's `LogConfig`), with Kafka's defaults, in camelCase
 * with units last. The broker resolves topic overrides and broker synonyms (`config.ts`) and hands the result
 * over, at creation and again after AlterConfigs (`PartitionLog.updateConfig`).
 *
 * Sizes and times are JS numbers: every default and every value a test uses is far below 2^53, and Kafka's
 * "infinite" Long.MAX_VALUE still compares correctly as 9.2e18.
 *
 * Left out: `compression.type` (the log keeps the producer's compression, Kafka's default `producer`),
 * `min.cleanable.dirty.ratio` and `max.compaction.lag.ms` (cleaning runs when the broker asks, see
 * `log-cleaner.ts`), `flush.ms` (a broker timer's job), `message.timestamp.before/after.max.ms` (defaults accept
 * every timestamp), `preallocate`, `file.delete.delay.ms` (deletion is immediate), tiered storage configs.
 */

export type MessageTimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** `segment.bytes`: roll when the active segment would exceed it. */
  segmentBytes: number;
  /** `segment.ms`: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** `segment.jitter.ms`: a random amount (at most this) taken off `segment.ms` per segment. Needs a runtime. */
  segmentJitterMs: number;
  /** `segment.index.bytes`: the size of each index; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** `index.interval.bytes`: bytes appended between two offset index entries. */
  indexIntervalBytes: number;
  /** `retention.ms`: delete segments whose largest timestamp is older; -1 keeps them. */
  retentionMs: number;
  /** `retention.bytes`: delete the oldest segments while the log is larger; -1 for no limit. */
  retentionBytes: number;
  /** `cleanup.policy`: a comma list of `delete` and `compact`. */
  cleanupPolicy: string;
  /** `delete.retention.ms`: how long the cleaner keeps a tombstone once it first saw it (KIP-534). */
  deleteRetentionMs: number;
  /** `min.compaction.lag.ms`: a segment with a record younger than this is not cleaned. */
  minCompactionLagMs: number;
  /** `message.timestamp.type`. */
  messageTimestampType: MessageTimestampType;
  /** `max.message.bytes`: the largest batch a leader accepts. */
  maxMessageBytes: number;
  /** `flush.messages`: flush after this many unflushed offsets; Kafka's default is never. */
  flushMessages: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 604800000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 86400000,
  minCompactionLagMs: 0,
  messageTimestampType: 'CreateTime',
  maxMessageBytes: 1048588,
  flushMessages: Number.MAX_SAFE_INTEGER,
});

function policies(config: Pick<LogConfig, 'cleanupPolicy'>): string[] {
  return config.cleanupPolicy.split(',').map((policy) => policy.trim().toLowerCase());
}

/** `LogConfig.compact`: the cleaner keeps the latest record per key. */
export function isCompacted(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return policies(config).includes('compact');
}

/** `LogConfig.delete`: retention by time and size applies. */
export function isDeleteEnabled(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return policies(config).includes('delete');
}
