/**
 * The log of one partition replica (Kafka's `UnifiedLog`, without tiered storage): the segments (`LocalLog`),
 * `logStartOffset`, the leader epoch cache and the cleaner checkpoint, with the operations the broker drives:
 * leader and follower appends, reads, truncation, DeleteRecords, retention, compaction, ListOffsets lookups,
 * flush, crash and recovery. Protocol errors come back as values with Kafka's error codes; bugs are assertions.
 *
 * Kafka behaviours kept:
 * - appends validate first (`log-validator.ts`), then roll when the active segment is full, too old or has a full
 *   index, then append; a rolled segment is flushed, so a machine crash loses only the active segment's tail;
 * - a read starts with the batch holding the fetch offset (which may begin before it), serves one segment, stops
 *   before `maxOffset` (the high watermark or last stable offset, exclusive), and returns the first batch even when
 *   larger than `maxBytes` if `minOneMessage` (KIP-74);
 * - truncation drops whole batches; retention deletes whole segments below the high watermark (`log-retention.ts`);
 *   recovery follows `LogLoader` (`log-loader.ts`); compaction follows `LogCleaner` (`log-cleaner.ts`).
 *
 * Kafka behaviours changed, on purpose (see docs/compat.md):
 * - a read returns whole batches only; Kafka slices bytes and may end a response in a partial batch, which
 *   clients drop and fetch again (same records, different byte counts);
 * - raising the log start offset (DeleteRecords, a follower learning the leader's) deletes the segments below it
 *   at once, where Kafka leaves that to the next retention check;
 * - `compact()` cleans whenever there is something to clean; Kafka's cleaner threads pick the dirtiest log above
 *   `min.cleanable.dirty.ratio`.
 *
 * Transactions (KIP-98): every appended batch goes through `OpenTransactions`; a marker that ends an aborted
 * transaction adds an entry to the `.txnindex` of the segment it lands in, with the last stable offset of that moment.
 * The open transactions give `firstUnstableOffset` (the partition's LSO), and a read asked for them returns the
 * aborted transactions overlapping what it read, as a read_committed Fetch needs. Both are rebuilt by a scan of the
 * batches after recovery, truncation and cleaning (Kafka reloads a producer snapshot and replays the tail instead).
 *
 * Offsets are bigint (int64); sizes and positions are numbers (a segment is < 2 GiB); timestamps are bigint where
 * they come from batches and numbers where they come from the clock (`nowMs`).
 *
 * Left out: producer sequence state (the broker's `producer-state.ts` rebuilds it by reading this log), producer
 * snapshots, log directory moves.
 */
import { assert } from '../../runtime/assert.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { RECORD_BATCH_OVERHEAD, readBatchHeader } from '../../protocol/codec/record-batch.ts';
import { batchesFrom, recordTimestamps } from './file-records.ts';
import type { TimestampAndOffset } from './file-records.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.ts';
import { clean } from './log-cleaner.ts';
import { cleanableOffsets, needsCleaning } from './log-cleaner-manager.ts';
import { DEFAULT_LOG_CONFIG, isCompacted, isDeleteEnabled } from './log-config.ts';
import type { LogConfig } from './log-config.ts';
import { loadLog } from './log-loader.ts';
import type { LoadResult } from './log-loader.ts';
import { deleteLogStartOffsetBreachedSegments, deleteRetentionMsBreachedSegments, deleteRetentionSizeBreachedSegments } from './log-retention.ts';
import type { RetentionContext } from './log-retention.ts';
import { validateAsFollower, validateAsLeader } from './log-validator.ts';
import type { AppendOrigin, RecordError } from './log-validator.ts';
import type { CompactionSummary, LogAppendResult, LogReadOptions, LogReadResult } from './log-results.ts';
import { LocalLog, minBigint } from './local-log.ts';
import type { OffsetLocation, SegmentInfo } from './local-log.ts';
import { baseOffsetFromFileName } from './segment.ts';
import type { LogSegment } from './segment.ts';
import type { CrashOptions, SegmentStore } from './segment-store.ts';
import { OpenTransactions, readTransactionMarker } from './open-transactions.ts';
import type { AbortedTxn } from './transaction-index.ts';

