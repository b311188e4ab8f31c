/**
 * What a log checks before it accepts records: the leader path of Kafka's `UnifiedLog.analyzeAndValidateRecords`
 * and `LogValidator.validateMessagesAndAssignOffsets`, and the lighter follower path. Failures are values carrying
 * Kafka's error code, its message and, for record-level failures, the `recordErrors` a ProduceResponse carries;
 * nothing here throws for bad input, and nothing is changed when validation fails.
 *
 * Leader (client origin), in Kafka's order:
 * - entries: a truncated entry or a magic byte that is no format is CORRUPT_MESSAGE; magic 0/1 is
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT (the produce handler up-converts legacy message sets before appending);
 * - per batch: baseOffset must be 0 (INVALID_RECORD), size <= `max.message.bytes` (MESSAGE_TOO_LARGE), CRC-32C
 *   (CORRUPT_MESSAGE);
 * - exactly one batch; lastOffsetDelta + 1 == recordsCount > 0; no control batch from a client; an idempotent batch
 *   has a sequence (all INVALID_RECORD);
 * - per record: a compacted topic needs keys (INVALID_RECORD with the record's index in `recordErrors`);
 * - then offsets from the log end offset, the leader epoch, and the max timestamp (recomputed from the records for
 *   CreateTime, the broker's clock for LogAppendTime) are written into a copy of the batch. Records whose
 *   offsetDeltas are not 0..n-1 get the batch rebuilt with the original compression, as Kafka's compressed path
 *   does when in-place assignment is impossible.
 *
 * Left out: message timestamp bounds (`message.timestamp.before/after.max.ms`, whose defaults accept all),
 * recompression to a topic `compression.type`, magic conversion, RAFT_LEADER origin.
 */
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RecordBatchDecodeError,
  TimestampType,
  decodeRecordBatch,
  encodeRecordBatch,
  readBatchHeader,
  scanRecordBatch,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  verifyBatchCrc,
} from '../../protocol/codec/record-batch.ts';
import type { RecordBatchHeader } from '../../protocol/codec/record-batch.ts';
import type { MessageTimestampType } from './log-config.ts';

/** Kafka's `RecordError` as ProduceResponse carries it. */
export interface RecordError {
  batchIndex: number;
  message: string;
}

export interface ValidationFailure {
  ok: false;
  errorCode: number;
  errorMessage: string;
  recordErrors: RecordError[];
}

/** `AppendOrigin`: coordinators (group, transaction markers) skip the client-only checks. */
export type AppendOrigin = 'client' | 'coordinator';

export interface LeaderValidationInput {
  records: Buffer;
  logEndOffset: bigint;
  leaderEpoch: number;
  nowMs: number;
  origin: AppendOrigin;
  isCompacted: boolean;
  timestampType: MessageTimestampType;
  maxMessageBytes: number;
}

export interface ValidatedBatch {
  ok: true;
  /** The batch as it will be stored, offsets, epoch and timestamps assigned: consecutive byte ranges (new buffers
   * for every rewritten byte, views of the input for the rest). */
  records: Buffer[];
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  shallowOffsetOfMaxTimestamp: bigint;
  /** The broker's time for LogAppendTime topics, else -1. */
  logAppendTime: bigint;
  shallowCount: number;
  validBytes: number;
}

function failure(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): ValidationFailure {
  return { ok: false, errorCode, errorMessage, recordErrors };
}

