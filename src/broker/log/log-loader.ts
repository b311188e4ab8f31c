/**
 * Loading a log after an unclean shutdown (Kafka's `LogLoader.load` / `recoverLog`): the segment files are the
 * truth, every in-memory structure is rebuilt from them.
 *
 * 1. Files that are not segments (a `.cleaned` left by an interrupted pass) are deleted; each `NNN.log` becomes a
 *    segment again.
 * 2. Segments from the recovery point on are recovered: each batch is validated (size, magic, CRC-32C, offsets
 *    inside the segment and increasing), the indexes rebuilt, leader epochs re-added; at the first invalid byte
 *    the segment is cut and every later segment deleted. Segments below the recovery point were flushed: their
 *    indexes are rebuilt without validation (Kafka trusts them too).
 * 3. If what is left ends below the log start offset (a machine crash lost data DeleteRecords had already moved
 *    past), everything goes and the log restarts empty at the log start offset.
 * 4. The log end offset is the last segment's next offset; the recovery point, the epoch cache (from the end and
 *    from the start) and the log start offset (at least the first segment's base) follow.
 *
 * Left out: `.swap` renames (a cleaning pass is atomic here), the clean-shutdown marker (the caller skips loading
 * after a clean stop), producer-state snapshots, offset-overflow segment splitting (KAFKA-6264).
 */
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { minBigint } from './local-log.ts';
import type { LocalLog } from './local-log.ts';
import { baseOffsetFromFileName } from './segment.ts';

export interface LoadResult {
  logStartOffset: bigint;
  /** Bytes cut from the first invalid batch on, and the later segments deleted with them. */
  truncatedBytes: number;
  deletedSegments: number;
}

/** Rebuilds `local` from its store; `logStartOffset` and the epoch cache are the checkpointed values. */
export function loadLog(local: LocalLog, epochCache: LeaderEpochCache, logStartOffset: bigint): LoadResult {
  const nowMs = local.now();
  const lastModified = new Map(local.segments.all().map((segment) => [segment.baseOffset, segment.lastModifiedMs]));
  local.segments.clear();
  for (const name of local.store.list()) {
    const baseOffset = baseOffsetFromFileName(name);
    if (baseOffset === null) {
      local.store.delete(name);
      continue;
    }
    const segment = local.newSegment(baseOffset, nowMs);
    segment.lastModifiedMs = lastModified.get(baseOffset) ?? nowMs;
    local.segments.add(segment);
  }

  const recoveryPoint = local.recoveryPoint;
  let truncatedBytes = 0;
  let deletedSegments = 0;
  for (const segment of [...local.segments.all()]) {
    if (truncatedBytes > 0) {
      local.removeSegment(segment);
      deletedSegments++;
      continue;
    }
    const next = local.segments.higher(segment.baseOffset);
    const isUnflushed = next === undefined || next.baseOffset > recoveryPoint;
    truncatedBytes = segment.recover(epochCache, isUnflushed);
  }

  let startOffset = logStartOffset;
  if (!local.segments.isEmpty() && local.segments.active().readNextOffset() < startOffset) {
    for (const segment of [...local.segments.all()]) {
      local.removeSegment(segment);
      deletedSegments++;
    }
    epochCache.clear();
  }
  if (local.segments.isEmpty()) local.segments.add(local.newSegment(startOffset, nowMs));
  const active = local.segments.active();
  for (const segment of local.segments.all()) if (segment !== active) segment.onBecomeInactiveSegment();

  local.logEndOffset = active.readNextOffset();
  local.recoveryPoint = minBigint(recoveryPoint, local.logEndOffset);
  epochCache.truncateFromEnd(local.logEndOffset);
  const firstBase = local.segments.first().baseOffset;
  if (firstBase > startOffset) startOffset = firstBase;
  epochCache.truncateFromStart(startOffset);
  return { logStartOffset: startOffset, truncatedBytes, deletedSegments };
}
