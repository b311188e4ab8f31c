/**
 * The segments of one partition on this broker's disk (Kafka's `LocalLog`): the ordered segments, the log end
 * offset, the recovery point, rolling, reading, truncating and flushing. `PartitionLog` (UnifiedLog) adds the
 * log start offset, the leader epoch cache, validation, retention and cleaning on top.
 *
 * - `roll` closes the active segment (its closing time index entry, trimmed indexes) and opens one at
 *   max(expected offset, LEO); the closed segment is flushed at once, which Kafka schedules right after the roll.
 * - `read` serves from one segment only: the floor segment of the fetch offset, or the next one holding a later
 *   offset when compaction emptied the rest of it.
 * - `truncateTo` deletes segments based above the target and truncates the new active segment, whole batches only;
 *   the log end offset becomes the target.
 *
 * Time: operations that are not given `nowMs` ask the runtime, or reuse the last time the log was told.
 *
 * - `collectAbortedTransactions` walks the `.txnindex` of the segments from the one holding the fetch offset until an
 *   entry's last stable offset shows no later segment can matter (Kafka's `LocalLog.collectAbortedTransactions`).
 *
 * Left out: log directory renames (future / stray / delete directories), the memory-mapped-buffer-closed checks and
 * the async `.deleted` removal.
 */
import { assert } from '../../runtime/assert.ts';
import type { Prng, Runtime } from '../../runtime/runtime.ts';
import type { LogConfig } from './log-config.ts';
import { LogSegments } from './log-segments.ts';
import { LogSegment, fileName } from './segment.ts';
import type { SegmentReadResult } from './segment.ts';
import type { AppendOptions, SegmentStore } from './segment-store.ts';
import type { OffsetPosition } from './offset-index.ts';
import type { TimestampOffset } from './time-index.ts';
import type { AbortedTxn } from './transaction-index.ts';

/** How an offset is found: segment by floor lookup, position by the sparse index, then the scan. */
export interface OffsetLocation {
  segmentBaseOffset: bigint;
  fileName: string;
  indexEntry: OffsetPosition;
  position: number;
  batchesScanned: number;
  batchLastOffset: bigint;
}

export interface SegmentInfo {
  baseOffset: bigint;
  fileName: string;
  indexFileName: string;
  timeIndexFileName: string;
  txnIndexFileName: string;
  sizeInBytes: number;
  recordCount: number;
  batchCount: number;
  /** Base offset of the first batch, null when empty. */
  firstOffset: bigint | null;
  /** Last offset of the last batch, null when empty. */
  lastOffset: bigint | null;
  /** Largest batch timestamp, -1 when none. */
  maxTimestamp: bigint;
  indexEntries: OffsetPosition[];
  timeIndexEntries: TimestampOffset[];
  /** The `.txnindex` entries: transactions aborted by markers in this segment. */
  abortedTransactions: AbortedTxn[];
  isActive: boolean;
}

