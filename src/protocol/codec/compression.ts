/**
 * The four compression codecs of Kafka's log formats (`org.apache.kafka.common.compress.*`,
 * `CompressionType`), byte-compatible with what the Java client writes and reads:
 * - GZIP: RFC 1952 via node:zlib (level 6, Java's `Deflater.DEFAULT_COMPRESSION`); concatenated members read.
 * - Snappy: writes snappy-java's xerial framing (`SnappyOutputStream`: magic `\x82SNAPPY\0`, version 1,
 *   compatible version 1, then `[int32 length, raw snappy block]` per 32 KiB of input), which Java, librdkafka
 *   and kafka-python all read; reads xerial-framed and raw snappy (KafkaJS's kafkajs-snappy writes raw).
 * - LZ4: the standard LZ4 frame format (`Lz4BlockOutputStream`: independent 64 KiB blocks, no checksums).
 *   Kafka 0.8/0.9 (message format v0) computed the frame header checksum over the magic number too
 *   (KAFKA-3160); `lz4LegacyHeaderChecksum` writes that form, and decompression accepts both.
 * - ZSTD: zstd frames (KIP-110), level 3 (`ZSTD_CLEVEL_DEFAULT`, Kafka's default); frames with or without
 *   a content size (Java's streaming writer omits it).
 *
 * Everything is synchronous: the simulator is deterministic and a codec call is pure CPU.
 * Corrupt input, an unknown codec id on the wire, or output beyond `maxBytes` throws `RecordBatchDecodeError`
 * (Kafka's `CorruptRecordException`); callers turn it into CORRUPT_MESSAGE or a dropped connection.
 *
 * Left out: per-codec compression levels (KIP-390 `compression.<codec>.level`), snappy's framing format
 * (`sz`, which Kafka never used), LZ4 dependent blocks and dictionaries.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import snappy from 'snappy';
import zstdBinding from 'zstd-napi/binding.js';
import type { CCtx, DCtx } from 'zstd-napi/binding.js';
import { ProtocolDecodeError } from './primitives.ts';

/** Malformed record data: a batch, a legacy message, or compressed bytes (Kafka's `CorruptRecordException`). */
export class RecordBatchDecodeError extends ProtocolDecodeError {
  override name = 'RecordBatchDecodeError';
}

/** Codec ids as in the low three attribute bits, Kafka's `CompressionType.id` and KafkaJS's `CompressionTypes`. */
export const CompressionCodec = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= 4;
}

/** Kafka's `compression.type` spelling of a codec. */
export function compressionCodecName(codec: CompressionCodec): string {
  return CODEC_NAMES[codec];
}

/**
 * Decompressed output beyond this is treated as corrupt rather than allocated. Kafka sets no such limit; this
 * is generous next to `message.max.bytes` (1 MiB default) and stops a decompression bomb from taking the
 * process down.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface CompressOptions {
  /** LZ4 only: write the pre-KAFKA-3160 header checksum that Kafka 0.8/0.9 readers expect for magic 0. */
  lz4LegacyHeaderChecksum?: boolean;
}

export interface DecompressOptions {
  maxBytes?: number;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function compress(codec: CompressionCodec, data: Uint8Array, options: CompressOptions = {}): Buffer {
  const input = asBuffer(data);
  switch (codec) {
    case CompressionCodec.None:
      return input;
    case CompressionCodec.GZIP:
      return gzipSync(input);
    case CompressionCodec.Snappy:
      return xerialSnappyCompress(input);
    case CompressionCodec.LZ4: {
      const frame = compressFrameSync(input);
      if (options.lz4LegacyHeaderChecksum) frame[lz4HeaderChecksumPosition(frame)] = lz4HeaderChecksum(frame, true);
      return frame;
    }
    case CompressionCodec.ZSTD:
      return zstdCompress(input);
    default:
      throw new RangeError(`unknown compression codec ${String(codec)} (Kafka knows 0-4)`);
  }
}

export function decompress(codec: number, data: Uint8Array, options: DecompressOptions = {}): Buffer {
  const input = asBuffer(data);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!isCompressionCodec(codec)) throw new RecordBatchDecodeError(`unknown compression codec ${codec} (Kafka knows 0-4)`);
  if (codec === CompressionCodec.None) return input;
  let output: Buffer;
  try {
    output = inflate(codec, input, maxBytes);
  } catch (error) {
    if (error instanceof RecordBatchDecodeError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new RecordBatchDecodeError(`corrupt ${CODEC_NAMES[codec]} data (${input.length} bytes): ${why}`, { cause: error });
  }
  if (output.length > maxBytes) {
    throw new RecordBatchDecodeError(`${CODEC_NAMES[codec]} data decompresses to ${output.length} bytes, over the ${maxBytes} limit`);
  }
  return output;
}

function inflate(codec: Exclude<CompressionCodec, 0>, input: Buffer, maxBytes: number): Buffer {
  switch (codec) {
    case CompressionCodec.GZIP:
      return gunzipSync(input, { maxOutputLength: maxBytes });
    case CompressionCodec.Snappy:
      return snappyDecompress(input, maxBytes);
    case CompressionCodec.LZ4:
      return decompressFrameSync(checkedLz4Frame(input));
    case CompressionCodec.ZSTD:
      return zstdDecompress(input, maxBytes);
  }
}

// --- Snappy -------------------------------------------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's `SnappyOutputStream.DEFAULT_BLOCK_SIZE`, which Kafka uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

function xerialSnappyCompress(input: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let total = XERIAL_HEADER_BYTES;
  for (let at = 0; at < input.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappy.compressSync(input.subarray(at, Math.min(at + XERIAL_BLOCK_BYTES, input.length)));
    blocks.push(block);
    total += 4 + block.length;
  }
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8); // version
  out.writeInt32BE(1, 12); // minimum compatible version
  let at = XERIAL_HEADER_BYTES;
  for (const block of blocks) {
    out.writeInt32BE(block.length, at);
    block.copy(out, at + 4);
    at += 4 + block.length;
  }
  return out;
}

