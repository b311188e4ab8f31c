/**
 * One segment of a partition log (Kafka's `LogSegment`): a `.log` file of v2 batches named by its base offset
 * (`00000000000000002048.log`), its sparse `.index` and `.timeindex`, and the bookkeeping Kafka keeps in memory:
 * bytes since the last index entry, the largest timestamp so far with the offset of its batch, the timestamp
 * that decides time-based rolling, and the creation time.
 *
 * - `append` takes batches whose offsets are already assigned and adds index entries every
 *   `index.interval.bytes`, pointing an entry at the position of the batch that crossed the interval.
 * - `translateOffset` = offset index lookup (largest entry <= target) + forward scan to the first batch whose
 *   last offset reaches the target; `read` returns whole batches from there (see `log.ts` for why whole).
 * - `shouldRoll` is Kafka's: too big for the incoming batch, older than `segment.ms - jitter` by the first
 *   batch's timestamp (creation time when it has none), a full index, or an offset beyond int32 of the base.
 * - `recover` re-validates every batch (size, magic, CRC-32C, offsets within the segment and increasing),
 *   rebuilds both indexes, re-adds leader epochs, and cuts the file at the first invalid byte.
 *
 * - `txnIndex` is the segment's `.txnindex` (`transaction-index.ts`): the transactions aborted by markers in this
 *   segment. The log appends to it and rebuilds it (see `log.ts`); a truncation drops entries whose marker is cut.
 *
 * Left out: producer-state updates during recovery (the broker rebuilds producer state by reading the log), legacy
 * message formats, lazy index loading, `.swap` / `.cleaned` / `.deleted` suffix juggling.
 */
