/**
 * Walking the batches of a segment's `.log` bytes (Kafka's `FileRecords` / `FileLogInputStream`): reading only
 * the fixed v2 header fields a scan needs, never the records, so a lookup from an index position costs a few
 * header reads. Also the searches `LogSegment` delegates to `FileRecords`: the first batch whose last offset
 * reaches a target (`searchForOffsetWithSize`), the first record at or after a timestamp (`searchForTimestamp`)
 * and the largest timestamp after a position (`largestTimestampAfter`).
 *
 * Header fields are read by position (the layout of `DefaultRecordBatch`); a truncated or undersized entry ends
 * the walk, as `FileLogInputStream.nextBatch` returns null at a partial batch. Validation (CRC, magic) is the
 * recovery path's job (`segment.ts`).
 *
 * Left out: magic v0/v1 entries (kafkasim's log holds v2 batches only; the produce path up-converts).
 */
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, decodeRecordBatch } from '../../protocol/codec/record-batch.ts';
import type { SegmentFile } from './segment-store.ts';

const LAST_OFFSET_DELTA_OFFSET = 23;
const MAX_TIMESTAMP_OFFSET = 35;
const PARTITION_LEADER_EPOCH_OFFSET = 12;
const RECORDS_COUNT_OFFSET = 57;
const ATTRIBUTES_OFFSET = 21;
const TIMESTAMP_TYPE_MASK = 0x08;

/** Where one batch sits in a file and the header fields scans use. */
export interface FileBatch {
  position: number;
  sizeInBytes: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  partitionLeaderEpoch: number;
  recordsCount: number;
}

/** The batch starting at `position`, or null when fewer than a whole batch's bytes remain. */
export function batchAt(file: SegmentFile, position: number, limit = file.size()): FileBatch | null {
  if (limit - position < RECORD_BATCH_OVERHEAD) return null;
  const header = file.read(position, RECORD_BATCH_OVERHEAD);
  const sizeInBytes = LOG_OVERHEAD + header.readInt32BE(8);
  if (sizeInBytes < RECORD_BATCH_OVERHEAD || sizeInBytes > limit - position) return null;
  const baseOffset = header.readBigInt64BE(0);
  return {
    position,
    sizeInBytes,
    baseOffset,
    lastOffset: baseOffset + BigInt(header.readInt32BE(LAST_OFFSET_DELTA_OFFSET)),
    maxTimestamp: header.readBigInt64BE(MAX_TIMESTAMP_OFFSET),
    partitionLeaderEpoch: header.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET),
    recordsCount: header.readInt32BE(RECORDS_COUNT_OFFSET),
  };
}

/** Every whole batch from `position` to `limit` (default: the end of the file). */
export function* batchesFrom(file: SegmentFile, position = 0, limit = file.size()): Generator<FileBatch> {
  let batch = batchAt(file, position, limit);
  while (batch !== null) {
    yield batch;
    batch = batchAt(file, batch.position + batch.sizeInBytes, limit);
  }
}

/** Kafka's `LogOffsetPosition`: the batch holding the first offset >= a target. */
export interface LogOffsetPosition {
  /** The batch's last offset. */
  offset: bigint;
  position: number;
  size: number;
  /** Batches read to get there, counting the one found: the cost of the scan after the index lookup. */
  batchesScanned: number;
}

/** The first batch from `startingPosition` whose last offset is >= `targetOffset`. */
export function searchForOffsetWithSize(file: SegmentFile, targetOffset: bigint, startingPosition: number): LogOffsetPosition | null {
  let batchesScanned = 0;
  for (const batch of batchesFrom(file, startingPosition)) {
    batchesScanned++;
    if (batch.lastOffset >= targetOffset) return { offset: batch.lastOffset, position: batch.position, size: batch.sizeInBytes, batchesScanned };
  }
  return null;
}

/** Kafka's `FileRecords.TimestampAndOffset`; leaderEpoch -1 when the batch has none. */
export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

/** A v2 record's timestamp: `maxTimestamp` for LogAppendTime batches, else base + delta. */
function recordTimestamp(baseTimestamp: bigint, maxTimestamp: bigint, isLogAppendTime: boolean, timestampDelta: number): bigint {
  return isLogAppendTime ? maxTimestamp : baseTimestamp + BigInt(timestampDelta);
}

/** Each record of the batch at `batch.position` as `(offset, timestamp)`, decompressing if needed. */
export function recordTimestamps(file: SegmentFile, batch: FileBatch): Array<{ offset: bigint; timestamp: bigint }> {
  const bytes = file.read(batch.position, batch.sizeInBytes);
  const decoded = decodeRecordBatch(bytes, { verifyCrc: false });
  const isLogAppendTime = (bytes.readInt16BE(ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_MASK) !== 0;
  return decoded.records.map((record) => ({
    offset: decoded.baseOffset + BigInt(record.offsetDelta),
    timestamp: recordTimestamp(decoded.baseTimestamp, decoded.maxTimestamp, isLogAppendTime, record.timestampDelta),
  }));
}

/** The first record at or after `startingPosition` with timestamp >= target and offset >= `startingOffset`. */
export function searchForTimestamp(file: SegmentFile, targetTimestamp: bigint, startingPosition: number, startingOffset: bigint): TimestampAndOffset | null {
  for (const batch of batchesFrom(file, startingPosition)) {
    if (batch.maxTimestamp < targetTimestamp) continue;
    for (const record of recordTimestamps(file, batch)) {
      if (record.timestamp >= targetTimestamp && record.offset >= startingOffset) {
        return { timestamp: record.timestamp, offset: record.offset, leaderEpoch: batch.partitionLeaderEpoch };
      }
    }
  }
  return null;
}

/** The largest batch max timestamp after `startingPosition`, with the last offset of the batch holding it. */
export function largestTimestampAfter(file: SegmentFile, startingPosition: number): { timestamp: bigint; offset: bigint } {
  let timestamp = -1n;
  let offset = -1n;
  for (const batch of batchesFrom(file, startingPosition)) {
    if (batch.maxTimestamp > timestamp) {
      timestamp = batch.maxTimestamp;
      offset = batch.lastOffset;
    }
  }
  return { timestamp, offset };
}
