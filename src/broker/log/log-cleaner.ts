/**
 * Log compaction for `cleanup.policy=compact` (Kafka's `LogCleaner.Cleaner.doClean`, `cleanSegments`,
 * `cleanInto`, `MemoryRecords.filterTo`, `CleanedTransactionMetadata`; KIP-534 for the tombstone horizon).
 *
 * One cleaning pass over the range the log computes (`firstDirtyOffset` up to `firstUncleanableOffset`: never the
 * active segment, never past the last stable offset, never a segment with a record younger than
 * `min.compaction.lag.ms`):
 * 1. build key -> latest offset over the dirty range (records of aborted transactions do not count);
 * 2. group the segments below the range's end by size (merged while they fit `segment.bytes` and the index size)
 *    and recopy each group into one new segment named after its first: a record survives when it is the latest
 *    for its key or lies past the range; keyless records are dropped; offsets never change, so gaps appear;
 * 3. tombstones (null values) survive the first pass that sees them, which stamps the batch with a delete horizon
 *    of now + `delete.retention.ms` (attribute bit 6, baseTimestamp = horizon); a later pass at or past the horizon
 *    drops them;
 * 4. batches keep their header (base offset, last offset delta, producer id/epoch/sequence, leader epoch,
 *    compression); a batch left with no records is kept empty when it is its producer's last (sequence state) or
 *    the last batch of the range (the log's last offset), else removed;
 * 5. aborted transactional data is removed regardless of key; a transaction marker goes once no batch of its
 *    transaction remains and its own delete horizon has passed.
 *
 * Left out: the bounded `SkimpyOffsetMap` (keys are exact, in a Map, so a pass never stops early), dirty-ratio
 * selection and `max.compaction.lag.ms` (the broker decides when to call), throttling, `.swap` recovery after a
 * crash mid-swap (a pass is atomic here), legacy (v0/v1) tombstone rules.
 */
import { ControlRecordType, decodeControlRecordKey } from '../../protocol/codec/control-records.ts';
import { decodeRecordBatch, encodeRecordBatch, readBatchHeader, TimestampType } from '../../protocol/codec/record-batch.ts';
import type { BatchRecord, RecordBatch } from '../../protocol/codec/record-batch.ts';
import { assert } from '../../runtime/assert.ts';
import { batchesFrom } from './file-records.ts';
import type { LogSegment } from './segment.ts';

const INT32_MAX = 0x7fffffffn;

export interface CleaningPlan {
  /** Every segment of the log, oldest first; the last is the active one. */
  segments: readonly LogSegment[];
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  nowMs: number;
  deleteRetentionMs: number;
  segmentBytes: number;
  maxIndexSize: number;
  /** A new, empty segment under a temporary name (`.cleaned`), swapped in by the log afterwards. */
  createCleanedSegment(baseOffset: bigint): LogSegment;
}

export interface CleaningResult {
  replacements: Array<{ cleaned: LogSegment; replaced: LogSegment[] }>;
  /** The new first dirty offset (the cleaner checkpoint). */
  endOffset: bigint;
  recordsRead: number;
  recordsRetained: number;
  bytesRead: number;
  bytesRetained: number;
}

interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
}

interface LastRecord {
  lastDataOffset: bigint | null;
  producerEpoch: number;
}

function decode(segment: LogSegment, position: number, size: number): RecordBatch {
  return decodeRecordBatch(segment.log.read(position, size), { verifyCrc: false });
}

function controlType(batch: RecordBatch): number | null {
  return batch.records.length === 0 ? null : decodeControlRecordKey(batch.records[0].key).type;
}

/** Aborted transactions and each producer's last batch, from one pass over the batch headers. */
function scanTransactions(segments: readonly LogSegment[]): { aborted: AbortedTxn[]; lastRecords: Map<bigint, LastRecord> } {
  const open = new Map<bigint, bigint>();
  const aborted: AbortedTxn[] = [];
  const lastRecords = new Map<bigint, LastRecord>();
  for (const segment of segments) {
    for (const fileBatch of batchesFrom(segment.log)) {
      const header = readBatchHeader(segment.log.read(fileBatch.position, fileBatch.sizeInBytes));
      if (header.producerId < 0n) continue;
      const previous = lastRecords.get(header.producerId);
      if (!header.isControl) lastRecords.set(header.producerId, { lastDataOffset: fileBatch.lastOffset, producerEpoch: header.producerEpoch });
      else lastRecords.set(header.producerId, { lastDataOffset: previous?.lastDataOffset ?? null, producerEpoch: header.producerEpoch });
      if (!header.isTransactional) continue;
      if (!header.isControl) {
        if (!open.has(header.producerId)) open.set(header.producerId, fileBatch.baseOffset);
      } else {
        const type = controlType(decode(segment, fileBatch.position, fileBatch.sizeInBytes));
        if (type === ControlRecordType.ABORT) aborted.push({ producerId: header.producerId, firstOffset: open.get(header.producerId) ?? fileBatch.baseOffset, lastOffset: fileBatch.lastOffset });
        open.delete(header.producerId);
      }
    }
  }
  aborted.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  return { aborted, lastRecords };
}

