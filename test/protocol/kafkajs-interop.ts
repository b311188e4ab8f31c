/**
 * Access to KafkaJS 2.2.4's own protocol code (CommonJS, untyped), for cross-checking our codec against an
 * independent implementation. Only KafkaJS's modules are used here: its request encoders and framing
 * (`protocol/request.js`), the way its connection splits a response frame, its response decoders, and its
 * record batch / message set encoders and decoders.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);


/** KafkaJS's `protocol/encoder.js` as far as these tests use it. */
export interface KafkaJSEncoder {
  readonly buffer: Buffer;
  size(): number;
  writeInt32(value: number): KafkaJSEncoder;
  writeInt64(value: bigint | string | number): KafkaJSEncoder;
  writeEncoder(value: KafkaJSEncoder): KafkaJSEncoder;
}

/** KafkaJS's `protocol/decoder.js` as far as these tests use it. */
export interface KafkaJSDecoder {
  readInt32(): number;
  readBytes(length?: number): Buffer;
  readAll(): Buffer;
  canReadBytes(length: number): boolean;
}

/** What `requests/<api>/v<N>/request.js` returns. */
export interface KafkaJSRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  encode(): Promise<KafkaJSEncoder>;
}

/** What `requests/<api>/v<N>/response.js` exports. Decoded shapes are KafkaJS's, hence `any`. */
export interface KafkaJSResponse {
  decode(payload: Buffer): Promise<any>;
  parse(decoded: any): Promise<any>;
}

/** A message as KafkaJS's producer hands it to its Produce encoders. */
export interface KafkaJSMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  timestamp: number;
  headers?: Record<string, string | Buffer>;
}

const Encoder: new () => KafkaJSEncoder = require('kafkajs/src/protocol/encoder');
const Decoder: new (buffer: Buffer) => KafkaJSDecoder = require('kafkajs/src/protocol/decoder');
const createKafkaJSRequestFrame: (args: {
  correlationId: number;
  clientId: string | null;
  request: KafkaJSRequest;
}) => Promise<KafkaJSEncoder> = require('kafkajs/src/protocol/request');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkaJSEncoder>;
};
const Record: (args: Record<string, unknown>) => KafkaJSEncoder = require('kafkajs/src/protocol/recordBatch/record/v0');
const RecordBatchDecoder: (decoder: KafkaJSDecoder) => Promise<any> = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const MessageProtocol: (args: { version: number }) => (entry: Record<string, unknown>) => KafkaJSEncoder =
  require('kafkajs/src/protocol/message');
const KafkaJSMessageSet: (args: { messageVersion: number; compression?: number; entries: KafkaJSMessage[] }) => KafkaJSEncoder =
  require('kafkajs/src/protocol/messageSet');
const MessageSetDecoder: (decoder: KafkaJSDecoder, size?: number | null) => Promise<any[]> =
  require('kafkajs/src/protocol/messageSet/decoder');

/** KafkaJS's api key table (`requests/apiKeys.js`). */
export const kafkajsApiKeys: Record<string, number> = require('kafkajs/src/protocol/requests/apiKeys');