export interface PartitionLogOptions {
  store: SegmentStore;
  /** Topic configs; missing ones take Kafka's defaults (`DEFAULT_LOG_CONFIG`). */
  config: Partial<LogConfig>;
  /** The time of creation; later operations take their own `nowMs` or ask `runtime`. */
  nowMs: number;
  /** Gives time to operations that take none (follower appends, truncation) and randomness to `segment.jitter.ms`. */
  runtime?: Pick<Runtime, 'now' | 'random'>;
  /**
   * Which log this is (e.g. `broker-1/orders-0`): its `segment.jitter.ms` draws come from its own stream, as each
   * Kafka log draws its own, instead of every log of a runtime rolling at the same jittered times.
   */
  name?: string;
  /** Where an empty store's log starts (default 0). A store already holding segments is loaded and recovered. */
  logStartOffset?: bigint;
}

const NO_OFFSET = -1n;
/** Reads that return nothing share one empty buffer (a zero-length Buffer cannot be written to). */
const NO_RECORDS = Buffer.alloc(0);
/** Where a v2 batch keeps its attributes, and their transactional bit (`DefaultRecordBatch`). */
const ATTRIBUTES_OFFSET = 21;
const TRANSACTIONAL_MASK = 0x10;

export class PartitionLog {
  private readonly local: LocalLog;
  private readonly epochCache = new LeaderEpochCache();
  private startOffset: bigint;
  /** The cleaner checkpoint: where the dirty section starts; null before the first pass. */
  private firstDirtyOffset: bigint | null = null;
  private isCrashed = false;
  private readonly retention: RetentionContext;
  private readonly transactions = new OpenTransactions();

  constructor(options: PartitionLogOptions) {
    this.startOffset = options.logStartOffset ?? 0n;
    this.local = new LocalLog(options.store, { ...DEFAULT_LOG_CONFIG, ...options.config }, this.startOffset, options.nowMs, options.runtime, options.name);
    this.retention = {
      local: this.local,
      logStartOffset: () => this.startOffset,
      incrementLogStartOffset: (offset) => this.raiseLogStartOffset(offset),
    };
    if (options.store.list().some((name) => baseOffsetFromFileName(name) !== null)) {
      this.isCrashed = true;
      this.recover();
    } else {
      this.local.segments.add(this.local.newSegment(this.startOffset));
    }
    this.checkInvariants();
  }

  // --- offsets and config ---------------------------------------------------------------------------------

  get logStartOffset(): bigint {
    return this.startOffset;
  }

  get logEndOffset(): bigint {
    return this.local.logEndOffset;
  }

  /** Offsets below were flushed; recovery after a crash validates from here. */
  get recoveryPoint(): bigint {
    return this.local.recoveryPoint;
  }

  get config(): Readonly<LogConfig> {
    return this.local.config;
  }

  /** Total bytes of all segments (Kafka's `UnifiedLog.size`). */
  get size(): number {
    return this.local.size();
  }

  get numberOfSegments(): number {
    return this.local.segments.length;
  }

  /** AlterConfigs: fields not given keep their value. Existing segments keep their index settings, as in Kafka. */
  updateConfig(config: Partial<LogConfig>): void {
    this.local.config = { ...this.local.config, ...config };
  }

  // --- appends --------------------------------------------------------------------------------------------