/** Kafka's `CleanedTransactionMetadata`: which batches are aborted, and which markers may go. */
class TransactionTracker {
  private readonly ongoingCommitted = new Set<bigint>();
  private readonly ongoingAborted = new Map<bigint, { hasObservedBatch: boolean }>();
  private next = 0;

  constructor(private readonly aborted: readonly AbortedTxn[]) {}

  /** True when the control batch may be discarded (no batch of its transaction is left). */
  onControlBatch(batch: RecordBatch, lastOffset: bigint): boolean {
    this.consumeUpTo(lastOffset);
    const type = controlType(batch);
    if (type === null) return true;
    if (type === ControlRecordType.ABORT) {
      const state = this.ongoingAborted.get(batch.producerId);
      this.ongoingAborted.delete(batch.producerId);
      return !(state?.hasObservedBatch ?? false);
    }
    if (type === ControlRecordType.COMMIT) return !this.ongoingCommitted.delete(batch.producerId);
    return false;
  }

  /** True when the data batch belongs to an aborted transaction. */
  onDataBatch(isTransactional: boolean, producerId: bigint, lastOffset: bigint): boolean {
    this.consumeUpTo(lastOffset);
    if (!isTransactional) return false;
    const state = this.ongoingAborted.get(producerId);
    if (state !== undefined) {
      state.hasObservedBatch = true;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  private consumeUpTo(offset: bigint): void {
    while (this.next < this.aborted.length && this.aborted[this.next].firstOffset <= offset) {
      const txn = this.aborted[this.next++];
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { hasObservedBatch: false });
    }
  }
}

function keyOf(key: Buffer): string {
  return key.toString('latin1');
}

/** key -> latest offset over [start, end), skipping aborted data (Kafka's `buildOffsetMap`). */
function buildOffsetMap(segments: readonly LogSegment[], start: bigint, end: bigint, aborted: readonly AbortedTxn[]): Map<string, bigint> {
  const map = new Map<string, bigint>();
  const tracker = new TransactionTracker(aborted);
  for (const segment of segments) {
    for (const fileBatch of batchesFrom(segment.log)) {
      if (fileBatch.lastOffset < start || fileBatch.baseOffset >= end) {
        if (fileBatch.baseOffset >= end) break;
        continue;
      }
      const batch = decode(segment, fileBatch.position, fileBatch.sizeInBytes);
      if (batch.isControl) {
        tracker.onControlBatch(batch, fileBatch.lastOffset);
        continue;
      }
      if (tracker.onDataBatch(batch.isTransactional, batch.producerId, fileBatch.lastOffset)) continue;
      for (const record of batch.records) {
        const offset = batch.baseOffset + BigInt(record.offsetDelta);
        if (record.key !== null && offset >= start && offset < end) map.set(keyOf(record.key), offset);
      }
    }
  }
  return map;
}

/** Kafka's `groupSegmentsBySize`. */
function groupSegmentsBySize(segments: readonly LogSegment[], maxSize: number, maxIndexSize: number, firstUncleanableOffset: bigint): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let logSize = segments[i].size;
    let indexSize = segments[i].offsetIndex.sizeInBytes;
    let timeIndexSize = segments[i].timeIndex.sizeInBytes;
    i++;
    while (i < segments.length) {
      const next = segments[i];
      const lastOffsetOfNext = i + 1 < segments.length ? segments[i + 1].baseOffset - 1n : firstUncleanableOffset - 1n;
      const fits =
        logSize + next.size <= maxSize &&
        indexSize + next.offsetIndex.sizeInBytes <= maxIndexSize &&
        timeIndexSize + next.timeIndex.sizeInBytes <= maxIndexSize &&
        (next.size === 0 || lastOffsetOfNext - group[0].baseOffset <= INT32_MAX);
      if (!fits) break;
      group.push(next);
      logSize += next.size;
      indexSize += next.offsetIndex.sizeInBytes;
      timeIndexSize += next.timeIndex.sizeInBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

function recordTimestamp(batch: RecordBatch, record: BatchRecord): bigint {
  return batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : batch.baseTimestamp + BigInt(record.timestampDelta);
}

/** `buildRetainedRecordsInto`: same header, the retained records, the original compression and last offset. */
function rebuild(batch: RecordBatch, retained: BatchRecord[], deleteHorizonMs: bigint): Buffer {
  const timestamps = retained.map((record) => recordTimestamp(batch, record));
  const hasHorizon = deleteHorizonMs >= 0n;
  const baseTimestamp = hasHorizon ? deleteHorizonMs : timestamps[0];
  let maxTimestamp = batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : -1n;
  if (batch.timestampType !== TimestampType.LogAppendTime) for (const ts of timestamps) if (ts > maxTimestamp) maxTimestamp = ts;
  return encodeRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression: batch.compression,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    hasDeleteHorizonMs: hasHorizon,
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records: retained.map((record, i) => ({ ...record, timestampDelta: Number(timestamps[i] - baseTimestamp) })),
  });
}

