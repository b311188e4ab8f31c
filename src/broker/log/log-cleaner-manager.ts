/**
 * Which part of a log the cleaner may clean, and whether a pass is worth running (Kafka's
 * `LogCleanerManager.cleanableOffsets`). The dirty section starts at the cleaner checkpoint (reset to the log start
 * offset when the checkpoint fell out of the log); cleaning stops at the first uncleanable offset, the smallest of:
 * the last stable offset (at most the high watermark), the active segment's base, and, with
 * `min.compaction.lag.ms`, the first dirty segment holding a record younger than the lag.
 *
 * A pass runs when the dirty section is not empty, or when some batch's tombstone delete horizon (KIP-534) has
 * passed; Kafka's cleaner threads would instead wait for `min.cleanable.dirty.ratio` (default 0.5) or
 * `max.compaction.lag.ms`, which kafkasim leaves to whoever calls `compact()`.
 *
 * Left out: the `cleaner-offset-checkpoint` file (the checkpoint is a field of the log, kept across a crash as the
 * file would be, and reset when it falls outside the log), cleaning pauses and aborts, uncleanable partitions.
 */
import { batchesFrom } from './file-records.ts';
import { minBigint } from './local-log.ts';
import type { LocalLog } from './local-log.ts';

const ATTRIBUTES_OFFSET = 21;
const DELETE_HORIZON_MASK = 0x40;

export interface CleanableRange {
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
}

export function cleanableOffsets(local: LocalLog, checkpoint: bigint | null, logStartOffset: bigint, lastStableOffset: bigint, nowMs: number): CleanableRange {
  let firstDirtyOffset = checkpoint ?? logStartOffset;
  if (firstDirtyOffset < logStartOffset || firstDirtyOffset > local.logEndOffset) firstDirtyOffset = logStartOffset;
  let firstUncleanableOffset = minBigint(lastStableOffset, local.segments.active().baseOffset);
  const lagMs = Math.max(0, local.config.minCompactionLagMs);
  if (lagMs > 0) {
    const dirtyClosed = local.segments.all().slice(0, -1).filter((segment) => segment.readNextOffset() > firstDirtyOffset);
    const young = dirtyClosed.find((segment) => segment.largestTimestamp > nowMs - lagMs);
    if (young !== undefined) firstUncleanableOffset = minBigint(firstUncleanableOffset, young.baseOffset);
  }
  if (firstUncleanableOffset < firstDirtyOffset) firstUncleanableOffset = firstDirtyOffset;
  return { firstDirtyOffset, firstUncleanableOffset };
}

/** Something is dirty, or a batch below the range's end carries a delete horizon that has passed. */
export function needsCleaning(local: LocalLog, range: CleanableRange, nowMs: number): boolean {
  if (range.firstUncleanableOffset > range.firstDirtyOffset) return true;
  const now = BigInt(nowMs);
  for (const segment of local.segments.all()) {
    if (segment.baseOffset >= range.firstUncleanableOffset) break;
    for (const batch of batchesFrom(segment.log)) {
      const head = segment.log.read(batch.position + ATTRIBUTES_OFFSET, 14);
      if ((head.readInt16BE(0) & DELETE_HORIZON_MASK) !== 0 && head.readBigInt64BE(6) <= now) return true;
    }
  }
  return false;
}
