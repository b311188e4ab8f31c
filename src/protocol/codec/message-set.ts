/**
 * Legacy message sets, magic 0 (Kafka 0.8-0.9) and magic 1 (0.10, KIP-31 relative offsets, KIP-32 timestamps),
 * as Produce v0-v2 and Fetch v0-v3 carry them (`LegacyRecord.java`, `AbstractLegacyRecordBatch.java`):
 *
 *   entry   = offset int64 · messageSize int32 · message
 *   message = crc uint32 (CRC-32 IEEE over magic..end) · magic int8 · attributes int8 ·
 *             [timestamp int64, magic 1 only] · key int32-length bytes · value int32-length bytes
 *
 * Attribute bits 0-2 are the codec, bit 3 (magic 1) LogAppendTime. A compressed message is a wrapper whose value
 * is a compressed, nested message set; for magic 1 the inner offsets are relative (0, 1, ...) and the wrapper
 * carries the absolute offset of the last inner message, for magic 0 the inner offsets are absolute.
 * `decodeMessageSet` flattens wrappers into the messages they hold, with absolute offsets, as a consumer sees them.
 *
 * Malformed input throws `RecordBatchDecodeError` (the checks of `LegacyRecord.ensureValid` and
 * `AbstractLegacyRecordBatch.DeepRecordsIterator`). A blob mixing formats (a log upgraded mid-way) is walked with
 * `splitBatches` and `detectMagic` per entry; this module rejects a magic 2 entry.
 *
 * Left out: format conversion policy (down-converting v2 batches for old Fetch versions is the broker's job;
 * it uses `encodeMessageSet`), and nested compression, which Kafka rejects too.
 */
import { CompressionCodec, RecordBatchDecodeError, compress, decompress, isCompressionCodec } from './compression.ts';
import { crc32 } from './crc32c.ts';

export { RecordBatchDecodeError } from './compression.ts';
export { detectMagic, splitBatches } from './record-batch.ts';

const ENTRY_OVERHEAD = 12; // offset + messageSize
const CRC_BYTES = 4;
const MESSAGE_OVERHEAD_V0 = 14; // crc + magic + attributes + key length + value length
const MESSAGE_OVERHEAD_V1 = 22; // + timestamp
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;

export interface LegacyMessage {
  /** Absolute, also for messages inside a compressed wrapper. */
  offset: bigint;
  magic: 0 | 1;
  /** The message's own attributes (inner messages of a wrapper have codec 0). */
  attributes: number;
  /** -1n (`NO_TIMESTAMP`) for magic 0; for a LogAppendTime wrapper, the wrapper's timestamp. */
  timestamp: bigint;
  timestampType: 0 | 1;
  key: Buffer | null;
  value: Buffer | null;
  /** The codec of the wrapper this message came out of, None if it was not compressed. */
  compression: CompressionCodec;
}

export interface LegacyMessageInput {
  offset: bigint;
  /** Magic 1 only; default -1n. */
  timestamp?: bigint;
  key?: Buffer | null;
  value?: Buffer | null;
}

export interface EncodeMessageSetOptions {
  magic: 0 | 1;
  compression?: CompressionCodec;
  /** Magic 1 only: 1 sets the LogAppendTime bit (on the wrapper when compressed, as the broker does). */
  timestampType?: 0 | 1;
}

export interface DecodeMessageSetOptions {
  /** Default true. */
  verifyCrc?: boolean;
  /** Default false: a trailing partial entry is corrupt. True: ignore it, as a consumer of a Fetch answer does. */
  allowTruncatedTail?: boolean;
  maxDecompressedBytes?: number;
}

interface RawMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function corrupt(message: string): RecordBatchDecodeError {
  return new RecordBatchDecodeError(message);
}

function readNullableBytes(buf: Buffer, position: number, end: number, what: string): Buffer | null {
  if (end - position < 4) throw corrupt(`legacy message truncated reading the ${what} length`);
  const length = buf.readInt32BE(position);
  if (length < 0) return null;
  if (length > end - position - 4) throw corrupt(`legacy message ${what} of ${length} bytes overruns the message (${end - position - 4} left)`);
  return buf.subarray(position + 4, position + 4 + length);
}