export function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export class LocalLog {
  config: LogConfig;
  readonly segments = new LogSegments();
  logEndOffset: bigint;
  recoveryPoint: bigint;
  private lastNowMs: number;
  private readonly jitter: Prng | undefined;

  constructor(
    readonly store: SegmentStore,
    config: LogConfig,
    startOffset: bigint,
    nowMs: number,
    private readonly runtime: Pick<Runtime, 'now' | 'random'> | undefined,
    name?: string,
  ) {
    this.config = config;
    this.logEndOffset = startOffset;
    this.recoveryPoint = startOffset;
    this.lastNowMs = nowMs;
    this.jitter = runtime?.random.fork(name === undefined ? 'segment-jitter' : `segment-jitter:${name}`);
  }

  /** `nowMs` when given (remembered), else the runtime's clock, else the last time the log was told. */
  now(nowMs?: number): number {
    if (nowMs !== undefined) this.lastNowMs = nowMs;
    else if (this.runtime !== undefined) this.lastNowMs = this.runtime.now();
    return this.lastNowMs;
  }

  newSegment(baseOffset: bigint, nowMs = this.now(), fileSuffix?: string): LogSegment {
    const { segmentJitterMs, segmentMs, indexIntervalBytes, segmentIndexBytes } = this.config;
    const bound = Math.min(segmentJitterMs, segmentMs);
    const rollJitterMs = bound > 0 && this.jitter !== undefined ? this.jitter.int(bound) : 0;
    return new LogSegment({ store: this.store, baseOffset, indexIntervalBytes, maxIndexSize: segmentIndexBytes, rollJitterMs, createdMs: nowMs, fileSuffix });
  }

  size(): number {
    return this.segments.sizeInBytes();
  }

  // --- appends and rolling --------------------------------------------------------------------------------

  /**
   * Appends already-validated batches (as consecutive byte ranges) to the active segment, rolling first when it
   * should; returns the segment written and the position the batches start at.
   */
  append(
    records: readonly Uint8Array[],
    firstOffset: bigint,
    lastOffset: bigint,
    maxTimestamp: bigint,
    shallowOffsetOfMaxTimestamp: bigint,
    nowMs: number,
    options: AppendOptions = {},
  ): { segment: LogSegment; position: number } {
    assert(firstOffset >= this.logEndOffset, `append at ${firstOffset} does not overlap the log ending at ${this.logEndOffset}`);
    let size = 0;
    for (const part of records) size += part.length;
    const active = this.segments.active();
    const shouldRoll = active.shouldRoll({
      maxSegmentMs: this.config.segmentMs,
      maxSegmentBytes: this.config.segmentBytes,
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: lastOffset,
      messagesSize: size,
      nowMs,
    });
    const segment = shouldRoll ? this.roll(nowMs, firstOffset) : active;
    const position = segment.size;
    segment.append(lastOffset, maxTimestamp, shallowOffsetOfMaxTimestamp, records, nowMs, options);
    this.logEndOffset = lastOffset + 1n;
    if (this.logEndOffset - this.recoveryPoint >= BigInt(this.config.flushMessages)) this.flush();
    return { segment, position };
  }

  /** A new active segment at max(expectedNextOffset, LEO); the old one is closed and flushed. */
  roll(nowMs = this.now(), expectedNextOffset = 0n): LogSegment {
    const newOffset = expectedNextOffset > this.logEndOffset ? expectedNextOffset : this.logEndOffset;
    const active = this.segments.active();
    if (active.baseOffset === newOffset) {
      // KAFKA-6388: an empty active segment asked to roll (an index with no room) is recreated in place.
      assert(active.size === 0, `rolling to ${newOffset}, where a non-empty segment already starts`);
      this.segments.remove(active);
      active.delete();
      const fresh = this.newSegment(newOffset, nowMs);
      this.segments.add(fresh);
      return fresh;
    }
    assert(newOffset > active.baseOffset, `roll offset ${newOffset} is above the active segment's base ${active.baseOffset}`);
    active.onBecomeInactiveSegment();
    const segment = this.newSegment(newOffset, nowMs);
    this.segments.add(segment);
    this.flush(newOffset);
    return segment;
  }

  // --- reads ----------------------------------------------------------------------------------------------

  /** Batches from the first segment holding an offset >= `startOffset`; null when none does. */
  read(startOffset: bigint, maxBytes: number, maxOffset: bigint, minOneMessage: boolean): SegmentReadResult | null {
    const segments = this.segments.all();
    for (let i = Math.max(0, this.segments.floorIndex(startOffset)); i < segments.length; i++) {
      const read = segments[i].read(startOffset, maxBytes, maxOffset, minOneMessage);
      if (read !== null) return read;
    }
    return null;
  }

  /**
   * Aborted transactions overlapping [fetchOffset, upperBoundOffset), from the segment holding `fetchOffset` on
   * (markers live in the segment that was active when they were appended, never in an earlier one).
   */
  collectAbortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    const segments = this.segments.all();
    const collected: AbortedTxn[] = [];
    for (let i = Math.max(0, this.segments.floorIndex(fetchOffset)); i < segments.length; i++) {
      const result = segments[i].txnIndex.collectAbortedTxns(fetchOffset, upperBoundOffset);
      collected.push(...result.abortedTransactions);
      if (result.isComplete) break;
    }
    return collected;
  }

  locate(offset: bigint): OffsetLocation | null {
    const segments = this.segments.all();
    for (let i = Math.max(0, this.segments.floorIndex(offset)); i < segments.length; i++) {
      const found = segments[i].translateOffset(offset);
      if (found === null) continue;
      return {
        segmentBaseOffset: segments[i].baseOffset,
        fileName: segments[i].name,
        indexEntry: found.indexEntry,
        position: found.position,
        batchesScanned: found.batchesScanned,
        batchLastOffset: found.offset,
      };
    }
    return null;
  }

  // --- truncation and deletion ----------------------------------------------------------------------------

  /** `LocalLog.truncateTo`: the caller checked that some segment starts at or below the target. */
  truncateTo(targetOffset: bigint): void {
    for (const segment of [...this.segments.all()]) if (segment.baseOffset > targetOffset) this.removeSegment(segment);
    this.segments.active().truncateTo(targetOffset, this.now());
    this.logEndOffset = targetOffset;
    this.recoveryPoint = minBigint(this.recoveryPoint, targetOffset);
  }

  truncateFullyAndStartAt(newOffset: bigint): void {
    for (const segment of [...this.segments.all()]) this.removeSegment(segment);
    this.segments.add(this.newSegment(newOffset));
    this.logEndOffset = newOffset;
    this.recoveryPoint = minBigint(this.recoveryPoint, newOffset);
  }

  removeSegment(segment: LogSegment): void {
    this.segments.remove(segment);
    segment.delete();
  }

  /** The cleaner's swap: old files go, the cleaned file takes the first one's name and place. */
  replaceSegments(replaced: readonly LogSegment[], cleaned: LogSegment): void {
    for (const segment of replaced) segment.delete();
    cleaned.renameTo(fileName(cleaned.baseOffset, '.log'));
    this.segments.replace(replaced, cleaned);
  }

  // --- flush ----------------------------------------------------------------------------------------------

  /** Flushes the segments holding offsets in [recoveryPoint, uptoOffset) and moves the recovery point. */
  flush(uptoOffset: bigint = this.logEndOffset): void {
    if (uptoOffset <= this.recoveryPoint) return;
    for (const segment of this.segments.range(this.recoveryPoint, uptoOffset)) segment.flush();
    this.recoveryPoint = uptoOffset;
  }

  // --- introspection --------------------------------------------------------------------------------------

  segmentInfos(): SegmentInfo[] {
    const active = this.segments.active();
    return this.segments.all().map((segment) => ({
      baseOffset: segment.baseOffset,
      fileName: fileName(segment.baseOffset, '.log'),
      indexFileName: fileName(segment.baseOffset, '.index'),
      timeIndexFileName: fileName(segment.baseOffset, '.timeindex'),
      txnIndexFileName: fileName(segment.baseOffset, '.txnindex'),
      sizeInBytes: segment.size,
      recordCount: segment.recordCount,
      batchCount: segment.batchCount,
      firstOffset: segment.firstBatchBaseOffset,
      lastOffset: segment.lastBatchLastOffset,
      maxTimestamp: segment.maxTimestampSoFar,
      indexEntries: segment.offsetIndex.entryList(),
      timeIndexEntries: segment.timeIndex.entryList(),
      abortedTransactions: segment.txnIndex.allAbortedTxns(),
      isActive: segment === active,
    }));
  }

  /** Segments sorted, each holding offsets only within [its base, the next base) and below the log end offset. */
  checkInvariants(): void {
    this.segments.checkInvariants();
    const segments = this.segments.all();
    assert(segments.length > 0, 'a log always has an active segment');
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const upper = segments[i + 1]?.baseOffset ?? this.logEndOffset;
      assert(segment.firstBatchBaseOffset === null || segment.firstBatchBaseOffset >= segment.baseOffset, `segment ${segment.baseOffset} holds no offset below its base`);
      assert(segment.lastBatchLastOffset === null || segment.lastBatchLastOffset < upper, `segment ${segment.baseOffset} ends below ${upper}`);
    }
  }
}
