/**
 * RecordBatch v2 (magic 2), Kafka's log and wire format since 0.11 (KIP-98, KIP-82 headers), byte for byte as
 * `DefaultRecordBatch.java` / `DefaultRecord.java` lay it out:
 *
 *   baseOffset int64 · batchLength int32 · partitionLeaderEpoch int32 · magic int8 · crc uint32 ·
 *   attributes int16 · lastOffsetDelta int32 · baseTimestamp int64 · maxTimestamp int64 · producerId int64 ·
 *   producerEpoch int16 · baseSequence int32 · recordsCount int32 · records
 *
 * The CRC-32C covers attributes..end, so the broker rewrites baseOffset, batchLength and partitionLeaderEpoch
 * in place without touching it; a compressed batch compresses the records section only.
 *
 * Three levels of access, cheapest first: `splitBatches` (walk a records blob by the 12-byte log overhead),
 * `readBatchHeader` / `verifyBatchCrc` / the in-place setters (what a broker needs: it never decompresses),
 * `scanRecordBatch` (every record checked, none materialised: the broker's validation on append), and
 * `decodeRecordBatch` / `encodeRecordBatch` (what clients need).
 *
 * Records carry deltas, as on the wire: a record's absolute offset is `baseOffset + BigInt(offsetDelta)` and its
 * timestamp `baseTimestamp + BigInt(timestampDelta)` (or `maxTimestamp` for LogAppendTime batches). Deltas are JS
 * numbers to keep bigint out of the per-record path; a timestampDelta beyond ±2^53 is rejected as corrupt (Kafka
 * would accept any int64; no real clock produces one). Decoded keys, values and header values are views into the
 * input (or into the decompressed records), never copies: copy them before reusing the input buffer.
 *
 * Malformed input throws `RecordBatchDecodeError` (Kafka's CorruptRecordException / InvalidRecordException),
 * with the same checks `DefaultRecordBatch.ensureValid` and `DefaultRecord.readFrom` make; every length is
 * checked against the bytes present before anything is allocated.
 *
 * Left out: producer-side batching (`MemoryRecordsBuilder`), the broker's LogValidator checks (offsets
 * consecutive, lastOffsetDelta consistent, sequence rules): those belong to the broker, not the codec.
 */
import { assert } from '../../runtime/assert.ts';
import { CompressionCodec, RecordBatchDecodeError, compress, decompress, isCompressionCodec } from './compression.ts';
import { crc32c } from './crc32c.ts';

export { RecordBatchDecodeError } from './compression.ts';

export const LOG_OVERHEAD = 12; // baseOffset + batchLength: the prefix every log entry of every magic shares
export const RECORD_BATCH_OVERHEAD = 61;
/** Smallest legal legacy entry body (`LegacyRecord.RECORD_OVERHEAD_V0`); `splitBatches` walks both formats. */
const MIN_ENTRY_SIZE = 14;

const BATCH_LENGTH_OFFSET = 8;
const PARTITION_LEADER_EPOCH_OFFSET = 12;
const MAGIC_OFFSET = 16;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const LAST_OFFSET_DELTA_OFFSET = 23;
const BASE_TIMESTAMP_OFFSET = 27;
const MAX_TIMESTAMP_OFFSET = 35;
const PRODUCER_ID_OFFSET = 43;
const PRODUCER_EPOCH_OFFSET = 51;
const BASE_SEQUENCE_OFFSET = 53;
const RECORDS_COUNT_OFFSET = 57;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const DELETE_HORIZON_MASK = 0x40;

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a batch. Absolute offset: `baseOffset + BigInt(offsetDelta)`. */
export interface BatchRecord {
  /** Unused by Kafka (always 0), kept so a batch re-encodes byte for byte. */
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  magic: 2;
  crc: number;
  attributes: number;
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  /** Bit 6: the cleaner replaced baseTimestamp by the delete horizon (KIP-534). */
  hasDeleteHorizonMs: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: BatchRecord[];
}

