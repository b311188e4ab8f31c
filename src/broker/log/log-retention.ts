/**
 * Deleting old segments (Kafka's `UnifiedLog.deleteOldSegments`, `deletableSegments`, `deleteSegments`), run by
 * the broker's retention check every `log.retention.check.interval.ms`:
 * - always, segments whose next segment starts at or below the log start offset (after DeleteRecords);
 * - with `cleanup.policy` including delete, the oldest segments while the log stays at or above `retention.bytes`
 *   without them, and segments whose largest timestamp is more than `retention.ms` old (their largest record
 *   timestamp, not their age; the file's modification time when no batch has one).
 *
 * Segments go oldest first, whole, stopping at the first that does not qualify, and only when they end at or
 * below the high watermark (so the log start offset never passes it). An empty active segment is never deleted;
 * a non-empty active segment that qualifies is rolled first, so the log always keeps an active segment. The log
 * start offset moves to the base of the first surviving segment before the files go.
 *
 * Left out: tiered storage's local retention (`local.retention.*`), the `.deleted` rename and
 * `file.delete.delay.ms`, producer snapshot deletion.
 */
import type { LocalLog } from './local-log.ts';
import type { LogSegment } from './segment.ts';

export interface RetentionContext {
  readonly local: LocalLog;
  logStartOffset(): bigint;
  /** Moves the log start offset up to `offset` (the caller also trims the epoch cache). */
  incrementLogStartOffset(offset: bigint): void;
}

type Predicate = (segment: LogSegment, next: LogSegment | undefined) => boolean;

/** Deletes the qualifying prefix of segments; returns how many went. */
function deleteSegmentsWhile(context: RetentionContext, predicate: Predicate, highWatermark: bigint, nowMs: number): number {
  const { local } = context;
  const segments = local.segments.all();
  const deletable: LogSegment[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const next = segments[i + 1];
    const isLastSegmentAndEmpty = next === undefined && segment.size === 0;
    const upperBoundOffset = next?.baseOffset ?? local.logEndOffset;
    const isDeletable = highWatermark >= upperBoundOffset && predicate(segment, next);
    if (!isDeletable || isLastSegmentAndEmpty) break;
    deletable.push(segment);
  }
  if (deletable.length === 0) return 0;
  // A log always has a segment: when all of them go, a new active one is rolled first.
  if (deletable.length === local.segments.length) local.roll(nowMs);
  const survivor = local.segments.higher(deletable[deletable.length - 1].baseOffset);
  if (survivor !== undefined) context.incrementLogStartOffset(survivor.baseOffset);
  for (const segment of deletable) local.removeSegment(segment);
  return deletable.length;
}

export function deleteLogStartOffsetBreachedSegments(context: RetentionContext, highWatermark: bigint, nowMs: number): number {
  return deleteSegmentsWhile(context, (_, next) => next !== undefined && next.baseOffset <= context.logStartOffset(), highWatermark, nowMs);
}

export function deleteRetentionSizeBreachedSegments(context: RetentionContext, highWatermark: bigint, nowMs: number): number {
  const retentionBytes = context.local.config.retentionBytes;
  const size = context.local.size();
  if (retentionBytes < 0 || size < retentionBytes) return 0;
  let diff = size - retentionBytes;
  const predicate: Predicate = (segment) => {
    if (diff - segment.size < 0) return false;
    diff -= segment.size;
    return true;
  };
  return deleteSegmentsWhile(context, predicate, highWatermark, nowMs);
}

export function deleteRetentionMsBreachedSegments(context: RetentionContext, highWatermark: bigint, nowMs: number): number {
  const retentionMs = context.local.config.retentionMs;
  if (retentionMs < 0) return 0;
  return deleteSegmentsWhile(context, (segment) => nowMs - segment.largestTimestamp > retentionMs, highWatermark, nowMs);
}