/** Parses the message in `buf[start, end)` (after its entry's offset and size). */
function readMessage(buf: Buffer, offset: bigint, start: number, end: number, verifyCrc: boolean): RawMessage {
  const size = end - start;
  if (size < MESSAGE_OVERHEAD_V0) throw corrupt(`legacy message size ${size} is less than the minimum ${MESSAGE_OVERHEAD_V0}`);
  const magic = buf.readInt8(start + CRC_BYTES);
  if (magic !== 0 && magic !== 1) throw corrupt(`legacy message has magic ${magic}, expected 0 or 1`);
  if (magic === 1 && size < MESSAGE_OVERHEAD_V1) throw corrupt(`legacy message size ${size} is less than the minimum ${MESSAGE_OVERHEAD_V1} for magic 1`);
  if (verifyCrc) {
    const stored = buf.readUInt32BE(start);
    const computed = crc32(buf, start + CRC_BYTES, end);
    if (stored !== computed) throw corrupt(`legacy message is corrupt (stored crc = ${stored}, computed crc = ${computed})`);
  }
  const attributes = buf.readInt8(start + 5);
  let position = start + 6;
  let timestamp = -1n;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(position);
    position += 8;
  }
  const key = readNullableBytes(buf, position, end, 'key');
  position += 4 + (key === null ? 0 : key.length);
  const value = readNullableBytes(buf, position, end, 'value');
  position += 4 + (value === null ? 0 : value.length);
  if (position !== end) throw corrupt(`legacy message declares ${size} bytes but its fields take ${position - start}`);
  return { offset, magic, attributes, timestamp, key, value };
}

/** Walks entries of `buf`; a partial tail is returned as its position, or thrown. */
function readEntries(buf: Buffer, verifyCrc: boolean, allowTruncatedTail: boolean, each: (message: RawMessage) => void): void {
  let position = 0;
  while (position < buf.length) {
    const remaining = buf.length - position;
    if (remaining < ENTRY_OVERHEAD) {
      if (allowTruncatedTail) return;
      throw corrupt(`message set ends in a partial entry header (${remaining} bytes)`);
    }
    const offset = buf.readBigInt64BE(position);
    const size = buf.readInt32BE(position + 8);
    if (size < MESSAGE_OVERHEAD_V0) throw corrupt(`legacy message size ${size} at position ${position} is less than the minimum ${MESSAGE_OVERHEAD_V0}`);
    if (remaining - ENTRY_OVERHEAD < size) {
      if (allowTruncatedTail) return;
      throw corrupt(`message set ends in a partial message: ${size} bytes declared, ${remaining - ENTRY_OVERHEAD} present`);
    }
    const start = position + ENTRY_OVERHEAD;
    each(readMessage(buf, offset, start, start + size, verifyCrc));
    position = start + size;
  }
}

/** Decodes a message set into its messages, unwrapping compressed wrappers. */
export function decodeMessageSet(buf: Buffer, options: DecodeMessageSetOptions = {}): LegacyMessage[] {
  const verifyCrc = options.verifyCrc !== false;
  const messages: LegacyMessage[] = [];
  readEntries(buf, verifyCrc, options.allowTruncatedTail === true, (wrapper) => {
    const codec = wrapper.attributes & COMPRESSION_MASK;
    const wrapperTimestampType = wrapper.magic === 1 && wrapper.attributes & TIMESTAMP_TYPE_MASK ? 1 : 0;
    if (codec === CompressionCodec.None) {
      messages.push({ ...wrapper, timestampType: wrapperTimestampType, compression: CompressionCodec.None });
      return;
    }
    if (!isCompressionCodec(codec)) throw corrupt(`legacy message has unknown compression codec ${codec}`);
    if (wrapper.value === null) throw corrupt(`found invalid compressed record set with null value (magic = ${wrapper.magic})`);
    const inflated = decompress(codec, wrapper.value, { maxBytes: options.maxDecompressedBytes });
    const inner: RawMessage[] = [];
    readEntries(inflated, verifyCrc, false, (message) => {
      if (message.attributes & COMPRESSION_MASK) throw corrupt('compressed message set contains a compressed message');
      if (message.magic !== wrapper.magic) throw corrupt(`compressed message magic ${message.magic} does not match wrapper magic ${wrapper.magic}`);
      inner.push(message);
    });
    if (inner.length === 0) throw corrupt(`found invalid compressed record set with no inner records (magic = ${wrapper.magic})`);
    // KIP-31: the wrapper holds the last inner message's absolute offset, the inner ones are relative to the first.
    const shift = wrapper.magic === 1 ? wrapper.offset - inner[inner.length - 1].offset : 0n;
    for (const message of inner) {
      messages.push({
        offset: message.offset + shift,
        magic: message.magic,
        attributes: message.attributes,
        timestamp: wrapperTimestampType === 1 ? wrapper.timestamp : message.timestamp,
        timestampType: wrapperTimestampType,
        key: message.key,
        value: message.value,
        compression: codec,
      });
    }
  });
  return messages;
}