/** Every header field of a batch, read without touching its records. */
export interface RecordBatchHeader extends Omit<RecordBatch, 'records'> {
  batchLength: number;
  /** Bytes the whole batch takes: `LOG_OVERHEAD + batchLength`. */
  sizeInBytes: number;
  recordsCount: number;
}

export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Defaults to 0. */
  timestampDelta?: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: readonly RecordHeader[];
  attributes?: number;
}

/**
 * What `encodeRecordBatch` needs; a decoded `RecordBatch` is one. Defaults are Kafka's for a batch without
 * idempotence or a leader (`RecordBatch.NO_PRODUCER_ID` etc.).
 */
export interface RecordBatchInput {
  /** Default 0n: producers send 0, the broker assigns the real one in place. */
  baseOffset?: bigint;
  /** Default -1 (`NO_PARTITION_LEADER_EPOCH`). */
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizonMs?: boolean;
  /** Default: the largest record offsetDelta, or 0 for an empty batch. */
  lastOffsetDelta?: number;
  /** The first record's timestamp (-1n, `NO_TIMESTAMP`, for an empty batch). */
  baseTimestamp: bigint;
  /** Default: baseTimestamp + the largest record timestampDelta (baseTimestamp for an empty batch). */
  maxTimestamp?: bigint;
  /** Default -1n (`NO_PRODUCER_ID`). */
  producerId?: bigint;
  /** Default -1 (`NO_PRODUCER_EPOCH`). */
  producerEpoch?: number;
  /** Default -1 (`NO_SEQUENCE`). */
  baseSequence?: number;
  records: readonly RecordInput[];
}

export interface DecodeRecordBatchOptions {
  /** Default true. A broker that already verified the batch on append may skip it on read. */
  verifyCrc?: boolean;
  /** Where the batch starts in the buffer; bytes after the batch are ignored. Default 0. */
  position?: number;
  maxDecompressedBytes?: number;
}

// --- header view and in-place rewrites -------------------------------------------------------------------------

function corrupt(message: string): RecordBatchDecodeError {
  return new RecordBatchDecodeError(message);
}

/** Reads every header field of the v2 batch at `position`; needs the 61 header bytes, not the records. */
export function readBatchHeader(buf: Buffer, position = 0): RecordBatchHeader {
  if (position < 0 || buf.length - position < RECORD_BATCH_OVERHEAD) {
    throw corrupt(`record batch header truncated: ${Math.max(0, buf.length - position)} of ${RECORD_BATCH_OVERHEAD} bytes at position ${position}`);
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== 2) throw corrupt(`record batch magic is ${magic}, expected 2 at position ${position}`);
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw corrupt(`record batch size ${LOG_OVERHEAD + batchLength} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD}`);
  }
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  const compression = attributes & COMPRESSION_MASK;
  if (!isCompressionCodec(compression)) throw corrupt(`record batch has unknown compression codec ${compression}`);
  return {
    baseOffset: buf.readBigInt64BE(position),
    batchLength,
    sizeInBytes: LOG_OVERHEAD + batchLength,
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: 2,
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes,
    compression,
    timestampType: attributes & TIMESTAMP_TYPE_MASK ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    isControl: (attributes & CONTROL_MASK) !== 0,
    hasDeleteHorizonMs: (attributes & DELETE_HORIZON_MASK) !== 0,
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(position + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(position + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT_OFFSET),
  };
}

function batchEnd(buf: Buffer, position: number): number {
  if (position < 0 || buf.length - position < RECORD_BATCH_OVERHEAD) throw corrupt(`record batch truncated at position ${position}`);
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw corrupt(`record batch size ${LOG_OVERHEAD + batchLength} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD}`);
  }
  const end = position + LOG_OVERHEAD + batchLength;
  if (end > buf.length) throw corrupt(`record batch truncated: ${LOG_OVERHEAD + batchLength} bytes declared, ${buf.length - position} present`);
  return end;
}

/** The CRC-32C the batch at `position` should carry (attributes..end). */
export function computeBatchCrc(buf: Buffer, position = 0): number {
  return crc32c(buf, position + ATTRIBUTES_OFFSET, batchEnd(buf, position));
}