/** `DefaultRecordBatch.writeEmptyHeader`: no records, no compression, base = max timestamp. */
function emptyBatch(batch: RecordBatch): Buffer {
  return encodeRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp: batch.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records: [],
  });
}

/** Runs one cleaning pass; the caller swaps the cleaned segments in. */
export function clean(plan: CleaningPlan): CleaningResult {
  const { segments, firstDirtyOffset, firstUncleanableOffset: end, nowMs } = plan;
  assert(firstDirtyOffset <= end, `first dirty offset ${firstDirtyOffset} <= first uncleanable offset ${end}`);
  const { aborted, lastRecords } = scanTransactions(segments);
  const map = buildOffsetMap(segments, firstDirtyOffset, end, aborted);
  const now = BigInt(nowMs);
  const tracker = new TransactionTracker(aborted);
  const result: CleaningResult = { replacements: [], endOffset: end, recordsRead: 0, recordsRetained: 0, bytesRead: 0, bytesRetained: 0 };
  const cleanable = segments.slice(0, -1).filter((segment) => segment.baseOffset < end);

  for (const group of groupSegmentsBySize(cleanable, plan.segmentBytes, plan.maxIndexSize, end)) {
    const cleaned = plan.createCleanedSegment(group[0].baseOffset);
    for (const segment of group) {
      for (const fileBatch of batchesFrom(segment.log)) {
        result.bytesRead += fileBatch.sizeInBytes;
        const original = segment.log.read(fileBatch.position, fileBatch.sizeInBytes);
        const batch = decodeRecordBatch(original, { verifyCrc: false });
        result.recordsRead += batch.records.length;
        const canDiscardBatch = batch.isControl ? tracker.onControlBatch(batch, fileBatch.lastOffset) : tracker.onDataBatch(batch.isTransactional, batch.producerId, fileBatch.lastOffset);
        const hasHorizon = batch.hasDeleteHorizonMs;
        const discardRecords = batch.isControl ? canDiscardBatch && hasHorizon && batch.baseTimestamp <= now : canDiscardBatch;
        const last = batch.producerId >= 0n ? lastRecords.get(batch.producerId) : undefined;
        const isLastOfProducer =
          last !== undefined && (last.lastDataOffset !== null ? fileBatch.lastOffset === last.lastDataOffset : batch.isControl && batch.producerEpoch === last.producerEpoch);
        const retainEmpty = isLastOfProducer || fileBatch.lastOffset + 1n === end;
        if (!retainEmpty && discardRecords) continue;

        let containsTombstones = false;
        const retained = discardRecords
          ? []
          : batch.records.filter((record) => {
              if (batch.isControl) return true;
              const offset = batch.baseOffset + BigInt(record.offsetDelta);
              if (offset >= end) return true;
              if (record.key === null) return false;
              const latest = map.get(keyOf(record.key)) ?? -1n;
              const keep = offset >= latest && (record.value !== null || !hasHorizon || now < batch.baseTimestamp);
              if (keep && record.value === null) containsTombstones = true;
              return keep;
            });
        let output: Buffer | null = null;
        if (retained.length > 0) {
          const containsMarkerForEmptyTxn = canDiscardBatch && batch.isControl;
          const needsHorizon = (containsTombstones || containsMarkerForEmptyTxn) && !hasHorizon;
          if (retained.length === batch.records.length && !needsHorizon) output = original;
          else output = rebuild(batch, retained, needsHorizon ? now + BigInt(plan.deleteRetentionMs) : hasHorizon ? batch.baseTimestamp : -1n);
        } else if (retainEmpty) {
          output = emptyBatch(batch);
        }
        if (output === null) continue;
        result.recordsRetained += retained.length;
        result.bytesRetained += output.length;
        const header = readBatchHeader(output);
        cleaned.append(fileBatch.lastOffset, header.maxTimestamp, fileBatch.lastOffset, output, nowMs);
      }
    }
    cleaned.onBecomeInactiveSegment();
    cleaned.flush();
    cleaned.lastModifiedMs = group[group.length - 1].lastModifiedMs;
    result.replacements.push({ cleaned, replaced: group });
  }
  return result;
}