function isXerialFramed(input: Buffer): boolean {
  return input.length >= XERIAL_MAGIC.length && input.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, 0, XERIAL_MAGIC.length) === 0;
}

/** The uncompressed length a raw snappy block declares (its uvarint preamble), read before allocating. */
function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new RecordBatchDecodeError('corrupt snappy data: truncated length preamble');
    const byte = block[i];
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return result;
  }
  throw new RecordBatchDecodeError('corrupt snappy data: length preamble longer than 5 bytes');
}

function rawSnappyDecompress(block: Buffer, budget: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared > budget) throw new RecordBatchDecodeError(`snappy block declares ${declared} bytes, over the limit`);
  return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
}

function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  if (!isXerialFramed(input)) return rawSnappyDecompress(input, maxBytes);
  if (input.length < XERIAL_HEADER_BYTES) throw new RecordBatchDecodeError('corrupt snappy data: truncated xerial header');
  const blocks: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < input.length) {
    if (input.length - at < 4) throw new RecordBatchDecodeError(`corrupt snappy data: truncated xerial block length at ${at}`);
    const length = input.readInt32BE(at);
    at += 4;
    if (length < 0 || length > input.length - at) {
      throw new RecordBatchDecodeError(`corrupt snappy data: xerial block of ${length} bytes at ${at - 4}, ${input.length - at} left`);
    }
    const block = rawSnappyDecompress(input.subarray(at, at + length), maxBytes - total);
    blocks.push(block);
    total += block.length;
    at += length;
  }
  return blocks.length === 1 ? blocks[0] : Buffer.concat(blocks, total);
}

// --- LZ4 ----------------------------------------------------------------------------------------------------

const LZ4_FRAME_MAGIC = 0x184d2204;

/** Position of the header checksum byte (HC): after magic, FLG, BD and the optional content size and dict id. */
function lz4HeaderChecksumPosition(frame: Buffer): number {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_FRAME_MAGIC) throw new RecordBatchDecodeError('corrupt lz4 data: no LZ4 frame magic');
  const flags = frame[4];
  return 6 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0);
}

/** The frame descriptor checksum: second byte of xxHash32 over the descriptor (or, in Kafka's v0 bug, magic + descriptor). */
function lz4HeaderChecksum(frame: Buffer, legacy: boolean): number {
  const position = lz4HeaderChecksumPosition(frame);
  return (xxhash32(frame, legacy ? 0 : 4, position, 0) >>> 8) & 0xff;
}

/**
 * Walks the frame's block structure before handing it to lz4-napi, which accepts a frame cut off before its
 * end mark; Kafka's `Lz4BlockInputStream` does not. Also accepts the legacy header checksum by patching a copy.
 */