/** Cuts `records` into batches, or says why it cannot (the entry-level checks both paths share). */
export function splitEntries(records: Buffer): { ok: true; batches: Buffer[] } | ValidationFailure {
  const batches: Buffer[] = [];
  let position = 0;
  while (position < records.length) {
    const remaining = records.length - position;
    if (remaining < LOG_OVERHEAD) return failure(ErrorCode.CORRUPT_MESSAGE, `Truncated record batch: ${remaining} bytes left at position ${position}`);
    const size = LOG_OVERHEAD + records.readInt32BE(position + 8);
    if (remaining > 16) {
      const magic = records.readInt8(position + 16);
      if (magic === 0 || magic === 1) return failure(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `Message format v${magic} is not appended as is; up-convert to v2 first`);
      if (magic !== 2) return failure(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${magic}`);
    }
    if (size < RECORD_BATCH_OVERHEAD) return failure(ErrorCode.CORRUPT_MESSAGE, `Record batch size ${size} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD}`);
    if (size > remaining) return failure(ErrorCode.CORRUPT_MESSAGE, `Truncated record batch: ${size} bytes declared, ${remaining} present`);
    batches.push(records.subarray(position, position + size));
    position += size;
  }
  return { ok: true, batches };
}

/** What the leader learns from walking every record (Kafka's per-record `validateRecord` loop). */
interface RecordsSummary {
  count: number;
  maxTimestampDelta: number;
  /** Every offsetDelta equals the record's index, so offsets can be assigned in place. */
  isInPlace: boolean;
  recordErrors: RecordError[];
}

/** Walks every record without materialising any: the CRC was checked just before. */
function scan(batch: Buffer, isCompacted: boolean): RecordsSummary | ValidationFailure {
  const summary: RecordsSummary = { count: 0, maxTimestampDelta: Number.NEGATIVE_INFINITY, isInPlace: true, recordErrors: [] };
  try {
    scanRecordBatch(batch, { verifyCrc: false }, (index, timestampDelta, offsetDelta, keyLength) => {
      if (isCompacted && keyLength < 0) summary.recordErrors.push({ batchIndex: index, message: 'Compacted topic cannot accept message without key' });
      if (timestampDelta > summary.maxTimestampDelta) summary.maxTimestampDelta = timestampDelta;
      if (offsetDelta !== index) summary.isInPlace = false;
      summary.count++;
    });
  } catch (error) {
    if (error instanceof RecordBatchDecodeError) return failure(ErrorCode.CORRUPT_MESSAGE, error.message);
    throw error;
  }
  return summary;
}

function validateClientBatch(header: RecordBatchHeader): ValidationFailure | null {
  const countFromOffsets = header.lastOffsetDelta + 1;
  if (countFromOffsets <= 0) return failure(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [0, ${header.lastOffsetDelta}]`);
  if (header.recordsCount <= 0) return failure(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${header.recordsCount}`);
  if (countFromOffsets !== header.recordsCount) {
    return failure(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${header.lastOffsetDelta}] and count of records ${header.recordsCount}`);
  }
  if (header.isControl) return failure(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
  if (header.producerId >= 0n && header.baseSequence < 0) {
    return failure(ErrorCode.INVALID_RECORD, `Invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}`);
  }
  return null;
}

/** The leader path: validates one produce payload and assigns it offsets from `logEndOffset`. */
export function validateAsLeader(input: LeaderValidationInput): ValidatedBatch | ValidationFailure {
  const split = splitEntries(input.records);
  if (!split.ok) return split;
  const { batches } = split;
  if (batches.length === 0) return failure(ErrorCode.INVALID_RECORD, 'Record batch has no batches at all');
  for (const batch of batches) {
    const baseOffset = batch.readBigInt64BE(0);
    if (input.origin === 'client' && baseOffset !== 0n) return failure(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch should be 0, but it is ${baseOffset}`);
    if (batch.length > input.maxMessageBytes) {
      return failure(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size is ${batch.length} bytes which exceeds the maximum configured value of ${input.maxMessageBytes}.`);
    }
    if (!verifyBatchCrc(batch)) return failure(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${batch.readUInt32BE(17)})`);
  }
  if (batches.length > 1) return failure(ErrorCode.INVALID_RECORD, 'Compressed outer record has more than one batch');

  const original = batches[0];
  const header = readBatchHeader(original);
  if (input.origin === 'client') {
    const invalid = validateClientBatch(header);
    if (invalid !== null) return invalid;
  }
  const scanned = scan(original, input.isCompacted);
  if ('ok' in scanned) return scanned;
  const { recordErrors, isInPlace } = scanned;
  // Record timestamps are baseTimestamp + delta, so the largest delta gives the largest; as Kafka's loop, it starts
  // from NO_TIMESTAMP (-1).
  const largest = scanned.count === 0 ? -1n : header.baseTimestamp + BigInt(scanned.maxTimestampDelta);
  const maxRecordTimestamp = largest > -1n ? largest : -1n;
  if (recordErrors.length > 0) {
    const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`);
    return failure(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
      recordErrors,
    );
  }

  let rebuilt: Buffer | null = null;
  if (!isInPlace) {
    // Kafka's compressed path rebuilds the batch when inner offsets are wrong; kafkasim does so for both paths so
    // that every stored record's offset is baseOffset + index. Rare, so only this path decodes the records.
    const decoded = decodeRecordBatch(original, { verifyCrc: false });
    rebuilt = encodeRecordBatch({ ...decoded, baseOffset: 0n, lastOffsetDelta: undefined, records: decoded.records.map((record, index) => ({ ...record, offsetDelta: index })) });
    if (rebuilt.length > input.maxMessageBytes) {
      return failure(ErrorCode.MESSAGE_TOO_LARGE, `Message batch size is ${rebuilt.length} bytes which exceeds the maximum configured size of ${input.maxMessageBytes}.`);
    }
  }
  const count = scanned.count;
  const firstOffset = input.logEndOffset;
  const lastOffset = firstOffset + BigInt(count - 1);
  const isLogAppendTime = input.timestampType === 'LogAppendTime';
  const timestampType = isLogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  const maxTimestamp = isLogAppendTime ? BigInt(input.nowMs) : maxRecordTimestamp;
  // The stored batch is the input with a rewritten header. Offsets and epoch sit outside the CRC, so the usual case
  // patches a copy of the 61-byte header and keeps the rest of the input as is (the segment file copies it);
  // a new max timestamp or timestamp type changes CRC-covered bytes and needs the whole batch in one buffer.
  const source = rebuilt ?? original;
  const needsCrc = header.maxTimestamp !== maxTimestamp || header.timestampType !== timestampType || rebuilt !== null;
  const head = needsCrc ? Buffer.from(source) : Buffer.from(source.subarray(0, RECORD_BATCH_OVERHEAD));
  setBaseOffset(head, firstOffset);
  setPartitionLeaderEpoch(head, input.leaderEpoch);
  if (needsCrc) setMaxTimestamp(head, timestampType, maxTimestamp);
  return {
    ok: true,
    records: needsCrc ? [head] : [head, source.subarray(RECORD_BATCH_OVERHEAD)],
    firstOffset,
    lastOffset,
    maxTimestamp,
    shallowOffsetOfMaxTimestamp: lastOffset,
    logAppendTime: isLogAppendTime ? maxTimestamp : -1n,
    shallowCount: 1,
    validBytes: source.length,
  };
}

