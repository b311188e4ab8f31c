/**
 * One Produce request as KafkaJS 2.2.4 builds it (`protocol/requests/produce/v3/request.js`, the record
 * batch of `protocol/recordBatch/v0`, records of `recordBatch/record/v0`) and its answer as KafkaJS parses
 * and flattens it (`produce/v3..v7/response.js`, `producer/responseSerializer.js`).
 *
 * Quirks kept, since users can observe them on the broker or in errors:
 * - One batch per partition, baseOffset 0, partitionLeaderEpoch 0, CreateTime; a non-idempotent batch says
 *   producerId -1, epoch 0, baseSequence 0 (Kafka's client writes -1/-1/-1).
 * - Timestamps: "now" is read once per partition; the batch's first and max timestamps are the first and
 *   last of the messages' own timestamps after a default (string) `sort()`, or now if none has one; a
 *   message without a timestamp gets now. `timestampDelta` is `(message.timestamp || now) - first`.
 * - Keys, values and header values that are not null/undefined, strings or Buffers fail the way KafkaJS's
 *   size computation fails (`Buffer.byteLength` throws a TypeError, so a number key is refused); a header
 *   whose value is null or undefined fails the same way. Anything else goes through `String()`.
 * - Compression: `undefined` means None; any other value asks the `CompressionCodecs` registry, which
 *   throws KafkaJSNotImplemented for codecs not registered; a type with no entry at all fails with the
 *   TypeError KafkaJS's `null.compress` raises.
 * - The first partition with an error code fails the whole response with that error.
 */
import {
  encodeRecordBatch,
  type CompressionCodec,
  type ProduceRequestInput,
  type ProduceResponse,
  type RecordHeader,
  type RecordInput,
} from '../../protocol/index.ts';
import { COMPRESSION_CODEC_MASK, CompressionTypes, lookupCodec } from '../compression.ts';
import { createErrorFromCode } from '../errors.ts';
import type { Message } from '../partitioners.ts';
import type { RecordMetadata } from './types.ts';

export interface PartitionData {
  partition: number;
  messages: Message[];
  firstSequence?: number;
}

export interface ProduceTopicData {
  topic: string;
  partitions: PartitionData[];
}

export interface ProduceOptions {
  transactionalId: string | undefined;
  producerId: bigint;
  producerEpoch: number;
  acks: number;
  timeout: number | undefined;
  compression: number | undefined;
  topicData: ProduceTopicData[];
  now: () => number;
}

/** The Produce body for the negotiated version (v3+: one v2 record batch per partition). */
export function buildProduceRequest(options: ProduceOptions): ProduceRequestInput {
  const { acks, timeout = 30000, compression = CompressionTypes.None, transactionalId, producerId, producerEpoch } = options;
  return {
    transactionalId: transactionalId ?? null,
    acks,
    timeoutMs: timeout,
    topicData: options.topicData.map(({ topic, partitions }) => ({
      name: topic,
      partitionData: partitions.map((data) => ({
        index: data.partition,
        records: encodePartition(data, { compression, producerId, producerEpoch, isTransactional: !!transactionalId, now: options.now }),
      })),
    })),
  };
}

type Timestamp = string | number;

function encodePartition(
  { messages, firstSequence }: PartitionData,
  batch: { compression: number; producerId: bigint; producerEpoch: number; isTransactional: boolean; now: () => number },
): Buffer {
  const dateNow = batch.now();
  // KafkaJS sorts with the default comparator, so timestamps compare as strings.
  const messageTimestamps = messages
    .map((m) => m.timestamp as Timestamp | null | undefined)
    .filter((timestamp): timestamp is Timestamp => timestamp != null)
    .sort();
  const timestamps: Timestamp[] = messageTimestamps.length === 0 ? [dateNow] : messageTimestamps;
  const firstTimestamp = timestamps[0];
  const maxTimestamp = timestamps[timestamps.length - 1];

  const records: RecordInput[] = messages.map((message, i) =>
    encodeRecord(message, i, Number(message.timestamp || dateNow) - Number(firstTimestamp)),
  );
  const codec = batchCodec(batch.compression);
  return encodeRecordBatch({
    baseOffset: 0n,
    partitionLeaderEpoch: 0,
    compression: codec,
    isTransactional: batch.isTransactional,
    lastOffsetDelta: records.length - 1,
    baseTimestamp: toLong(firstTimestamp),
    maxTimestamp: toLong(maxTimestamp),
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: firstSequence ?? 0,
    records,
  });
}

/** The codec id to write, after the registry had its say (KafkaJS's `lookupCodec(compression).compress`). */
function batchCodec(compression: number): CompressionCodec {
  if (compression === CompressionTypes.None) return CompressionTypes.None;
  if (lookupCodec(compression) === null) throw new TypeError("Cannot read properties of null (reading 'compress')");
  return (compression & COMPRESSION_CODEC_MASK) as CompressionCodec;
}

function encodeRecord(message: Message, offsetDelta: number, timestampDelta: number): RecordInput {
  const { key, value, headers = {} } = message;
  const headersArray: Array<{ key: string; value: unknown }> = Object.keys(headers).flatMap((headerKey) => {
    const headerValue: unknown = headers[headerKey];
    return Array.isArray(headerValue) ? headerValue.map((v: unknown) => ({ key: headerKey, value: v })) : [{ key: headerKey, value: headerValue }];
  });
  // KafkaJS measures the record before writing it; these are the calls that throw on unsupported types.
  sizeOfBytes(key);
  sizeOfBytes(value);
  for (const header of headersArray) {
    Buffer.byteLength(header.key);
    Buffer.byteLength(header.value as string);
  }
  return {
    offsetDelta,
    timestampDelta: Number.isFinite(timestampDelta) ? Math.trunc(timestampDelta) : 0,
    key: toBytes(key),
    value: toBytes(value),
    headers: headersArray.map((header): RecordHeader => ({ key: header.key, value: toBytes(header.value) })),
  };
}

function sizeOfBytes(value: unknown): void {
  if (value != null) Buffer.byteLength(value as string);
}

function toBytes(value: unknown): Buffer | null {
  if (value == null) return null;
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(String(value), 'utf8');
}

/** KafkaJS writes int64 fields with `Long.fromValue`: decimal strings and numbers. */
function toLong(value: Timestamp): bigint {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  const n = Number(value);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

/** KafkaJS's Produce response parse + `responseSerializer`, per negotiated version. */
export function parseProduceResponse(version: number, response: ProduceResponse): RecordMetadata[] {
  for (const topic of response.responses) {
    const failed = topic.partitionResponses.find((p) => p.errorCode !== 0);
    if (failed !== undefined) throw createErrorFromCode(failed.errorCode);
  }
  return response.responses.flatMap(({ name, partitionResponses }) =>
    partitionResponses.map((p): RecordMetadata => {
      if (version <= 1) return { topicName: name, partition: p.index, errorCode: p.errorCode, offset: String(p.baseOffset) };
      if (version === 2) {
        return { topicName: name, partition: p.index, errorCode: p.errorCode, offset: String(p.baseOffset), timestamp: String(p.logAppendTimeMs) };
      }
      const entry: RecordMetadata = {
        topicName: name,
        partition: p.index,
        errorCode: p.errorCode,
        baseOffset: String(p.baseOffset),
        logAppendTime: String(p.logAppendTimeMs),
      };
      if (version >= 5) entry.logStartOffset = String(p.logStartOffset);
      return entry;
    }),
  );
}
