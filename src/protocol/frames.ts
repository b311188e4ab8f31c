/**
 * Requests and responses as they travel: `int32 size | header | body`. The header version depends on the
 * API and its version (Kafka's `ApiKeys.requestHeaderVersion` / `responseHeaderVersion`):
 * - request header v2 (flexible: tagged fields after the client id) for flexible API versions, v1
 *   otherwise, v0 (no client id) only for ControlledShutdown v0;
 * - response header v1 (tagged fields) for flexible API versions, v0 otherwise, except ApiVersions,
 *   whose response header is always v0 so a client can read the answer to a version it guessed.
 * The client id keeps the classic (non-compact) string encoding even in header v2.
 */
import { decodeMessage, encodeMessage, hasVersion, isFlexible, type MessageSchema } from './codec/message-codec.ts';
import { ProtocolDecodeError, Reader, Writer } from './codec/primitives.ts';
import {
  API_SCHEMAS,
  ApiKey,
  RequestHeaderSchema,
  ResponseHeaderSchema,
  type ApiKeyNumber,
  type RequestByKey,
  type RequestHeader,
  type RequestInputByKey,
  type ResponseByKey,
  type ResponseInputByKey,
} from './generated/index.ts';

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const api = API_SCHEMAS.get(apiKey);
  if (api !== undefined && hasVersion(api.request, apiVersion) && isFlexible(api.request, apiVersion)) return 2;
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = API_SCHEMAS.get(apiKey);
  return api !== undefined && hasVersion(api.response, apiVersion) && isFlexible(api.response, apiVersion) ? 1 : 0;
}

function schemaOf(apiKey: number, kind: 'request' | 'response'): MessageSchema {
  const api = API_SCHEMAS.get(apiKey);
  if (api === undefined) throw new ProtocolDecodeError(`unknown api key ${apiKey}`);
  return api[kind];
}

export interface RequestFrameHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** A size-prefixed request frame. */
export function encodeRequest<K extends ApiKeyNumber>(
  header: RequestFrameHeader & { apiKey: K },
  body: RequestInputByKey[K],
): Buffer {
  const writer = new Writer(initialCapacity(header.apiKey, body));
  writer.int32(0);
  encodeMessage(RequestHeaderSchema, requestHeaderVersion(header.apiKey, header.apiVersion), {
    requestApiKey: header.apiKey,
    requestApiVersion: header.apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
  }, writer);
  encodeMessage(schemaOf(header.apiKey, 'request'), header.apiVersion, body, writer);
  writer.buffer.writeInt32BE(writer.offset - 4, 0);
  return writer.result();
}

/**
 * Reads the header of a request frame (without its size prefix). Unknown api keys and versions still
 * yield the api key, version and correlation id, so the caller can answer or disconnect as Kafka does.
 */
export function decodeRequestHeader(frame: Buffer): { header: RequestFrameHeader; bodyOffset: number } {
  const reader = new Reader(frame);
  const header = readRequestHeader(reader);
  return { header, bodyOffset: reader.offset };
}

function readRequestHeader(reader: Reader): RequestFrameHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  let clientId: string | null = null;
  if (headerVersion >= 1) clientId = reader.nullableString();
  if (headerVersion >= 2) {
    const tags = reader.uvarint();
    for (let i = 0; i < tags; i++) {
      reader.uvarint();
      reader.raw(reader.uvarint());
    }
  }
  return { apiKey, apiVersion, correlationId, clientId };
}

export interface DecodedRequest<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly header: RequestFrameHeader & { apiKey: K };
  readonly body: RequestByKey[K];
}

export function decodeRequest(frame: Buffer): DecodedRequest {
  // One reader for header and body (what decodeRequestHeader then a body reader at its offset would do).
  const reader = new Reader(frame);
  const header = readRequestHeader(reader);
  const schema = schemaOf(header.apiKey, 'request');
  if (!hasVersion(schema, header.apiVersion)) {
    throw new ProtocolDecodeError(`${schema.name} has no version ${header.apiVersion}`);
  }
  const body = decodeMessage<RequestByKey[ApiKeyNumber]>(schema, header.apiVersion, reader);
  return { header: header as RequestFrameHeader & { apiKey: ApiKeyNumber }, body };
}

/** A size-prefixed response frame. */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputByKey[K],
): Buffer {
  const writer = new Writer(initialCapacity(apiKey, body));
  writer.int32(0);
  encodeMessage(ResponseHeaderSchema, responseHeaderVersion(apiKey, apiVersion), { correlationId }, writer);
  encodeMessage(schemaOf(apiKey, 'response'), apiVersion, body, writer);
  writer.buffer.writeInt32BE(writer.offset - 4, 0);
  return writer.result();
}