/** KafkaJS's consumer-protocol (de)serialisers for JoinGroup metadata and SyncGroup assignments. */
export const AssignerProtocol: {
  MemberMetadata: { encode(args: { version: number; topics: string[]; userData?: Buffer }): Buffer };
  MemberAssignment: { encode(args: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer };
} = require('kafkajs/src/consumer/assignerProtocol');

/** The versions KafkaJS implements for an API (`requests/<api>/index.js`), ascending. */
export function kafkajsVersions(api: string): number[] {
  const definition = require(`kafkajs/src/protocol/requests/${api}`) as { versions: string[] };
  return definition.versions.map(Number).sort((a, b) => a - b);
}

/** Builds a request with KafkaJS's own `requests/<api>/v<N>/request.js`. */
export function kafkajsRequest(api: string, version: number, args: Record<string, unknown>): KafkaJSRequest {
  const build = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`) as (
    a: Record<string, unknown>,
  ) => KafkaJSRequest;
  return build(args);
}

export function kafkajsResponse(api: string, version: number): KafkaJSResponse {
  return require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as KafkaJSResponse;
}

/** A whole request frame (with its int32 size prefix) exactly as KafkaJS's connection writes it. */
export async function kafkajsFrame(request: KafkaJSRequest, correlationId: number, clientId: string | null): Promise<Buffer> {
  const encoder = await createKafkaJSRequestFrame({ correlationId, clientId, request });
  return Buffer.from(encoder.buffer);
}

/**
 * Splits a response frame the way KafkaJS's `network/connection.js` does: read the int32 size, take that
 * many bytes, read the int32 correlation id, and hand the rest (`readAll`) to the response's `decode`.
 */
export function splitLikeKafkaJSConnection(frame: Buffer): { size: number; correlationId: number; payload: Buffer } {
  const decoder = new Decoder(frame);
  const size = decoder.readInt32();
  if (!decoder.canReadBytes(size)) throw new Error(`frame declares ${size} bytes but has ${frame.length - 4}`);
  const response = new Decoder(decoder.readBytes(size));
  const correlationId = response.readInt32();
  const payload = response.readAll();
  return { size, correlationId, payload };
}

/**
 * A magic-2 record batch built by KafkaJS's encoders, the same way its Produce v3+ request does it
 * (`requests/produce/v3/request.js`): timestamp deltas from the smallest timestamp, offset deltas 0..n-1.
 */
export async function kafkajsRecordBatch(args: {
  firstOffset: bigint;
  messages: KafkaJSMessage[];
  producerId?: bigint;
  producerEpoch?: number;
  firstSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
}): Promise<Buffer> {
  const timestamps = args.messages.map((m) => m.timestamp).sort((a, b) => a - b);
  const firstTimestamp = timestamps[0];
  const maxTimestamp = timestamps[timestamps.length - 1];
  const records = args.messages.map((message, i) =>
    Record({ ...message, offsetDelta: i, timestampDelta: message.timestamp - firstTimestamp }),
  );
  const batch = await RecordBatch({
    compression: 0,
    records,
    firstOffset: args.firstOffset.toString(),
    firstTimestamp,
    maxTimestamp,
    producerId: (args.producerId ?? -1n).toString(),
    producerEpoch: args.producerEpoch ?? 0,
    firstSequence: args.firstSequence ?? 0,
    transactional: args.transactional ?? false,
    partitionLeaderEpoch: args.partitionLeaderEpoch ?? 0,
    lastOffsetDelta: records.length - 1,
  });
  return Buffer.from(batch.buffer);
}

/** KafkaJS's own MessageSet encoder (used by its Produce v0-v2 requests). */
export function kafkajsMessageSet(args: { messageVersion: number; compression?: number; entries: KafkaJSMessage[] }): Buffer {
  return Buffer.from(KafkaJSMessageSet(args).buffer);
}

/**
 * A legacy message set (magic 0 or 1) with explicit offsets, each message built by KafkaJS's Message
 * encoder — what a broker answers to Fetch v0-v3.
 */
export function legacyMessageSet(magic: 0 | 1, baseOffset: bigint, messages: KafkaJSMessage[]): Buffer {
  const Message = MessageProtocol({ version: magic });
  const encoder = new Encoder();
  messages.forEach((entry, i) => {
    const message = Message({ ...entry });
    encoder.writeInt64((baseOffset + BigInt(i)).toString());
    encoder.writeInt32(message.size());
    encoder.writeEncoder(message);
  });
  return Buffer.from(encoder.buffer);
}

/** Decodes one record batch with KafkaJS's decoder. */
export async function decodeRecordBatchWithKafkaJS(bytes: Buffer): Promise<any> {
  return RecordBatchDecoder(new Decoder(bytes));
}

/** Decodes a legacy message set with KafkaJS's decoder. */
export async function decodeMessageSetWithKafkaJS(bytes: Buffer): Promise<any[]> {
  return MessageSetDecoder(new Decoder(bytes), bytes.length);
}

/** A Buffer of a KafkaJS key/value/header value (KafkaJS writes strings as UTF-8). */
export const bytesOf = (value: string | Buffer | null): Buffer | null =>
  value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