function messageSize(magic: 0 | 1, key: Buffer | null, value: Buffer | null): number {
  return (magic === 0 ? MESSAGE_OVERHEAD_V0 : MESSAGE_OVERHEAD_V1) + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeEntry(
  buf: Buffer,
  position: number,
  offset: bigint,
  magic: 0 | 1,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): number {
  const size = messageSize(magic, key, value);
  buf.writeBigInt64BE(offset, position);
  buf.writeInt32BE(size, position + 8);
  const start = position + ENTRY_OVERHEAD;
  let at = start + CRC_BYTES;
  buf.writeInt8(magic, at);
  buf.writeInt8(attributes, at + 1);
  at += 2;
  if (magic === 1) {
    buf.writeBigInt64BE(timestamp, at);
    at += 8;
  }
  for (const bytes of [key, value]) {
    if (bytes === null) {
      buf.writeInt32BE(-1, at);
      at += 4;
    } else {
      buf.writeInt32BE(bytes.length, at);
      buf.set(bytes, at + 4);
      at += 4 + bytes.length;
    }
  }
  buf.writeUInt32BE(crc32(buf, start + CRC_BYTES, at), start);
  return at;
}

function encodeEntries(messages: readonly LegacyMessageInput[], magic: 0 | 1, attributes: number, offsetOf: (m: LegacyMessageInput) => bigint): Buffer {
  let total = 0;
  for (const m of messages) total += ENTRY_OVERHEAD + messageSize(magic, m.key ?? null, m.value ?? null);
  const buf = Buffer.allocUnsafe(total);
  let position = 0;
  for (const m of messages) {
    position = writeEntry(buf, position, offsetOf(m), magic, attributes, m.timestamp ?? -1n, m.key ?? null, m.value ?? null);
  }
  return buf;
}

/**
 * Encodes messages (absolute offsets) as a magic 0 or 1 message set; with a codec, as one wrapper message
 * (what the broker does when down-converting for Fetch v0-v3; an empty list gives an empty set).
 */
export function encodeMessageSet(messages: readonly LegacyMessageInput[], options: EncodeMessageSetOptions): Buffer {
  const { magic } = options;
  const compression = options.compression ?? CompressionCodec.None;
  if (!isCompressionCodec(compression)) throw new RangeError(`unknown compression codec ${String(compression)}`);
  const timestampTypeBit = magic === 1 && options.timestampType === 1 ? TIMESTAMP_TYPE_MASK : 0;
  if (compression === CompressionCodec.None) return encodeEntries(messages, magic, timestampTypeBit, (m) => m.offset);
  if (messages.length === 0) return Buffer.alloc(0);
  const first = messages[0].offset;
  const inner = encodeEntries(messages, magic, 0, magic === 1 ? (m) => m.offset - first : (m) => m.offset);
  let maxTimestamp = -1n;
  for (const m of messages) if ((m.timestamp ?? -1n) > maxTimestamp) maxTimestamp = m.timestamp ?? -1n;
  // Kafka 0.8/0.9 read magic 0 LZ4 with the pre-KAFKA-3160 header checksum.
  const value = compress(compression, inner, { lz4LegacyHeaderChecksum: magic === 0 });
  const buf = Buffer.allocUnsafe(ENTRY_OVERHEAD + messageSize(magic, null, value));
  writeEntry(buf, 0, messages[messages.length - 1].offset, magic, compression | timestampTypeBit, maxTimestamp, null, value);
  return buf;
}