import { assert } from '../../runtime/assert.ts';
import { RecordBatchDecodeError, decodeRecordBatch, verifyBatchCrc, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../../protocol/codec/record-batch.ts';
import { batchAt, batchesFrom, largestTimestampAfter, searchForOffsetWithSize, searchForTimestamp } from './file-records.ts';
import type { FileBatch, LogOffsetPosition, TimestampAndOffset } from './file-records.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { OffsetIndex } from './offset-index.ts';
import type { OffsetPosition } from './offset-index.ts';
import type { AppendOptions, SegmentFile, SegmentStore } from './segment-store.ts';
import { TimeIndex } from './time-index.ts';
import type { TimestampOffset } from './time-index.ts';
import { TransactionIndex } from './transaction-index.ts';

export type SegmentFileSuffix = '.log' | '.index' | '.timeindex' | '.txnindex';

/** `LogFileUtils.filenamePrefixFromOffset` + suffix: the base offset as 20 zero-padded digits. */
export function fileName(baseOffset: bigint, suffix: SegmentFileSuffix): string {
  assert(baseOffset >= 0n, `segment base offset ${baseOffset} is not negative`);
  return `${baseOffset.toString().padStart(20, '0')}${suffix}`;
}

/** The base offset a segment file is named after, or null for other files. */
export function baseOffsetFromFileName(name: string): bigint | null {
  const match = /^(\d{20})\.log$/.exec(name);
  return match === null ? null : BigInt(match[1]);
}

/** Kafka's `RollParams`. */
export interface RollParams {
  maxSegmentMs: number;
  maxSegmentBytes: number;
  maxTimestampInMessages: bigint;
  maxOffsetInMessages: bigint;
  messagesSize: number;
  nowMs: number;
}

export interface SegmentReadResult {
  /** Whole batches, starting with the one that holds the first offset >= the start offset. */
  records: Buffer;
  firstBatchPosition: number;
  batchCount: number;
  /** Base offset of the first batch returned, -1 when none. */
  firstOffset: bigint;
  /** Last offset of the last batch returned, -1 when none. */
  lastOffset: bigint;
  /** The first batch alone exceeds `maxSize` and `minOneMessage` was false: nothing is returned. */
  isFirstEntryIncomplete: boolean;
}

/** How `translateOffset` found a batch: the index entry it started from and the scan after it. */
export interface OffsetLookup extends LogOffsetPosition {
  indexEntry: OffsetPosition;
}

export interface SegmentOptions {
  store: SegmentStore;
  baseOffset: bigint;
  indexIntervalBytes: number;
  maxIndexSize: number;
  rollJitterMs: number;
  createdMs: number;
  /** Appended to the `.log` name while the segment is being built (the cleaner's `.cleaned`). */
  fileSuffix?: string;
}

export class LogSegment {
  readonly baseOffset: bigint;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly txnIndex: TransactionIndex;
  readonly rollJitterMs: number;
  private file: SegmentFile;
  private readonly store: SegmentStore;
  private readonly indexIntervalBytes: number;
  private readonly maxIndexSize: number;
  private bytesSinceLastIndexEntry = 0;
  /** The first batch's max timestamp, which time-based rolling measures from; null when unknown. */
  private rollingBasedTimestamp: bigint | null = null;
  private maxTimestampAndOffsetSoFar: TimestampOffset | null = null;
  private createdMs: number;
  /** The file's modification time as Kafka's retention falls back to it (batches without timestamps). */
  lastModifiedMs: number;
  batchCount = 0;
  recordCount = 0;
  firstBatchBaseOffset: bigint | null = null;
  lastBatchLastOffset: bigint | null = null;

  constructor(options: SegmentOptions) {
    this.store = options.store;
    this.baseOffset = options.baseOffset;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.rollJitterMs = options.rollJitterMs;
    this.maxIndexSize = options.maxIndexSize;
    this.createdMs = options.createdMs;
    this.lastModifiedMs = options.createdMs;
    this.file = options.store.open(fileName(options.baseOffset, '.log') + (options.fileSuffix ?? ''));
    this.offsetIndex = new OffsetIndex(options.baseOffset, options.maxIndexSize);
    this.timeIndex = new TimeIndex(options.baseOffset, options.maxIndexSize);
    this.txnIndex = new TransactionIndex(options.baseOffset);
  }

  get name(): string {
    return this.file.name;
  }

  get size(): number {
    return this.file.size();
  }

  get log(): SegmentFile {
    return this.file;
  }

  /** Largest batch timestamp so far and the last offset of the first batch that carried it. */
  maxTimestampAndOffset(): TimestampOffset {
    if (this.maxTimestampAndOffsetSoFar === null) this.maxTimestampAndOffsetSoFar = this.timeIndex.lastEntry();
    return this.maxTimestampAndOffsetSoFar;
  }

  get maxTimestampSoFar(): bigint {
    return this.maxTimestampAndOffset().timestamp;
  }

  /** What time-based retention compares: the largest timestamp, or the modification time when there is none. */
  get largestTimestamp(): number {
    const max = this.maxTimestampSoFar;
    return max >= 0n ? Number(max) : this.lastModifiedMs;
  }

  /**
   * `LogSegment.append`: whole batches with offsets assigned, ending at `largestOffset`, given as consecutive
   * byte ranges (a patched header and the untouched rest of a batch need not be joined: the file copies them into
   * one place).
   */
  append(largestOffset: bigint, largestTimestamp: bigint, shallowOffsetOfMaxTimestamp: bigint, records: Uint8Array | readonly Uint8Array[], nowMs: number, options: AppendOptions = {}): void {
    const parts = records instanceof Uint8Array ? [records] : records;
    let size = 0;
    for (const part of parts) size += part.length;
    if (size === 0) return;
    assert(this.offsetIndex.canAppendOffset(largestOffset), `offset ${largestOffset} fits segment ${this.baseOffset}`);
    const physicalPosition = this.file.size();
    if (physicalPosition === 0) this.rollingBasedTimestamp = largestTimestamp;
    this.file.append(parts, options);
    this.lastModifiedMs = nowMs;
    if (largestTimestamp > this.maxTimestampSoFar) this.maxTimestampAndOffsetSoFar = { timestamp: largestTimestamp, offset: shallowOffsetOfMaxTimestamp };
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(largestOffset, physicalPosition);
      const max = this.maxTimestampAndOffset();
      this.timeIndex.maybeAppend(max.timestamp, max.offset);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.countBatches(physicalPosition);
  }

  /** Index lookup, then a forward scan: the first batch whose last offset is >= `offset`. */
  translateOffset(offset: bigint, startingFilePosition = 0): OffsetLookup | null {
    const indexEntry = this.offsetIndex.lookup(offset);
    const found = searchForOffsetWithSize(this.file, offset, Math.max(indexEntry.position, startingFilePosition));
    return found === null ? null : { ...found, indexEntry };
  }

  /**
   * Whole batches from the one holding `startOffset`, at most `maxSize` bytes, only batches whose last offset is
   * below `maxOffset`; with `minOneMessage` the first batch comes back even when larger than `maxSize` (KIP-74).
   * Null when no batch here reaches `startOffset`.
   */
  read(startOffset: bigint, maxSize: number, maxOffset: bigint, minOneMessage: boolean): SegmentReadResult | null {
    assert(maxSize >= 0, `read size ${maxSize} is not negative`);
    const start = this.translateOffset(startOffset);
    if (start === null) return null;
    const adjustedMaxSize = minOneMessage ? Math.max(maxSize, start.size) : maxSize;
    let end = start.position;
    let batchCount = 0;
    let firstOffset = -1n;
    let lastOffset = -1n;
    for (const batch of batchesFrom(this.file, start.position)) {
      if (batch.lastOffset >= maxOffset) break;
      if (end + batch.sizeInBytes - start.position > adjustedMaxSize) break;
      assert(batchCount === 0 || batch.baseOffset > lastOffset, `batches read from ${this.name} increase: ${batch.baseOffset} after ${lastOffset}`);
      if (batchCount === 0) firstOffset = batch.baseOffset;
      lastOffset = batch.lastOffset;
      end += batch.sizeInBytes;
      batchCount++;
    }
    return {
      records: this.file.read(start.position, end - start.position),
      firstBatchPosition: start.position,
      batchCount,
      firstOffset,
      lastOffset,
      // Kafka flags a first batch cut by maxSize; a read of size 0 is simply empty.
      isFirstEntryIncomplete: adjustedMaxSize > 0 && adjustedMaxSize < start.size,
    };
  }

  /** The offset after the last batch, or the base offset when empty (Kafka's `readNextOffset`). */
  readNextOffset(): bigint {
    return this.lastBatchLastOffset === null ? this.baseOffset : this.lastBatchLastOffset + 1n;
  }

  timeWaitedForRoll(nowMs: number, messageTimestamp: bigint): number {
    this.loadFirstBatchTimestamp();
    const ts = this.rollingBasedTimestamp ?? -1n;
    if (ts >= 0n) return Number(messageTimestamp - ts);
    return nowMs - this.createdMs;
  }

  /** The first batch's timestamp, or MAX_SAFE_INTEGER when unknown (Kafka's `getFirstBatchTimestamp`). */
  firstBatchTimestamp(): number {
    this.loadFirstBatchTimestamp();
    const ts = this.rollingBasedTimestamp;
    return ts !== null && ts >= 0n ? Number(ts) : Number.MAX_SAFE_INTEGER;
  }

  shouldRoll(params: RollParams): boolean {
    const reachedRollMs = this.timeWaitedForRoll(params.nowMs, params.maxTimestampInMessages) > params.maxSegmentMs - this.rollJitterMs;
    const size = this.size;
    return (
      size > params.maxSegmentBytes - params.messagesSize ||
      (size > 0 && reachedRollMs) ||
      this.offsetIndex.isFull() ||
      this.timeIndex.isFull() ||
      !this.offsetIndex.canAppendOffset(params.maxOffsetInMessages)
    );
  }

  /** On roll: the closing time index entry (retention reads it) and trimmed indexes. */
  onBecomeInactiveSegment(): void {
    const max = this.maxTimestampAndOffset();
    this.timeIndex.maybeAppend(max.timestamp, max.offset, true);
    this.offsetIndex.trimToValidSize();
    this.timeIndex.trimToValidSize();
  }

  /** Removes every batch holding an offset >= `offset` (a batch straddling it goes whole); returns bytes cut. */
  truncateTo(offset: bigint, nowMs: number): number {
    const mapping = this.translateOffset(offset);
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    this.txnIndex.truncateTo(offset);
    this.offsetIndex.resize(this.maxIndexSize);
    this.timeIndex.resize(this.maxIndexSize);
    const before = this.file.size();
    if (mapping !== null) this.file.truncate(mapping.position);
    if (this.file.size() === 0) {
      this.createdMs = nowMs;
      this.rollingBasedTimestamp = null;
    }
    this.bytesSinceLastIndexEntry = 0;
    if (this.maxTimestampSoFar >= 0n) this.maxTimestampAndOffsetSoFar = this.readLargestTimestamp();
    this.countBatches(0, true);
    return before - this.file.size();
  }

  /**
   * `LogSegment.recover`: rebuilds the indexes from the batches and cuts the file at the first invalid one. With
   * `shouldValidate` false (segments below the recovery point, whose bytes were flushed) batches are only walked.
   * Returns the number of bytes truncated.
   */
  recover(epochCache: LeaderEpochCache | null, shouldValidate = true): number {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    // The log refills it from the recovered batches, with the transactions still open before this segment.
    this.txnIndex.reset();
    this.maxTimestampAndOffsetSoFar = { timestamp: -1n, offset: this.baseOffset };
    let validBytes = 0;
    let lastIndexEntry = 0;
    let nextOffset = this.baseOffset;
    const size = this.file.size();
    while (validBytes < size) {
      const batch = shouldValidate ? this.validBatchAt(validBytes, nextOffset) : batchAt(this.file, validBytes);
      if (batch === null) break;
      const max = this.maxTimestampAndOffset();
      if (batch.maxTimestamp > max.timestamp) this.maxTimestampAndOffsetSoFar = { timestamp: batch.maxTimestamp, offset: batch.lastOffset };
      // An index sized by a since-lowered segment.index.bytes may be full: the rest of the segment stays unindexed.
      if (validBytes - lastIndexEntry > this.indexIntervalBytes && !this.offsetIndex.isFull() && !this.timeIndex.isFull()) {
        this.offsetIndex.append(batch.lastOffset, validBytes);
        const now = this.maxTimestampAndOffset();
        this.timeIndex.maybeAppend(now.timestamp, now.offset);
        lastIndexEntry = validBytes;
      }
      validBytes += batch.sizeInBytes;
      nextOffset = batch.lastOffset + 1n;
      if (epochCache !== null && batch.partitionLeaderEpoch >= 0) {
        const latest = epochCache.latestEpoch();
        if (latest === null || batch.partitionLeaderEpoch > latest) epochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
      }
    }
    const truncated = size - validBytes;
    this.file.truncate(validBytes);
    this.bytesSinceLastIndexEntry = validBytes - lastIndexEntry;
    const max = this.maxTimestampAndOffset();
    this.timeIndex.maybeAppend(max.timestamp, max.offset, true);
    this.rollingBasedTimestamp = null;
    this.countBatches(0, true);
    return truncated;
  }

  /** `LogSegment.findOffsetByTimestamp`: time index, then offset index, then a scan of the records. */
  findOffsetByTimestamp(timestampMs: bigint, startingOffset: bigint): TimestampAndOffset | null {
    const timestampOffset = this.timeIndex.lookup(timestampMs);
    const from = timestampOffset.offset > startingOffset ? timestampOffset.offset : startingOffset;
    const position = this.offsetIndex.lookup(from).position;
    return searchForTimestamp(this.file, timestampMs, position, startingOffset);
  }

  /** Every batch's header fields, for introspection and the cleaner. */
  batches(): FileBatch[] {
    return [...batchesFrom(this.file)];
  }

  flush(): void {
    this.file.flush();
  }

  delete(): void {
    this.store.delete(this.file.name);
  }

  /** Renames the segment's file (the cleaner's swap); the segment keeps its base offset. */
  renameTo(name: string): void {
    this.store.rename(this.file.name, name);
    const renamed = this.store.get(name);
    assert(renamed !== undefined, `renamed segment file ${name} exists`);
    this.file = renamed;
  }

  private loadFirstBatchTimestamp(): void {
    if (this.rollingBasedTimestamp !== null) return;
    const first = batchAt(this.file, 0);
    if (first !== null) this.rollingBasedTimestamp = first.maxTimestamp;
  }

  /** Kafka's `readLargestTimestamp`: the last time index entry, then a scan of the batches after it. */
  private readLargestTimestamp(): TimestampOffset {
    const last = this.timeIndex.lastEntry();
    const position = this.offsetIndex.lookup(last.offset).position;
    const after = largestTimestampAfter(this.file, position);
    return after.timestamp > last.timestamp ? after : last;
  }

  /** `DefaultRecordBatch.ensureValid` plus the offset checks recovery makes; null at the first invalid byte. */
  private validBatchAt(position: number, nextOffset: bigint): FileBatch | null {
    const remaining = this.file.size() - position;
    if (remaining < LOG_OVERHEAD) return null;
    const head = this.file.read(position, Math.min(remaining, RECORD_BATCH_OVERHEAD));
    const sizeInBytes = LOG_OVERHEAD + head.readInt32BE(8);
    if (remaining < RECORD_BATCH_OVERHEAD || sizeInBytes < RECORD_BATCH_OVERHEAD || sizeInBytes > remaining) return null;
    if (head.readInt8(16) !== 2) return null;
    const bytes = this.file.read(position, sizeInBytes);
    try {
      if (!verifyBatchCrc(bytes)) return null;
      decodeRecordBatch(bytes, { verifyCrc: false });
    } catch (error) {
      if (error instanceof RecordBatchDecodeError) return null;
      throw error;
    }
    const batch = batchAt(this.file, position);
    if (batch === null || batch.baseOffset < nextOffset || batch.lastOffset < batch.baseOffset) return null;
    if (!this.offsetIndex.canAppendOffset(batch.lastOffset)) return null;
    return batch;
  }

  /** Recounts batches and records from `position` (all of them when `reset`). */
  private countBatches(position: number, reset = false): void {
    if (reset) {
      this.batchCount = 0;
      this.recordCount = 0;
      this.firstBatchBaseOffset = null;
      this.lastBatchLastOffset = null;
    }
    for (const batch of batchesFrom(this.file, position)) {
      if (this.firstBatchBaseOffset === null) this.firstBatchBaseOffset = batch.baseOffset;
      assert(this.lastBatchLastOffset === null || batch.baseOffset > this.lastBatchLastOffset, `batches in ${this.name} increase: ${batch.baseOffset} after ${this.lastBatchLastOffset}`);
      this.lastBatchLastOffset = batch.lastOffset;
      this.batchCount++;
      this.recordCount += batch.recordsCount;
    }
  }
}