/** True when the stored CRC matches; throws `RecordBatchDecodeError` if the batch is not even complete. */
export function verifyBatchCrc(buf: Buffer, position = 0): boolean {
  return computeBatchCrc(buf, position) === buf.readUInt32BE(position + CRC_OFFSET);
}

/** What the broker does on append (`setLastOffset`); baseOffset is outside the CRC, so it stays valid. */
export function setBaseOffset(buf: Buffer, baseOffset: bigint, position = 0): void {
  buf.writeBigInt64BE(baseOffset, position);
}

/** What the leader does on append; the epoch is outside the CRC. */
export function setPartitionLeaderEpoch(buf: Buffer, partitionLeaderEpoch: number, position = 0): void {
  buf.writeInt32BE(partitionLeaderEpoch, position + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * `DefaultRecordBatch.setMaxTimestamp`: the broker stamps LogAppendTime batches (and corrects maxTimestamp)
 * in place. Both fields are inside the CRC, so it is recomputed; a no-op when nothing changes.
 */
export function setMaxTimestamp(buf: Buffer, timestampType: TimestampType, maxTimestamp: bigint, position = 0): void {
  const end = batchEnd(buf, position);
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  const newAttributes = timestampType === 1 ? attributes | TIMESTAMP_TYPE_MASK : attributes & ~TIMESTAMP_TYPE_MASK;
  if (newAttributes === attributes && buf.readBigInt64BE(position + MAX_TIMESTAMP_OFFSET) === maxTimestamp) return;
  buf.writeInt16BE(newAttributes, position + ATTRIBUTES_OFFSET);
  buf.writeBigInt64BE(maxTimestamp, position + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(crc32c(buf, position + ATTRIBUTES_OFFSET, end), position + CRC_OFFSET);
}

/** The magic byte of the entry at `position`; the same byte (16) in message sets v0/v1 and record batches. */
export function detectMagic(records: Buffer, position = 0): number {
  if (position < 0 || records.length - position <= MAGIC_OFFSET) throw corrupt(`records too short to hold a magic byte at position ${position}`);
  return records.readInt8(position + MAGIC_OFFSET);
}

/**
 * Cuts a records blob (a Produce or Fetch partition's `records`) into its entries, without copying or
 * decoding them: each is a v2 batch or, for magic 0/1, one (possibly compressed wrapper) legacy message.
 * A trailing partial entry is not an error here (`ByteBufferLogInputStream` stops at it, and a Fetch may end
 * in one); its size comes back as `truncatedTail` and the caller decides (a Produce with one is corrupt).
 */
export function splitBatches(records: Buffer): { batches: Buffer[]; truncatedTail: number } {
  const batches: Buffer[] = [];
  let position = 0;
  while (position < records.length) {
    const remaining = records.length - position;
    if (remaining < LOG_OVERHEAD) break;
    const size = records.readInt32BE(position + BATCH_LENGTH_OFFSET);
    if (size < MIN_ENTRY_SIZE) throw corrupt(`log entry size ${size} at position ${position} is less than the minimum ${MIN_ENTRY_SIZE}`);
    if (remaining < LOG_OVERHEAD + size) break;
    if (records[position + MAGIC_OFFSET] === 2 && size < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw corrupt(`record batch size ${LOG_OVERHEAD + size} at position ${position} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD}`);
    }
    batches.push(records.subarray(position, position + LOG_OVERHEAD + size));
    position += LOG_OVERHEAD + size;
  }
  return { batches, truncatedTail: records.length - position };
}

// --- decoding -------------------------------------------------------------------------------------------------

/**
 * A cursor over the records section. Fields are read by hand rather than through `Reader` because this is
 * the hot path: single-byte varints (most lengths and deltas) take one comparison, and nothing allocates
 * except the record, its header array and the Buffer views.
 */
class RecordsCursor {
  position: number;

  constructor(
    readonly buf: Buffer,
    position: number,
  ) {
    this.position = position;
  }

  /** Zigzag varint (int32), bounded by `limit`; wraps like Java's `ByteUtils.readVarint`. */
  varint(limit: number, what: string): number {
    const buf = this.buf;
    let position = this.position;
    if (position >= limit) throw corrupt(`record truncated reading ${what}`);
    let byte = buf[position++];
    if (byte < 0x80) {
      this.position = position;
      return (byte >>> 1) ^ -(byte & 1);
    }
    let raw = byte & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (position >= limit) throw corrupt(`record truncated reading ${what}`);
      byte = buf[position++];
      raw |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
      if (shift === 28) throw corrupt(`varint ${what} is too long: the most significant bit in the 5th byte is set`);
    }
    this.position = position;
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zigzag varlong as a number; beyond ±2^53 it is rejected rather than rounded. */
  varlong(limit: number, what: string): number {
    const buf = this.buf;
    let position = this.position;
    if (position >= limit) throw corrupt(`record truncated reading ${what}`);
    let byte = buf[position++];
    if (byte < 0x80) {
      this.position = position;
      return (byte >>> 1) ^ -(byte & 1);
    }
    // Low 28 bits as an int, the rest as a float: exact over the whole safe-integer range, no bigint.
    let low = byte & 0x7f;
    let high = 0;
    for (let i = 1; ; i++) {
      if (position >= limit) throw corrupt(`record truncated reading ${what}`);
      byte = buf[position++];
      if (i < 4) low |= (byte & 0x7f) << (7 * i);
      else high += (byte & 0x7f) * 2 ** (7 * (i - 4));
      if (byte < 0x80) break;
      if (i === 9) throw corrupt(`varlong ${what} is too long: the most significant bit in the 10th byte is set`);
    }
    const magnitude = high * 2 ** 27 + (low >>> 1);
    if (magnitude > Number.MAX_SAFE_INTEGER || (low & 1 && magnitude === Number.MAX_SAFE_INTEGER)) {
      throw corrupt(`varlong ${what} is beyond ±(2^53-1), which kafkasim does not represent`);
    }
    this.position = position;
    return low & 1 ? -magnitude - 1 : magnitude;
  }

  /** `nullableBytes` without the view: steps over the bytes and returns their length, -1 for null. */
  skipNullableBytes(limit: number, what: string): number {
    const length = this.varint(limit, what);
    if (length < 0) return -1;
    const start = this.position;
    if (length > limit - start) throw corrupt(`${what} of ${length} bytes overruns its record (${limit - start} left)`);
    this.position = start + length;
    return length;
  }

  /** varint-length bytes, -1 (any negative) = null as in `DefaultRecord.readFrom`. */
  nullableBytes(limit: number, what: string): Buffer | null {
    const length = this.varint(limit, what);
    if (length < 0) return null;
    const start = this.position;
    if (length > limit - start) throw corrupt(`${what} of ${length} bytes overruns its record (${limit - start} left)`);
    this.position = start + length;
    return this.buf.subarray(start, start + length);
  }
}

/** Builds one decoded record; lets a reader make its own record shape in the same pass (no intermediate object). */
export type RecordMaker<T> = (
  attributes: number,
  timestampDelta: number,
  offsetDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: RecordHeader[],
) => T;

const makeBatchRecord: RecordMaker<BatchRecord> = (attributes, timestampDelta, offsetDelta, key, value, headers) => ({
  attributes,
  timestampDelta,
  offsetDelta,
  key,
  value,
  headers,
});

/** Shared by records without headers when the maker promises not to keep or mutate the array. */
const NO_HEADERS: RecordHeader[] = [];

function decodeRecords<T>(buf: Buffer, start: number, end: number, count: number, make: RecordMaker<T>, shareEmptyHeaders: boolean): T[] {
  // The smallest record is 7 bytes; a count the bytes cannot hold is corrupt, and must not size an allocation.
  if (count > (end - start) / 7) throw corrupt(`record count ${count} cannot fit in ${end - start} bytes of records`);
  const records: T[] = [];
  const cursor = new RecordsCursor(buf, start);
  for (let i = 0; i < count; i++) {
    const length = cursor.varint(end, 'record length');
    const bodyStart = cursor.position;
    if (length < 0 || length > end - bodyStart) {
      throw corrupt(`record ${i} declares ${length} bytes, ${end - bodyStart} left in the batch`);
    }
    const recordEnd = bodyStart + length;
    if (length === 0) throw corrupt(`record ${i} is empty`);
    const attributes = buf[bodyStart];
    cursor.position = bodyStart + 1;
    const timestampDelta = cursor.varlong(recordEnd, 'timestampDelta');
    const offsetDelta = cursor.varint(recordEnd, 'offsetDelta');
    const key = cursor.nullableBytes(recordEnd, 'key');
    const value = cursor.nullableBytes(recordEnd, 'value');
    const headerCount = cursor.varint(recordEnd, 'header count');
    if (headerCount < 0) throw corrupt(`record ${i} has invalid number of record headers ${headerCount}`);
    const headers: RecordHeader[] = headerCount === 0 && shareEmptyHeaders ? NO_HEADERS : [];
    if (headerCount > 0) {
      if (headerCount > (recordEnd - cursor.position) / 2) throw corrupt(`record ${i} declares ${headerCount} headers in ${recordEnd - cursor.position} bytes`);
      for (let h = 0; h < headerCount; h++) {
        const keyLength = cursor.varint(recordEnd, 'header key length');
        const keyStart = cursor.position;
        if (keyLength < 0) throw corrupt(`record ${i} has invalid negative header key size ${keyLength}`);
        if (keyLength > recordEnd - keyStart) throw corrupt(`header key of ${keyLength} bytes overruns record ${i}`);
        cursor.position = keyStart + keyLength;
        const headerKey = buf.toString('utf8', keyStart, keyStart + keyLength);
        headers.push({ key: headerKey, value: cursor.nullableBytes(recordEnd, 'header value') });
      }
    }
    if (cursor.position !== recordEnd) {
      throw corrupt(`invalid record size: expected to read ${length} bytes in record ${i} payload, but read ${cursor.position - bodyStart}`);
    }
    records.push(make(attributes, timestampDelta, offsetDelta, key, value, headers));
  }
  if (cursor.position !== end) throw corrupt(`incorrect declared batch size: ${end - cursor.position} bytes remain after ${count} records`);
  return records;
}

/**
 * `decodeRecords` without the records: the same walk and the same checks, in the same order, but each record
 * only reaches `visit` as numbers. Kept as a twin rather than a mode of `decodeRecords` so the consumer's decode
 * loop stays as it is.
 */
function scanRecords(buf: Buffer, start: number, end: number, count: number, visit: RecordVisitor): void {
  if (count > (end - start) / 7) throw corrupt(`record count ${count} cannot fit in ${end - start} bytes of records`);
  const cursor = new RecordsCursor(buf, start);
  for (let i = 0; i < count; i++) {
    const length = cursor.varint(end, 'record length');
    const bodyStart = cursor.position;
    if (length < 0 || length > end - bodyStart) {
      throw corrupt(`record ${i} declares ${length} bytes, ${end - bodyStart} left in the batch`);
    }
    const recordEnd = bodyStart + length;
    if (length === 0) throw corrupt(`record ${i} is empty`);
    cursor.position = bodyStart + 1;
    const timestampDelta = cursor.varlong(recordEnd, 'timestampDelta');
    const offsetDelta = cursor.varint(recordEnd, 'offsetDelta');
    const keyLength = cursor.skipNullableBytes(recordEnd, 'key');
    const valueLength = cursor.skipNullableBytes(recordEnd, 'value');
    const headerCount = cursor.varint(recordEnd, 'header count');
    if (headerCount < 0) throw corrupt(`record ${i} has invalid number of record headers ${headerCount}`);
    if (headerCount > 0) {
      if (headerCount > (recordEnd - cursor.position) / 2) throw corrupt(`record ${i} declares ${headerCount} headers in ${recordEnd - cursor.position} bytes`);
      for (let h = 0; h < headerCount; h++) {
        const keyLength = cursor.varint(recordEnd, 'header key length');
        const keyStart = cursor.position;
        if (keyLength < 0) throw corrupt(`record ${i} has invalid negative header key size ${keyLength}`);
        if (keyLength > recordEnd - keyStart) throw corrupt(`header key of ${keyLength} bytes overruns record ${i}`);
        cursor.position = keyStart + keyLength;
        cursor.skipNullableBytes(recordEnd, 'header value');
      }
    }
    if (cursor.position !== recordEnd) {
      throw corrupt(`invalid record size: expected to read ${length} bytes in record ${i} payload, but read ${cursor.position - bodyStart}`);
    }
    visit(i, timestampDelta, offsetDelta, keyLength, valueLength);
  }
  if (cursor.position !== end) throw corrupt(`incorrect declared batch size: ${end - cursor.position} bytes remain after ${count} records`);
}

/** Decodes the v2 batch at `options.position` (default 0) in full, decompressing its records. */
export function decodeRecordBatch(buf: Buffer, options: DecodeRecordBatchOptions = {}): RecordBatch {
  const { header, records } = decodeRecordBatchWith(buf, options, () => makeBatchRecord, false);
  return {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    magic: 2,
    crc: header.crc,
    attributes: header.attributes,
    compression: header.compression,
    timestampType: header.timestampType,
    isTransactional: header.isTransactional,
    isControl: header.isControl,
    hasDeleteHorizonMs: header.hasDeleteHorizonMs,
    lastOffsetDelta: header.lastOffsetDelta,
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records,
  };
}

/**
 * `decodeRecordBatch` with the caller's record shape: the same validation, one object per record, made by
 * the maker `forBatch` returns for the batch's header. With `shareEmptyHeaders` the maker receives one shared
 * empty array for records without headers (it must not keep or change it).
 */
export function decodeRecordBatchWith<T>(
  buf: Buffer,
  options: DecodeRecordBatchOptions,
  forBatch: (header: RecordBatchHeader) => RecordMaker<T>,
  shareEmptyHeaders = true,
): { header: RecordBatchHeader; records: T[] } {
  const position = options.position ?? 0;
  const end = ensureValid(buf, position, options);
  const header = readBatchHeader(buf, position);
  const count = header.recordsCount;
  if (count < 0) throw corrupt(`found invalid record count ${count} in magic v2 batch`);
  const make = forBatch(header);
  let records: T[];
  if (count === 0) {
    // DefaultRecordBatch.iterator() returns nothing for an empty batch without reading (or decompressing) the section.
    records = [];
  } else if (header.compression === CompressionCodec.None) {
    records = decodeRecords(buf, position + RECORD_BATCH_OVERHEAD, end, count, make, shareEmptyHeaders);
  } else {
    const inflated = decompress(header.compression, buf.subarray(position + RECORD_BATCH_OVERHEAD, end), { maxBytes: options.maxDecompressedBytes });
    records = decodeRecords(inflated, 0, inflated.length, count, make, shareEmptyHeaders);
  }
  return { header, records };
}

/** What `scanRecordBatch` tells about each record: nothing is allocated for it. Lengths are -1 for null. */
export type RecordVisitor = (index: number, timestampDelta: number, offsetDelta: number, keyLength: number, valueLength: number) => void;

/**
 * Walks every record of the v2 batch with exactly the checks `decodeRecordBatch` makes (CRC unless told
 * otherwise, sizes, varints, header bounds, no bytes left over) without making keys, values, headers or record
 * objects: what a broker validating a produced batch needs (Kafka's LogValidator iterates every record, and looks
 * only at its offset, timestamp and whether it has a key). Returns the header.
 */
export function scanRecordBatch(buf: Buffer, options: DecodeRecordBatchOptions, visit: RecordVisitor): RecordBatchHeader {
  const position = options.position ?? 0;
  const end = ensureValid(buf, position, options);
  const header = readBatchHeader(buf, position);
  const count = header.recordsCount;
  if (count < 0) throw corrupt(`found invalid record count ${count} in magic v2 batch`);
  if (count === 0) return header;
  if (header.compression === CompressionCodec.None) {
    scanRecords(buf, position + RECORD_BATCH_OVERHEAD, end, count, visit);
  } else {
    const inflated = decompress(header.compression, buf.subarray(position + RECORD_BATCH_OVERHEAD, end), { maxBytes: options.maxDecompressedBytes });
    scanRecords(inflated, 0, inflated.length, count, visit);
  }
  return header;
}

/** As `DefaultRecordBatch.ensureValid`: size, magic, then the CRC before any field it covers is interpreted. Returns the batch's end. */
function ensureValid(buf: Buffer, position: number, options: DecodeRecordBatchOptions): number {
  const end = batchEnd(buf, position);
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== 2) throw corrupt(`record batch magic is ${magic}, expected 2 at position ${position}`);
  if (options.verifyCrc !== false) {
    const stored = buf.readUInt32BE(position + CRC_OFFSET);
    const computed = crc32c(buf, position + ATTRIBUTES_OFFSET, end);
    if (computed !== stored) throw corrupt(`record batch is corrupt (stored crc = ${stored}, computed crc = ${computed})`);
  }
  return end;
}

// --- encoding -------------------------------------------------------------------------------------------------

function sizeOfUvarint(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function sizeOfVarint(value: number): number {
  return sizeOfUvarint((value << 1) ^ (value >> 31));
}

function zigzagLong(value: number): bigint {
  const v = BigInt(value);
  return (v << 1n) ^ (v >> 63n);
}

/** Small varlongs take the int32 path; larger ones are rare enough for bigint. */
function isSmallLong(value: number): boolean {
  return value >= -0x40000000 && value < 0x40000000;
}

function sizeOfVarlong(value: number): number {
  if (isSmallLong(value)) return sizeOfVarint(value);
  let v = zigzagLong(value);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

function writeUvarint(buf: Buffer, position: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[position++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[position++] = v;
  return position;
}

function writeVarint(buf: Buffer, position: number, value: number): number {
  return writeUvarint(buf, position, (value << 1) ^ (value >> 31));
}

function writeVarlong(buf: Buffer, position: number, value: number): number {
  if (isSmallLong(value)) return writeVarint(buf, position, value);
  let v = zigzagLong(value);
  while (v >= 0x80n) {
    buf[position++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[position++] = Number(v);
  return position;
}

function checkInt32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`${what} ${value} is not an int32`);
}

/** Byte sizes of each record body and each header key, measured once and reused while writing. */
interface Layout {
  bodySizes: number[];
  headerKeySizes: number[];
  recordsBytes: number;
}

function measure(records: readonly RecordInput[]): Layout {
  const bodySizes: number[] = [];
  const headerKeySizes: number[] = [];
  let recordsBytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const offsetDelta = record.offsetDelta ?? i;
    const timestampDelta = record.timestampDelta ?? 0;
    checkInt32(offsetDelta, 'offsetDelta');
    if (!Number.isSafeInteger(timestampDelta)) throw new RangeError(`timestampDelta ${timestampDelta} is not a safe integer`);
    const key = record.key ?? null;
    const value = record.value ?? null;
    let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
    size += key === null ? 1 : sizeOfVarint(key.length) + key.length;
    size += value === null ? 1 : sizeOfVarint(value.length) + value.length;
    const headers = record.headers ?? [];
    size += sizeOfVarint(headers.length);
    for (const header of headers) {
      const keySize = Buffer.byteLength(header.key, 'utf8');
      headerKeySizes.push(keySize);
      size += sizeOfVarint(keySize) + keySize;
      size += header.value === null ? 1 : sizeOfVarint(header.value.length) + header.value.length;
    }
    bodySizes.push(size);
    recordsBytes += sizeOfVarint(size) + size;
  }
  return { bodySizes, headerKeySizes, recordsBytes };
}

function writeNullableBytes(buf: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) {
    buf[position] = 1; // zigzag(-1)
    return position + 1;
  }
  position = writeVarint(buf, position, bytes.length);
  buf.set(bytes, position);
  return position + bytes.length;
}

function writeRecords(buf: Buffer, position: number, records: readonly RecordInput[], layout: Layout): number {
  let headerIndex = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    position = writeVarint(buf, position, layout.bodySizes[i]);
    buf[position++] = record.attributes ?? 0;
    position = writeVarlong(buf, position, record.timestampDelta ?? 0);
    position = writeVarint(buf, position, record.offsetDelta ?? i);
    position = writeNullableBytes(buf, position, record.key ?? null);
    position = writeNullableBytes(buf, position, record.value ?? null);
    const headers = record.headers ?? [];
    position = writeVarint(buf, position, headers.length);
    for (const header of headers) {
      const keySize = layout.headerKeySizes[headerIndex++];
      position = writeVarint(buf, position, keySize);
      position += buf.write(header.key, position, keySize, 'utf8');
      position = writeNullableBytes(buf, position, header.value);
    }
  }
  return position;
}

function batchAttributes(input: RecordBatchInput, compression: CompressionCodec): number {
  return (
    compression |
    (input.timestampType === 1 ? TIMESTAMP_TYPE_MASK : 0) |
    (input.isTransactional ? TRANSACTIONAL_MASK : 0) |
    (input.isControl ? CONTROL_MASK : 0) |
    (input.hasDeleteHorizonMs ? DELETE_HORIZON_MASK : 0)
  );
}

/** Encodes a v2 batch; CRC and batchLength are computed, every other field comes from `input` or its default. */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const compression = input.compression ?? CompressionCodec.None;
  if (!isCompressionCodec(compression)) throw new RangeError(`unknown compression codec ${String(compression)}`);
  const records = input.records;
  const layout = measure(records);
  let maxTimestampDelta = 0;
  let maxOffsetDelta = 0;
  for (let i = 0; i < records.length; i++) {
    const timestampDelta = records[i].timestampDelta ?? 0;
    const offsetDelta = records[i].offsetDelta ?? i;
    if (i === 0 || timestampDelta > maxTimestampDelta) maxTimestampDelta = timestampDelta;
    if (i === 0 || offsetDelta > maxOffsetDelta) maxOffsetDelta = offsetDelta;
  }

  let buf: Buffer;
  let end: number;
  if (compression === CompressionCodec.None || records.length === 0) {
    end = RECORD_BATCH_OVERHEAD + layout.recordsBytes;
    buf = Buffer.allocUnsafe(end);
    const written = writeRecords(buf, RECORD_BATCH_OVERHEAD, records, layout);
    assert(written === end, 'record sizes measured before writing match the bytes written');
  } else {
    const section = Buffer.allocUnsafe(layout.recordsBytes);
    const written = writeRecords(section, 0, records, layout);
    assert(written === section.length, 'record sizes measured before writing match the bytes written');
    const compressed = compress(compression, section);
    end = RECORD_BATCH_OVERHEAD + compressed.length;
    buf = Buffer.allocUnsafe(end);
    compressed.copy(buf, RECORD_BATCH_OVERHEAD);
  }

  const baseTimestamp = input.baseTimestamp;
  const maxTimestamp = input.maxTimestamp ?? (records.length === 0 ? baseTimestamp : baseTimestamp + BigInt(maxTimestampDelta));
  buf.writeBigInt64BE(input.baseOffset ?? 0n, 0);
  buf.writeInt32BE(end - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(2, MAGIC_OFFSET);
  buf.writeInt16BE(batchAttributes(input, compression), ATTRIBUTES_OFFSET);
  buf.writeInt32BE(input.lastOffsetDelta ?? maxOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  buf.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(input.producerId ?? -1n, PRODUCER_ID_OFFSET);
  buf.writeInt16BE(input.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(input.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  buf.writeUInt32BE(crc32c(buf, ATTRIBUTES_OFFSET, end), CRC_OFFSET);
  return buf;
}