  /**
   * A produce on the leader: validates (Kafka's LogValidator subset), assigns offsets from the log end offset,
   * stamps the leader epoch (and LogAppendTime), rolls if needed and appends.
   */
  appendAsLeader(records: Buffer, options: { leaderEpoch: number; nowMs: number; origin?: AppendOrigin }): LogAppendResult {
    this.assertUsable();
    const nowMs = this.local.now(options.nowMs);
    // Kafka appends nothing and answers without an error when there are no valid bytes at all.
    if (records.length === 0) return this.failedAppend(ErrorCode.NONE, null, []);
    const config = this.local.config;
    const validated = validateAsLeader({
      records,
      logEndOffset: this.local.logEndOffset,
      leaderEpoch: options.leaderEpoch,
      nowMs,
      origin: options.origin ?? 'client',
      isCompacted: isCompacted(config),
      timestampType: config.messageTimestampType,
      maxMessageBytes: config.maxMessageBytes,
    });
    if (!validated.ok) return this.failedAppend(validated.errorCode, validated.errorMessage, validated.recordErrors);
    if (validated.validBytes > config.segmentBytes) return this.tooLargeForSegment(validated.validBytes);
    assert(validated.firstOffset === this.local.logEndOffset, `a leader batch starts at the log end offset ${this.local.logEndOffset}`);
    const written = this.local.append(validated.records, validated.firstOffset, validated.lastOffset, validated.maxTimestamp, validated.shallowOffsetOfMaxTimestamp, nowMs);
    this.trackTransactions(written.segment, written.position);
    if (options.leaderEpoch >= 0) this.epochCache.assign(options.leaderEpoch, validated.firstOffset);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      firstOffset: validated.firstOffset,
      lastOffset: validated.lastOffset,
      logAppendTime: validated.logAppendTime,
      maxTimestamp: validated.maxTimestamp,
      shallowCount: validated.shallowCount,
      validBytes: validated.validBytes,
      logStartOffset: this.startOffset,
    };
  }

  /**
   * Replication: batches keep the offsets and epochs the leader gave them. They start at or after the log end
   * offset (after compaction there may be a gap; an overlap is a fetcher bug, asserted). The log may keep
   * `records` itself rather than a copy: the caller must never change those bytes afterwards.
   */
  appendAsFollower(records: Buffer, options: { nowMs?: number } = {}): LogAppendResult {
    this.assertUsable();
    const nowMs = this.local.now(options.nowMs);
    const validated = validateAsFollower(records);
    if (!validated.ok) return this.failedAppend(validated.errorCode, validated.errorMessage, []);
    if (validated.batches.length === 0) return this.failedAppend(ErrorCode.NONE, null, []);
    if (records.length > this.local.config.segmentBytes) return this.tooLargeForSegment(records.length);
    // The fetcher hands over views into a Fetch response it alone holds, so the file may keep them uncopied.
    const written = this.local.append([records], validated.firstOffset, validated.lastOffset, validated.maxTimestamp, validated.shallowOffsetOfMaxTimestamp, nowMs, { mayKeep: true });
    this.trackTransactions(written.segment, written.position);
    for (const batch of validated.batches) {
      const epoch = batch.readInt32BE(12);
      if (epoch >= 0) this.epochCache.assign(epoch, batch.readBigInt64BE(0));
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      firstOffset: validated.firstOffset,
      lastOffset: validated.lastOffset,
      logAppendTime: NO_OFFSET,
      maxTimestamp: validated.maxTimestamp,
      shallowCount: validated.batches.length,
      validBytes: validated.validBytes,
      logStartOffset: this.startOffset,
    };
  }

  private failedAppend(errorCode: number, errorMessage: string | null, recordErrors: RecordError[]): LogAppendResult {
    return {
      errorCode,
      errorMessage,
      recordErrors,
      firstOffset: NO_OFFSET,
      lastOffset: NO_OFFSET,
      logAppendTime: NO_OFFSET,
      maxTimestamp: NO_OFFSET,
      shallowCount: 0,
      validBytes: 0,
      logStartOffset: this.startOffset,
    };
  }

  private tooLargeForSegment(size: number): LogAppendResult {
    const limit = this.local.config.segmentBytes;
    return this.failedAppend(ErrorCode.RECORD_LIST_TOO_LARGE, `Message batch size is ${size} bytes in append, which exceeds the maximum configured segment size of ${limit}.`, []);
  }

  /** Closes the active segment and opens a new one at the log end offset (Kafka's `UnifiedLog.roll`). */
  roll(nowMs?: number): void {
    this.assertUsable();
    this.local.roll(this.local.now(nowMs));
    this.checkInvariants();
  }

  // --- reads ----------------------------------------------------------------------------------------------

  /** `UnifiedLog.read`: OFFSET_OUT_OF_RANGE (a value) below the log start offset or beyond the log end offset. */
  read(fetchOffset: bigint, options: LogReadOptions): LogReadResult {
    this.assertUsable();
    const maxOffset = options.maxOffset ?? this.local.logEndOffset;
    const withAborted = options.includeAbortedTransactions === true;
    // Built once, field by field: an idle follower fetch reads every partition twice per round trip.
    const result: LogReadResult = {
      errorCode: ErrorCode.NONE,
      records: NO_RECORDS,
      fetchOffset,
      firstOffset: NO_OFFSET,
      lastOffset: NO_OFFSET,
      batchCount: 0,
      isFirstEntryIncomplete: false,
      logStartOffset: this.startOffset,
      logEndOffset: this.local.logEndOffset,
      abortedTransactions: withAborted ? [] : null,
    };
    if (fetchOffset < this.startOffset || fetchOffset > this.local.logEndOffset) {
      result.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      return result;
    }
    if (fetchOffset >= maxOffset) return result;
    const read = this.local.read(fetchOffset, Math.max(0, options.maxBytes), maxOffset, options.minOneMessage ?? true);
    if (read === null) return result;
    assert(read.batchCount === 0 || read.lastOffset >= fetchOffset, `a read from ${fetchOffset} returns a batch reaching it`);
    // Kafka bounds the search by an index entry at or past the end of the data read; the exact end gives a subset
    // of its answer that still covers every returned record.
    if (withAborted && read.batchCount > 0) result.abortedTransactions = this.local.collectAbortedTransactions(fetchOffset, read.lastOffset + 1n);
    result.records = read.records;
    result.firstOffset = read.firstOffset;
    result.lastOffset = read.lastOffset;
    result.batchCount = read.batchCount;
    result.isFirstEntryIncomplete = read.isFirstEntryIncomplete;
    return result;
  }

  /** Aborted transactions overlapping [fetchOffset, upperBoundOffset) (Kafka's `collectAbortedTransactions`). */
  collectAbortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    return this.local.collectAbortedTransactions(fetchOffset, upperBoundOffset);
  }

  // --- transactions ---------------------------------------------------------------------------------------

  /** The first offset of the oldest open transaction (the last stable offset cannot pass it); null when none is open. */
  firstUnstableOffset(): bigint | null {
    return this.transactions.firstUnstableOffset();
  }

  /** The first offset of the producer's open transaction in this log, null when it has none. */
  openTransactionFirstOffset(producerId: bigint): bigint | null {
    return this.transactions.firstOffsetOf(producerId);
  }

  /** Producers with an open transaction and where it began, oldest first. */
  openTransactions(): Array<{ producerId: bigint; firstOffset: bigint }> {
    return this.transactions.open();
  }

  /** The coordinator epoch of the last marker written for the producer (-1 when none): older coordinators are fenced. */
  coordinatorEpochOf(producerId: bigint): number {
    return this.transactions.coordinatorEpochOf(producerId);
  }

  /** Every aborted transaction the `.txnindex` files hold, oldest marker first. */
  abortedTransactions(): AbortedTxn[] {
    return this.local.segments.all().flatMap((segment) => segment.txnIndex.allAbortedTxns());
  }

  /** Feeds the batches written at `position` of `segment` to the open transactions and the segment's `.txnindex`. */
  private trackTransactions(segment: LogSegment, position: number): void {
    for (const batch of batchesFrom(segment.log, position)) {
      const head = segment.log.read(batch.position, RECORD_BATCH_OVERHEAD);
      // Most batches are not transactional: the attributes bit says so without parsing the rest of the header.
      if ((head.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_MASK) === 0) continue;
      const header = readBatchHeader(head);
      if (header.producerId < 0n || !header.isTransactional) continue;
      const marker = header.isControl ? readTransactionMarker(segment.log.read(batch.position, batch.sizeInBytes)) : null;
      const completed = this.transactions.onBatch(
        { producerId: header.producerId, isTransactional: true, isControl: header.isControl, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset },
        marker,
      );
      if (completed === null || !completed.isAborted) continue;
      segment.txnIndex.append({
        producerId: completed.producerId,
        firstOffset: completed.firstOffset,
        lastOffset: completed.lastOffset,
        lastStableOffset: this.transactions.lastStableOffsetAfter(completed),
      });
    }
  }

  /** Recomputes the open transactions and every `.txnindex` from the batches (recovery, truncation, cleaning). */
  private rebuildTransactions(): void {
    this.transactions.clear();
    for (const segment of this.local.segments.all()) {
      segment.txnIndex.reset();
      this.trackTransactions(segment, 0);
    }
  }

  /** Where `offset` lives and the lookup path to it (segment floor, sparse index entry, batches scanned). */
  locate(offset: bigint): OffsetLocation | null {
    return this.local.locate(offset);
  }

  // --- ListOffsets ----------------------------------------------------------------------------------------

  /**
   * The first record with timestamp >= `timestamp` at or after the log start offset: the first segment whose
   * largest timestamp reaches it, then its time index, offset index and a scan. Null when there is none below
   * `maxOffset` (the high watermark or last stable offset).
   */
  offsetForTimestamp(timestamp: bigint, maxOffset: bigint = this.local.logEndOffset): TimestampAndOffset | null {
    this.assertUsable();
    const segment = this.local.segments.all().find((s) => largestTimestampOf(s) >= timestamp);
    const found = segment?.findOffsetByTimestamp(timestamp, this.startOffset) ?? null;
    return found !== null && found.offset < maxOffset ? found : null;
  }

  /** ListOffsets MAX_TIMESTAMP (-3, KIP-734): the first record carrying the largest timestamp. */
  offsetOfMaxTimestamp(maxOffset: bigint = this.local.logEndOffset): TimestampAndOffset | null {
    this.assertUsable();
    let best: LogSegment | undefined;
    for (const segment of this.local.segments.all()) if (best === undefined || segment.maxTimestampSoFar > best.maxTimestampSoFar) best = segment;
    if (best === undefined || best.maxTimestampSoFar < 0n) return null;
    const max = best.maxTimestampAndOffset();
    for (const batch of batchesFrom(best.log, best.offsetIndex.lookup(max.offset).position)) {
      if (batch.maxTimestamp !== max.timestamp) continue;
      const record = recordTimestamps(best.log, batch).find((r) => r.timestamp === max.timestamp);
      if (record === undefined || record.offset >= maxOffset) return null;
      return { timestamp: max.timestamp, offset: record.offset, leaderEpoch: batch.partitionLeaderEpoch };
    }
    return null;
  }

  /** `fetchOffsetByTimestamp` with ListOffsets' special timestamps: -2 earliest, -1 latest, -3 max, -4 earliest local. */
  fetchOffsetByTimestamp(timestamp: bigint, maxOffset: bigint = this.local.logEndOffset): TimestampAndOffset | null {
    if (timestamp === -2n || timestamp === -4n) {
      const earliest = this.epochCache.earliestEntry();
      const leaderEpoch = earliest !== null && earliest.startOffset <= this.startOffset ? earliest.epoch : -1;
      return { timestamp: -1n, offset: this.startOffset, leaderEpoch };
    }
    if (timestamp === -1n) return { timestamp: -1n, offset: this.local.logEndOffset, leaderEpoch: this.epochCache.latestEpoch() ?? -1 };
    if (timestamp === -3n) return this.offsetOfMaxTimestamp(maxOffset);
    return this.offsetForTimestamp(timestamp, maxOffset);
  }

  // --- leader epochs --------------------------------------------------------------------------------------

  /** A new leader records where its epoch starts (Kafka's `maybeAssignEpochStartOffset`). */
  assignEpochStartOffset(leaderEpoch: number, startOffset: bigint): void {
    this.epochCache.assign(leaderEpoch, startOffset);
  }

  latestEpoch(): number | null {
    return this.epochCache.latestEpoch();
  }

  epochStartOffset(leaderEpoch: number): bigint | null {
    return this.epochCache.startOffsetOf(leaderEpoch);
  }

  /** OffsetsForLeaderEpoch and the Fetch divergence check; null is Kafka's UNDEFINED_EPOCH_OFFSET. */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset | null {
    return this.epochCache.endOffsetFor(leaderEpoch, this.local.logEndOffset);
  }

  epochEntries(): EpochEntry[] {
    return this.epochCache.entries();
  }

  // --- truncation -----------------------------------------------------------------------------------------

  /** Removes every offset >= `targetOffset` (whole batches); true when something was removed. */
  truncateTo(targetOffset: bigint): boolean {
    this.assertUsable();
    assert(targetOffset >= 0n, `truncation offset ${targetOffset} is not negative`);
    if (targetOffset >= this.local.logEndOffset) {
      // A leader that recorded its epoch but appended nothing before losing leadership leaves an entry at the end.
      this.epochCache.truncateFromEnd(this.local.logEndOffset);
      return false;
    }
    if (this.local.segments.first().baseOffset > targetOffset) {
      this.truncateFullyAndStartAt(targetOffset);
      return true;
    }
    this.local.truncateTo(targetOffset);
    this.epochCache.truncateFromEnd(targetOffset);
    this.startOffset = minBigint(targetOffset, this.startOffset);
    if (this.firstDirtyOffset !== null && this.firstDirtyOffset > targetOffset) this.firstDirtyOffset = null;
    this.rebuildTransactions();
    this.checkInvariants();
    return true;
  }

  /** Deletes everything and starts empty at `newOffset` (a follower behind the leader's log start offset). */
  truncateFullyAndStartAt(newOffset: bigint): void {
    this.assertUsable();
    assert(newOffset >= 0n, `start offset ${newOffset} is not negative`);
    this.local.truncateFullyAndStartAt(newOffset);
    this.startOffset = newOffset;
    this.firstDirtyOffset = null;
    this.epochCache.clear();
    this.rebuildTransactions();
    this.checkInvariants();
  }

  // --- log start offset, DeleteRecords, retention --------------------------------------------------------

  /**
   * Raises the log start offset (a follower learning the leader's, or DeleteRecords), never beyond the high
   * watermark (OFFSET_OUT_OF_RANGE as a value), and deletes the segments now wholly below it.
   */
  maybeIncrementLogStartOffset(newLogStartOffset: bigint, highWatermark: bigint = this.local.logEndOffset): { errorCode: number } {
    this.assertUsable();
    if (newLogStartOffset > highWatermark || newLogStartOffset > this.local.logEndOffset) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    if (newLogStartOffset > this.startOffset) {
      this.raiseLogStartOffset(newLogStartOffset);
      deleteLogStartOffsetBreachedSegments(this.retention, this.local.logEndOffset, this.local.now());
      this.checkInvariants();
    }
    return { errorCode: ErrorCode.NONE };
  }

  /** DeleteRecords: `offset` becomes the log start offset; OFFSET_OUT_OF_RANGE beyond the high watermark. */
  deleteRecordsBefore(offset: bigint, highWatermark: bigint = this.local.logEndOffset): { errorCode: number; logStartOffset: bigint } {
    const { errorCode } = this.maybeIncrementLogStartOffset(offset, highWatermark);
    return { errorCode, logStartOffset: this.startOffset };
  }

  /**
   * The retention check (`UnifiedLog.deleteOldSegments`): segments below the log start offset always; with
   * `cleanup.policy` including delete, also by `retention.bytes` and `retention.ms`. Returns the segments deleted.
   */
  deleteOldSegments(nowMs: number, highWatermark: bigint): number {
    this.assertUsable();
    this.local.now(nowMs);
    let deleted = deleteLogStartOffsetBreachedSegments(this.retention, highWatermark, nowMs);
    if (isDeleteEnabled(this.local.config)) {
      deleted += deleteRetentionSizeBreachedSegments(this.retention, highWatermark, nowMs);
      deleted += deleteRetentionMsBreachedSegments(this.retention, highWatermark, nowMs);
    }
    if (deleted > 0) this.checkInvariants();
    return deleted;
  }

  private raiseLogStartOffset(offset: bigint): void {
    if (offset <= this.startOffset) return;
    this.startOffset = offset;
    this.epochCache.truncateFromStart(offset);
  }

  // --- compaction -----------------------------------------------------------------------------------------

  /**
   * One log cleaner pass, for compacted topics. `lastStableOffset` (at most the high watermark) bounds it, as
   * Kafka never cleans past the LSO; the active segment and segments holding a record younger than
   * `min.compaction.lag.ms` are never cleaned (`log-cleaner-manager.ts`).
   */
  compact(nowMs: number, options: { lastStableOffset?: bigint } = {}): CompactionSummary {
    this.assertUsable();
    this.local.now(nowMs);
    const range = cleanableOffsets(this.local, this.firstDirtyOffset, this.startOffset, options.lastStableOffset ?? this.local.logEndOffset, nowMs);
    const summary: CompactionSummary = { isCleaned: false, ...range, segmentsCleaned: 0, recordsRead: 0, recordsRetained: 0 };
    if (!isCompacted(this.local.config) || !needsCleaning(this.local, range, nowMs)) return summary;
    const result = clean({
      segments: this.local.segments.all(),
      ...range,
      nowMs,
      deleteRetentionMs: this.local.config.deleteRetentionMs,
      segmentBytes: this.local.config.segmentBytes,
      maxIndexSize: this.local.config.segmentIndexBytes,
      createCleanedSegment: (baseOffset) => this.local.newSegment(baseOffset, nowMs, '.cleaned'),
    });
    for (const { cleaned, replaced } of result.replacements) {
      this.local.replaceSegments(replaced, cleaned);
      summary.segmentsCleaned += replaced.length;
    }
    this.firstDirtyOffset = result.endOffset;
    if (result.replacements.length > 0) this.rebuildTransactions();
    this.checkInvariants();
    return { ...summary, isCleaned: true, recordsRead: result.recordsRead, recordsRetained: result.recordsRetained };
  }

  // --- flush, crash, recovery -----------------------------------------------------------------------------

  /** Flushes the segments holding offsets below `uptoOffset` (default: all) and moves the recovery point there. */
  flush(uptoOffset?: bigint): void {
    this.local.flush(uptoOffset);
  }

  /**
   * The broker process (or machine, with `loseUnflushed`) dies. The log must be `recover()`ed before use; until
   * then its offsets read as they stood at the crash.
   */
  crash(options: CrashOptions): void {
    this.local.store.crash(options);
    this.isCrashed = true;
  }

  /** `LogLoader` after an unclean shutdown (see `log-loader.ts`); a no-op when the log did not crash. */
  recover(): LoadResult | null {
    if (!this.isCrashed) return null;
    const result = loadLog(this.local, this.epochCache, this.startOffset);
    this.startOffset = result.logStartOffset;
    if (this.firstDirtyOffset !== null && this.firstDirtyOffset > this.local.logEndOffset) this.firstDirtyOffset = null;
    this.isCrashed = false;
    this.rebuildTransactions();
    this.checkInvariants();
    return result;
  }

  // --- introspection --------------------------------------------------------------------------------------

  /** Every segment with its file names, sizes, offsets and index entries, oldest first. */
  segments(): SegmentInfo[] {
    return this.local.segmentInfos();
  }

  /** Asserted after every structural change: segments ordered and disjoint, logStartOffset <= LEO. */
  checkInvariants(): void {
    this.local.checkInvariants();
    assert(this.startOffset <= this.local.logEndOffset, `logStartOffset ${this.startOffset} <= logEndOffset ${this.local.logEndOffset}`);
    assert(this.local.segments.first().baseOffset <= this.startOffset, `the first segment holds the log start offset ${this.startOffset}`);
  }

  private assertUsable(): void {
    assert(!this.isCrashed, 'a crashed log is recovered before use');
  }
}

/** What time-based lookups compare: the largest timestamp, or the modification time when there is none. */
function largestTimestampOf(segment: LogSegment): bigint {
  const max = segment.maxTimestampSoFar;
  return max >= 0n ? max : BigInt(segment.lastModifiedMs);
}