export interface FollowerBatchInfo {
  ok: true;
  batches: Buffer[];
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  shallowOffsetOfMaxTimestamp: bigint;
  validBytes: number;
}

/** The follower path: whole, CRC-valid v2 batches with increasing offsets; offsets are kept as given. */
export function validateAsFollower(records: Buffer): FollowerBatchInfo | ValidationFailure {
  const split = splitEntries(records);
  if (!split.ok) return split;
  let firstOffset = -1n;
  let lastOffset = -1n;
  let maxTimestamp = -1n;
  let shallowOffsetOfMaxTimestamp = -1n;
  for (const batch of split.batches) {
    if (!verifyBatchCrc(batch)) return failure(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${batch.readUInt32BE(17)})`);
    const header = readBatchHeader(batch);
    const batchLastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (header.lastOffsetDelta < 0 || (firstOffset >= 0n && header.baseOffset <= lastOffset)) {
      return failure(ErrorCode.CORRUPT_MESSAGE, `Out of order offsets found in append: batch [${header.baseOffset}, ${batchLastOffset}] after ${lastOffset}`);
    }
    if (firstOffset < 0n) firstOffset = header.baseOffset;
    lastOffset = batchLastOffset;
    if (header.maxTimestamp > maxTimestamp) {
      maxTimestamp = header.maxTimestamp;
      shallowOffsetOfMaxTimestamp = batchLastOffset;
    }
  }
  return { ok: true, batches: split.batches, firstOffset, lastOffset, maxTimestamp, shallowOffsetOfMaxTimestamp, validBytes: records.length };
}