interface RecordsCarrier {
  records?: Uint8Array | null;
}

/**
 * Room for the frame up front when it carries record batches (Produce requests, Fetch responses): a writer
 * that starts small and doubles copies everything written so far at each step, so a Fetch answering four
 * partitions of 1 MB would copy 6 MB more than it writes. Other frames start at 256 bytes; a guess that
 * falls short only means one more doubling.
 */
function initialCapacity(apiKey: number, body: unknown): number {
  let topics: unknown;
  let key: 'partitions' | 'partitionData';
  if (apiKey === ApiKey.Fetch) {
    topics = (body as { responses?: unknown }).responses;
    key = 'partitions';
  } else if (apiKey === ApiKey.Produce) {
    topics = (body as { topicData?: unknown }).topicData;
    key = 'partitionData';
  } else {
    return 256;
  }
  // Plain loops: this runs for every Fetch and Produce frame, and flatMap's intermediate arrays cost about as
  // much as the generated code that encodes the partitions.
  let bytes = 256;
  if (topics === undefined || topics === null) return bytes;
  if (!Array.isArray(topics)) return initialCapacityOfIrregular(apiKey, body);
  for (const topic of topics) {
    if (typeof topic !== 'object' || topic === null) return initialCapacityOfIrregular(apiKey, body);
    const partitions = (topic as Record<string, unknown>)[key];
    if (partitions === undefined || partitions === null) continue;
    if (!Array.isArray(partitions)) return initialCapacityOfIrregular(apiKey, body);
    for (const partition of partitions as Array<RecordsCarrier | null>) {
      if (typeof partition !== 'object' || partition === null) return initialCapacityOfIrregular(apiKey, body);
      bytes += 128 + (partition.records?.length ?? 0);
    }
  }
  return bytes;
}

/** The first version of `initialCapacity`, kept so a malformed body fails (or not) exactly as it always did. */
function initialCapacityOfIrregular(apiKey: number, body: unknown): number {
  let partitions: RecordsCarrier[] | undefined;
  if (apiKey === ApiKey.Fetch) {
    partitions = ((body as { responses?: Array<{ partitions?: RecordsCarrier[] }> }).responses ?? []).flatMap((t) => t.partitions ?? []);
  } else {
    partitions = ((body as { topicData?: Array<{ partitionData?: RecordsCarrier[] }> }).topicData ?? []).flatMap((t) => t.partitionData ?? []);
  }
  let bytes = 256;
  for (const partition of partitions) bytes += 128 + (partition.records?.length ?? 0);
  return bytes;
}

/** Decodes a response frame (without its size prefix) for the request it answers. */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseByKey[K] } {
  const reader = new Reader(frame);
  const header = decodeMessage<{ correlationId: number }>(ResponseHeaderSchema, responseHeaderVersion(apiKey, apiVersion), reader);
  const body = decodeMessage<ResponseByKey[K]>(schemaOf(apiKey, 'response'), apiVersion, reader);
  return { correlationId: header.correlationId, body };
}

/** The correlation id of a response frame, read before knowing which request it answers. */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new ProtocolDecodeError('response frame shorter than its correlation id');
  return frame.readInt32BE(0);
}

export class FrameTooLargeError extends ProtocolDecodeError {
  override name = 'FrameTooLargeError';
}

/**
 * Splits a byte stream into frames. A declared size that is negative or above `maxFrameBytes`
 * (Kafka's `socket.request.max.bytes`, 100 MiB by default) is an error before any byte is buffered
 * for it, so a hostile size cannot make the process allocate.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(readonly maxFrameBytes = 104_857_600) {}

  /** Adds bytes; returns the frames now complete (without their size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new FrameTooLargeError(`frame size ${size} is outside [0, ${this.maxFrameBytes}]`);
      }
      if (this.buffered < 4 + size) break;
      const whole = this.take(4 + size);
      frames.push(whole.subarray(4));
    }
    return frames;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private peek(bytes: number): Buffer {
    if (this.chunks[0].length >= bytes) return this.chunks[0];
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(bytes: number): Buffer {
    const first = this.peek(bytes);
    const taken = first.subarray(0, bytes);
    const rest = first.subarray(bytes);
    this.chunks[0] = rest;
    if (rest.length === 0) this.chunks.shift();
    this.buffered -= bytes;
    return taken;
  }
}

export type { RequestHeader };