function checkedLz4Frame(input: Buffer): Buffer {
  const position = lz4HeaderChecksumPosition(input);
  if (position >= input.length) throw new RecordBatchDecodeError('corrupt lz4 data: truncated frame header');
  const flags = input[4];
  const blockChecksumBytes = flags & 0x10 ? 4 : 0;
  let at = position + 1;
  for (;;) {
    if (input.length - at < 4) throw new RecordBatchDecodeError(`corrupt lz4 data: frame ends without an end mark at ${at}`);
    const blockSize = input.readUInt32LE(at) & 0x7fffffff;
    at += 4;
    if (blockSize === 0) break;
    at += blockSize + blockChecksumBytes;
  }
  if (flags & 0x04) at += 4; // content checksum
  if (at !== input.length) throw new RecordBatchDecodeError(`corrupt lz4 data: frame takes ${at} bytes of ${input.length}`);
  const stored = input[position];
  if (stored === lz4HeaderChecksum(input, false) || stored !== lz4HeaderChecksum(input, true)) return input;
  const fixed = Buffer.from(input);
  fixed[position] = lz4HeaderChecksum(input, false);
  return fixed;
}

const PRIME32_1 = 0x9e3779b1;
const PRIME32_2 = 0x85ebca77;
const PRIME32_3 = 0xc2b2ae3d;
const PRIME32_4 = 0x27d4eb2f;
const PRIME32_5 = 0x165667b1;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function lane(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

function round32(accumulator: number, input: number): number {
  return Math.imul(rotl32((accumulator + Math.imul(input, PRIME32_2)) | 0, 13), PRIME32_1);
}

/** xxHash32 of `bytes[start, end)`; exported for its test vectors. LZ4 only hashes a few header bytes with it. */
export function xxhash32(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  let at = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + PRIME32_1 + PRIME32_2) | 0;
    let v2 = (seed + PRIME32_2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME32_1) | 0;
    for (; at + 16 <= end; at += 16) {
      v1 = round32(v1, lane(bytes, at));
      v2 = round32(v2, lane(bytes, at + 4));
      v3 = round32(v3, lane(bytes, at + 8));
      v4 = round32(v4, lane(bytes, at + 12));
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) | 0;
  } else {
    h = (seed + PRIME32_5) | 0;
  }
  h = (h + (end - start)) | 0;
  for (; at + 4 <= end; at += 4) h = Math.imul(rotl32((h + Math.imul(lane(bytes, at), PRIME32_3)) | 0, 17), PRIME32_4);
  for (; at < end; at++) h = Math.imul(rotl32((h + Math.imul(bytes[at], PRIME32_5)) | 0, 11), PRIME32_1);
  h ^= h >>> 15;
  h = Math.imul(h, PRIME32_2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME32_3);
  h ^= h >>> 16;
  return h >>> 0;
}

// --- ZSTD ---------------------------------------------------------------------------------------------------

/** Kafka's default (`ZstdCompression.DEFAULT_LEVEL` = `ZSTD_CLEVEL_DEFAULT`). */
const ZSTD_LEVEL = 3;

let zstdCompressContext: CCtx | undefined;
let zstdDecompressContext: DCtx | undefined;

function zstdCompress(input: Buffer): Buffer {
  // A context is a reusable scratch allocation, not model state; zstd-napi's own one-shot API keeps one too.
  zstdCompressContext ??= new zstdBinding.CCtx();
  const out = Buffer.allocUnsafe(zstdBinding.compressBound(input.length));
  const written = zstdCompressContext.compress(out, input, ZSTD_LEVEL);
  return out.subarray(0, written);
}

/**
 * Streams frame by frame instead of trusting a declared content size, and notices a frame that ends early
 * (zstd-napi's one-shot `decompress` returns the partial output of a truncated streaming frame).
 */
function zstdDecompress(input: Buffer, maxBytes: number): Buffer {
  zstdDecompressContext ??= new zstdBinding.DCtx();
  const context = zstdDecompressContext;
  context.reset(zstdBinding.ResetDirective.sessionOnly);
  const declared = input.length >= 4 ? zstdBinding.getFrameContentSize(input) : null;
  const chunks: Buffer[] = [];
  let total = 0;
  let remaining = input;
  let chunkBytes = declared !== null && declared > 0 && declared <= maxBytes ? declared : 64 * 1024;
  let frameDone = false;
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    const [hint, produced, consumed] = context.decompressStream(chunk, remaining);
    remaining = remaining.subarray(consumed);
    total += produced;
    if (total > maxBytes) throw new RecordBatchDecodeError(`zstd data decompresses to over ${maxBytes} bytes, the limit`);
    if (produced > 0) chunks.push(chunk.subarray(0, produced));
    frameDone = hint === 0;
    if (frameDone && remaining.length === 0) break;
    if (produced === 0 && consumed === 0) {
      throw new RecordBatchDecodeError(`corrupt zstd data: frame truncated after ${input.length - remaining.length} of ${input.length} bytes`);
    }
    chunkBytes = 64 * 1024;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}
