/**
 * Independent-implementation cross-check against KafkaJS 2.2.4, in both directions, for every version KafkaJS
 * implements of Produce, Fetch, ListOffsets, Metadata, OffsetCommit, JoinGroup and SyncGroup (plus the
 * ApiVersions handshake and the only two flexible APIs KafkaJS speaks, AlterPartitionReassignments and
 * ListPartitionReassignments v0, which exercise request header v2 and response header v1):
 *
 * 1. KafkaJS request -> ours: KafkaJS's own `requests/<api>/v<N>/request.js` builds the request and its
 *    `protocol/request.js` frames it; our `decodeRequest` must give back the header and every body field
 *    KafkaJS sent (fields the version lacks take Kafka's defaults), and our `encodeRequest` of what we decoded
 *    must reproduce KafkaJS's frame byte for byte.
 * 2. Ours -> KafkaJS response: our `encodeResponse` frames a response, it is split exactly as KafkaJS's
 *    connection does (size, correlation id, payload) and KafkaJS's `response.js` decodes it; every field must
 *    be what we encoded, int64s compared as the decimal strings KafkaJS produces. `parse` must accept the
 *    success case, and a variant with a non-zero error code must surface that code through `decode` and make
 *    `parse` reject with KafkaJS's matching error.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  decodeRequest,
  encodeRequest,
  encodeResponse,
  ZERO_UUID,
  type ApiKeyNumber,
  type RequestInputByKey,
} from '../../src/protocol/index.ts';
import type { AlterPartitionReassignmentsRequest } from '../../src/protocol/generated/alter-partition-reassignments.ts';
import type { ApiVersionsRequest } from '../../src/protocol/generated/api-versions.ts';
import type { FetchRequest, FetchResponseInput } from '../../src/protocol/generated/fetch.ts';
import type { JoinGroupRequest, JoinGroupResponseInput } from '../../src/protocol/generated/join-group.ts';
import type { ListOffsetsRequest, ListOffsetsResponseInput } from '../../src/protocol/generated/list-offsets.ts';
import type { ListPartitionReassignmentsRequest } from '../../src/protocol/generated/list-partition-reassignments.ts';
import type { MetadataRequest, MetadataResponseInput } from '../../src/protocol/generated/metadata.ts';
import type { OffsetCommitRequest, OffsetCommitResponseInput } from '../../src/protocol/generated/offset-commit.ts';
import type { ProduceRequest, ProduceResponseInput } from '../../src/protocol/generated/produce.ts';
import type { SyncGroupRequest, SyncGroupResponseInput } from '../../src/protocol/generated/sync-group.ts';
import {
  AssignerProtocol,
  bytesOf,
  decodeMessageSetWithKafkaJS,
  decodeRecordBatchWithKafkaJS,
  kafkajsApiKeys,
  kafkajsFrame,
  kafkajsMessageSet,
  kafkajsRecordBatch,
  kafkajsRequest,
  kafkajsResponse,
  kafkajsVersions,
  legacyMessageSet,
  splitLikeKafkaJSConnection,
  type KafkaJSMessage,
  type KafkaJSResponse,
} from './kafkajs-interop.ts';

// ---------------------------------------------------------------------------------------------------------
// Shared fixtures

const CLIENT_ID = 'kafkasim-interop-клиент-✓';
/** 2^53 + 1: not representable as a JS number, so any detour through `number` shows. */
const BIG = 9_007_199_254_740_993n;
/** 2^62. */
const HUGE = 4_611_686_018_427_387_904n;
const T0 = 1_700_000_000_123;
const TOPIC_A = 'orders';
const TOPIC_B = 'événements-📦';
const TOPIC_C = '主题';
const MEMBER_1 = `${CLIENT_ID}-1f0e8c4a-0d4e-4c0a-9a57-4d5b1e6c2f11`;
const MEMBER_2 = `${CLIENT_ID}-77a1e2b3-9c8d-4e5f-a6b7-c8d9e0f1a2b3`;
const GROUP_ID = 'gruppe-ß-組';
const INSTANCE_ID = 'instance-α';

/** Distinct, large correlation ids per api, version and direction. */
const correlationIdFor = (apiKey: number, version: number, direction: 0 | 1): number =>
  0x7fffffff - (apiKey * 100 + version * 2 + direction);

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

const MEMBER_METADATA = AssignerProtocol.MemberMetadata.encode({
  version: 1,
  topics: [TOPIC_A, TOPIC_C],
  userData: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
});
const MEMBER_ASSIGNMENT = AssignerProtocol.MemberAssignment.encode({
  version: 1,
  assignment: { [TOPIC_A]: [0, 7], [TOPIC_C]: [1] },
  userData: utf8('données'),
});

/** `parse` must reject a decoded error response with KafkaJS's error for that code. */
async function expectParseRejects(response: KafkaJSResponse, decoded: unknown, error: Record<string, unknown>): Promise<void> {
  await expect(response.parse(decoded)).rejects.toMatchObject(error);
}

// ---------------------------------------------------------------------------------------------------------
// The two directions

/**
 * KafkaJS builds and frames the request; we decode it. Asserts the header, the whole body, and that our
 * encoder reproduces KafkaJS's bytes from what we decoded.
 */
async function kafkajsRequestThroughOurDecoder<T>(
  api: string,
  version: number,
  args: Record<string, unknown>,
  expected: T,
  correlationId: number,
  clientId: string | null = CLIENT_ID,
): Promise<T> {
  const request = kafkajsRequest(api, version, args);
  expect(request.apiVersion).toBe(version);
  const frame = await kafkajsFrame(request, correlationId, clientId);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);

  const decoded = decodeRequest(frame.subarray(4));
  expect(decoded.header).toEqual({ apiKey: request.apiKey, apiVersion: version, correlationId, clientId });
  expect(decoded.body).toEqual(expected);

  const reencoded = encodeRequest(decoded.header, decoded.body as RequestInputByKey[ApiKeyNumber]);
  expect(reencoded.toString('hex')).toBe(frame.toString('hex'));
  return decoded.body as T;
}

/**
 * Our response frame, split as KafkaJS's connection splits it and decoded by KafkaJS's `response.js`.
 *
 * KafkaJS never checks that it consumed the whole payload, so a field we wrote that KafkaJS does not expect at
 * the end would go unnoticed; unless `trailingTagsUnread` (KafkaJS's flexible decoders skip the top-level
 * tagged fields), the payload minus its last byte must therefore not decode to the same thing.
 */
async function ourResponseThroughKafkaJS(
  api: string,
  version: number,
  correlationId: number,
  frame: Buffer,
  trailingTagsUnread = false,
): Promise<{ response: KafkaJSResponse; decoded: any }> {
  const { size, correlationId: readCorrelationId, payload } = splitLikeKafkaJSConnection(frame);
  expect(size).toBe(frame.length - 4);
  expect(readCorrelationId).toBe(correlationId);
  const response = kafkajsResponse(api, version);
  const decoded = await response.decode(payload);
  if (!trailingTagsUnread) {
    const truncated = await response.decode(payload.subarray(0, payload.length - 1)).catch((e: unknown) => e);
    expect(isDeepStrictEqual(truncated, decoded), 'KafkaJS ignores the last byte we wrote').toBe(false);
  }
  return { response, decoded };
}

/**
 * KafkaJS's throttle fields: `throttleTime` is the raw field up to the version where the broker stopped
 * throttling before answering (KIP-219); from then on KafkaJS reports `throttleTime: 0` and moves the value
 * to `clientSideThrottleTime`, which its connection enforces itself.
 */
function throttleFields(version: number, sinceVersion: number | null, kip219Version: number, throttleTimeMs: number): object {
  if (sinceVersion === null || version < sinceVersion) return {};
  if (version < kip219Version) return { throttleTime: throttleTimeMs };
  return { throttleTime: 0, clientSideThrottleTime: throttleTimeMs };
}

// ---------------------------------------------------------------------------------------------------------
// Produce

interface ProducePartitionFixture {
  partition: number;
  firstSequence?: number;
  messages: KafkaJSMessage[];
}

const PRODUCE_TOPIC_DATA: Array<{ topic: string; partitions: ProducePartitionFixture[] }> = [
  {
    topic: TOPIC_A,
    partitions: [
      {
        partition: 0,
        firstSequence: 17,
        messages: [
          { key: 'order-1', value: '{"total":12.5}', timestamp: T0, headers: { 'trace-id': 'a1b2', 'ünïcode-header': Buffer.from([0, 255, 1]) } },
          { key: null, value: 'keyless ✓', timestamp: T0 + 5 },
          { key: 'order-1', value: null, timestamp: T0 + 9 },
        ],
      },
      {
        partition: 7,
        firstSequence: 0,
        messages: [{ key: Buffer.from([0xde, 0xad, 0xbe, 0xef]), value: Buffer.alloc(300, 0x5a), timestamp: T0 + 1000 }],
      },
    ],
  },
  {
    topic: TOPIC_B,
    partitions: [{ partition: 2, firstSequence: 2_000_000_000, messages: [{ key: 'clé', value: 'valeur 値', timestamp: T0 + 2 }] }],
  },
];

const PRODUCER_ID = HUGE + 5n;
const PRODUCER_EPOCH = 3;

/** The records blob KafkaJS puts in a Produce request of this version, built with KafkaJS's own encoders. */
async function kafkajsProduceRecords(version: number, partition: ProducePartitionFixture, transactional: boolean): Promise<Buffer> {
  if (version <= 1) return kafkajsMessageSet({ messageVersion: 0, entries: partition.messages });
  if (version === 2) return kafkajsMessageSet({ messageVersion: 1, compression: 0, entries: partition.messages });
  return kafkajsRecordBatch({
    firstOffset: 0n,
    messages: partition.messages,
    producerId: PRODUCER_ID,
    producerEpoch: PRODUCER_EPOCH,
    firstSequence: partition.firstSequence,
    transactional,
  });
}

async function produceRequest(version: number, correlationId: number): Promise<void> {
  const transactionalId = version >= 3 && version % 2 === 1 ? 'txn-訂單-1' : null;
  const acks = version % 2 === 0 ? -1 : 1;
  // Builders of older versions ignore the arguments they have no field for.
  const args = {
    acks,
    timeout: 29_999,
    compression: 0,
    transactionalId,
    producerId: PRODUCER_ID.toString(),
    producerEpoch: PRODUCER_EPOCH,
    topicData: PRODUCE_TOPIC_DATA,
  };

  const expected: ProduceRequest = {
    transactionalId: version >= 3 ? transactionalId : null,
    acks,
    timeoutMs: 29_999,
    topicData: [],
  };
  for (const topic of PRODUCE_TOPIC_DATA) {
    const partitionData = [];
    for (const partition of topic.partitions) {
      partitionData.push({ index: partition.partition, records: await kafkajsProduceRecords(version, partition, transactionalId !== null) });
    }
    expected.topicData.push({ name: topic.topic, partitionData });
  }

  const body = await kafkajsRequestThroughOurDecoder<ProduceRequest>('produce', version, args, expected, correlationId);

  // Beyond byte equality: the blob we hand the log is the right partition's data in the right format.
  for (const [t, topic] of PRODUCE_TOPIC_DATA.entries()) {
    for (const [p, partition] of topic.partitions.entries()) {
      const records = body.topicData[t].partitionData[p].records!;
      if (version >= 3) {
        expect(records.readBigInt64BE(0)).toBe(0n); // baseOffset
        expect(records.readInt32BE(8)).toBe(records.length - 12); // batchLength
        expect(records.readInt8(16)).toBe(2); // magic
        const batch = await decodeRecordBatchWithKafkaJS(records);
        expect({
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          firstSequence: batch.firstSequence,
          inTransaction: batch.inTransaction,
        }).toEqual({
          producerId: PRODUCER_ID.toString(),
          producerEpoch: PRODUCER_EPOCH,
          firstSequence: partition.firstSequence ?? 0,
          inTransaction: transactionalId !== null,
        });
        expect(
          batch.records.map((r: any) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
        ).toEqual(
          partition.messages.map((m, i) => ({
            offset: String(i),
            timestamp: String(m.timestamp),
            key: bytesOf(m.key),
            value: bytesOf(m.value),
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, bytesOf(v)])),
          })),
        );
      } else {
        const magic = version === 2 ? 1 : 0;
        const messages = await decodeMessageSetWithKafkaJS(records);
        expect(messages.map((m: any) => ({ magicByte: m.magicByte, key: m.key, value: m.value, timestamp: m.timestamp }))).toEqual(
          partition.messages.map((m) => ({
            magicByte: magic,
            key: bytesOf(m.key),
            value: bytesOf(m.value),
            timestamp: magic === 1 ? String(m.timestamp) : undefined,
          })),
        );
      }
    }
  }
}

function produceResponseBody(errorCode: number): ProduceResponseInput {
  return {
    responses: [
      {
        name: TOPIC_A,
        partitionResponses: [
          { index: 0, errorCode: 0, baseOffset: BIG, logAppendTimeMs: BigInt(T0), logStartOffset: HUGE },
          { index: 7, errorCode, baseOffset: errorCode === 0 ? 0n : -1n, logAppendTimeMs: -1n, logStartOffset: errorCode === 0 ? 0n : -1n },
        ],
      },
      { name: TOPIC_B, partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 40n }] },
    ],
    throttleTimeMs: 250,
  };
}

/** KafkaJS's view of a Produce response of this version. */
function produceAsKafkaJS(version: number, body: ProduceResponseInput): object {
  return {
    topics: body.responses.map((topic) => ({
      topicName: topic.name,
      partitions: topic.partitionResponses.map((p) => {
        if (version <= 1) return { partition: p.index, errorCode: p.errorCode, offset: String(p.baseOffset) };
        if (version === 2) return { partition: p.index, errorCode: p.errorCode, offset: String(p.baseOffset), timestamp: String(p.logAppendTimeMs) };
        const v3 = { partition: p.index, errorCode: p.errorCode, baseOffset: String(p.baseOffset), logAppendTime: String(p.logAppendTimeMs) };
        return version <= 4 ? v3 : { ...v3, logStartOffset: String(p.logStartOffset) };
      }),
    })),
    ...throttleFields(version, 1, 6, body.throttleTimeMs!),
  };
}

async function produceResponse(version: number, correlationId: number): Promise<void> {
  const ok = produceResponseBody(0);
  const { response, decoded } = await ourResponseThroughKafkaJS('produce', version, correlationId, encodeResponse(ApiKey.Produce, version, correlationId, ok));
  expect(decoded).toEqual(produceAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toEqual(decoded);

  const failed = produceResponseBody(6); // NOT_LEADER_OR_FOLLOWER
  const error = await ourResponseThroughKafkaJS('produce', version, correlationId, encodeResponse(ApiKey.Produce, version, correlationId, failed));
  expect(error.decoded).toEqual(produceAsKafkaJS(version, failed));
  expect(error.decoded.topics[0].partitions[1].errorCode).toBe(6);
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 6, type: 'NOT_LEADER_FOR_PARTITION' });
}

// ---------------------------------------------------------------------------------------------------------
// Fetch

interface FetchPartitionArgs {
  partition: number;
  currentLeaderEpoch?: number;
  fetchOffset: string;
  logStartOffset?: string;
  maxBytes: number;
}

const FETCH_TOPICS: Array<{ topic: string; partitions: FetchPartitionArgs[] }> = [
  {
    topic: TOPIC_A,
    partitions: [
      { partition: 0, currentLeaderEpoch: 12, fetchOffset: BIG.toString(), logStartOffset: HUGE.toString(), maxBytes: 1_048_576 },
      // KafkaJS's defaults: currentLeaderEpoch -1, logStartOffset -1
      { partition: 7, fetchOffset: '0', maxBytes: 65_536 },
    ],
  },
  { topic: TOPIC_C, partitions: [{ partition: 1, currentLeaderEpoch: 0, fetchOffset: '42', logStartOffset: '40', maxBytes: 1 }] },
];

async function fetchRequest(version: number, correlationId: number): Promise<void> {
  const args = {
    replicaId: -1,
    maxWaitTime: 5000,
    minBytes: 1,
    maxBytes: 52_428_800,
    isolationLevel: 1,
    sessionId: 123_456,
    sessionEpoch: 4,
    forgottenTopics: [{ topic: 'old-topic-ü', partitions: [3, 1] }],
    rackId: 'eu-west-1b',
    topics: FETCH_TOPICS,
  };
  const expected: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 5000,
    minBytes: 1,
    maxBytes: version >= 3 ? 52_428_800 : 0x7fffffff,
    isolationLevel: version >= 4 ? 1 : 0,
    sessionId: version >= 7 ? 123_456 : 0,
    sessionEpoch: version >= 7 ? 4 : -1,
    topics: FETCH_TOPICS.map((t) => ({
      topic: t.topic,
      topicId: ZERO_UUID,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: version >= 9 ? (p.currentLeaderEpoch ?? -1) : -1,
        fetchOffset: BigInt(p.fetchOffset),
        lastFetchedEpoch: -1,
        logStartOffset: version >= 5 ? BigInt(p.logStartOffset ?? -1) : -1n,
        partitionMaxBytes: p.maxBytes,
        replicaDirectoryId: ZERO_UUID,
      })),
    })),
    forgottenTopicsData: version >= 7 ? [{ topic: 'old-topic-ü', topicId: ZERO_UUID, partitions: [3, 1] }] : [],
    rackId: version >= 11 ? 'eu-west-1b' : '',
  };
  await kafkajsRequestThroughOurDecoder<FetchRequest>('fetch', version, args, expected, correlationId);
}

const FETCH_MESSAGES_A: KafkaJSMessage[] = [
  { key: 'order-1', value: '{"total":12.5}', timestamp: T0, headers: { 'trace-id': 'a1b2', 'ünïcode-header': Buffer.from([0, 255, 1]) } },
  { key: null, value: 'keyless ✓', timestamp: T0 + 5 },
  { key: 'order-1', value: null, timestamp: T0 + 9 },
  { key: Buffer.from([0xde, 0xad]), value: Buffer.alloc(300, 0x5a), timestamp: T0 + 1000, headers: { 'trace-id': 'c3' } },
];
const FETCH_MESSAGES_C: KafkaJSMessage[] = [{ key: 'clé', value: 'valeur 値', timestamp: T0 + 2 }];

/** What a broker puts in `records` for this Fetch version: legacy message sets below v4, record batches from v4. */
async function fetchRecords(version: number, baseOffset: bigint, messages: KafkaJSMessage[]): Promise<Buffer> {
  if (version <= 1) return legacyMessageSet(0, baseOffset, messages);
  if (version <= 3) return legacyMessageSet(1, baseOffset, messages);
  // Two batches back to back, as a log segment read returns them.
  const split = Math.ceil(messages.length / 2);
  const batches = [await kafkajsRecordBatch({ firstOffset: baseOffset, messages: messages.slice(0, split), partitionLeaderEpoch: 12 })];
  if (split < messages.length) {
    batches.push(await kafkajsRecordBatch({ firstOffset: baseOffset + BigInt(split), messages: messages.slice(split), partitionLeaderEpoch: 12 }));
  }
  return Buffer.concat(batches);
}

/** The messages KafkaJS should decode from `fetchRecords(version, baseOffset, messages)`. */
function expectedFetchedMessages(version: number, baseOffset: bigint, messages: KafkaJSMessage[]): object[] {
  return messages.map((m, i) => {
    const offset = String(baseOffset + BigInt(i));
    if (version <= 1) return { offset, magicByte: 0, key: bytesOf(m.key), value: bytesOf(m.value) };
    if (version <= 3) return { offset, magicByte: 1, timestamp: String(m.timestamp), key: bytesOf(m.key), value: bytesOf(m.value) };
    return {
      offset,
      timestamp: String(m.timestamp),
      key: bytesOf(m.key),
      value: bytesOf(m.value),
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, bytesOf(v)])),
    };
  });
}

/** KafkaJS's decoded messages reduced to the fields this test compares (explicitly per format). */
function fetchedMessages(version: number, messages: any[]): object[] {
  return messages.map((m) => {
    if (version <= 1) return { offset: m.offset, magicByte: m.magicByte, key: m.key, value: m.value };
    if (version <= 3) return { offset: m.offset, magicByte: m.magicByte, timestamp: m.timestamp, key: m.key, value: m.value };
    return { offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers };
  });
}

async function fetchResponseBody(version: number, partitionErrorCode: number, topErrorCode: number): Promise<FetchResponseInput> {
  return {
    throttleTimeMs: 1500,
    errorCode: topErrorCode,
    sessionId: version >= 7 ? 918_273_645 : 0,
    responses: [
      {
        topic: TOPIC_A,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: partitionErrorCode,
            highWatermark: BIG + 10n,
            lastStableOffset: BIG + 3n,
            logStartOffset: HUGE,
            abortedTransactions: [
              { producerId: HUGE + 1n, firstOffset: BIG + 1n },
              { producerId: 7n, firstOffset: BIG + 2n },
            ],
            preferredReadReplica: version >= 11 ? 2 : -1,
            records: partitionErrorCode === 0 ? await fetchRecords(version, BIG, FETCH_MESSAGES_A) : Buffer.alloc(0),
          },
          {
            // Nothing new. KafkaJS's v0-v3 message-set reader cannot take null records (for size -1 it moves its
            // read position back a byte and misreads every following partition), so an empty blob there, as
            // Kafka sends; null from v4 on, where KafkaJS treats size <= 0 as no records.
            partitionIndex: 7,
            errorCode: 0,
            highWatermark: 0n,
            lastStableOffset: 0n,
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: version <= 3 ? Buffer.alloc(0) : null,
          },
        ],
      },
      {
        topic: TOPIC_C,
        partitions: [
          {
            partitionIndex: 1,
            errorCode: 0,
            highWatermark: 43n,
            lastStableOffset: 43n,
            logStartOffset: 40n,
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: await fetchRecords(version, 42n, FETCH_MESSAGES_C),
          },
        ],
      },
    ],
  };
}

/** KafkaJS's view of a Fetch response of this version (messages as reduced by `fetchedMessages`). */
function fetchAsKafkaJS(version: number, body: FetchResponseInput, messages: Map<string, object[]>): object {
  const responses = body.responses.map((topic) => ({
    topicName: topic.topic,
    partitions: topic.partitions.map((p) => ({
      partition: p.partitionIndex,
      errorCode: p.errorCode,
      highWatermark: String(p.highWatermark),
      ...(version >= 4 ? { lastStableOffset: String(p.lastStableOffset) } : {}),
      // KafkaJS names the log start offset `lastStartOffset`.
      ...(version >= 5 ? { lastStartOffset: String(p.logStartOffset) } : {}),
      // KafkaJS reads a null array as [].
      ...(version >= 4
        ? { abortedTransactions: (p.abortedTransactions ?? []).map((a) => ({ producerId: String(a.producerId), firstOffset: String(a.firstOffset) })) }
        : {}),
      ...(version >= 11 ? { preferredReadReplica: p.preferredReadReplica } : {}),
      messages: messages.get(`${topic.topic}/${p.partitionIndex}`) ?? [],
    })),
  }));
  return {
    ...throttleFields(version, 1, 8, body.throttleTimeMs!),
    ...(version >= 7 ? { errorCode: body.errorCode, sessionId: body.sessionId } : {}),
    responses,
  };
}

/** The decoded response with each partition's `messages` reduced by `fetchedMessages`. */
function withFetchedMessages(version: number, decoded: any): object {
  return {
    ...decoded,
    responses: decoded.responses.map((topic: any) => ({
      ...topic,
      partitions: topic.partitions.map((p: any) => ({ ...p, messages: fetchedMessages(version, p.messages) })),
    })),
  };
}

async function fetchResponse(version: number, correlationId: number): Promise<void> {
  const ok = await fetchResponseBody(version, 0, 0);
  const { response, decoded } = await ourResponseThroughKafkaJS('fetch', version, correlationId, encodeResponse(ApiKey.Fetch, version, correlationId, ok));
  const messages = new Map([
    [`${TOPIC_A}/0`, expectedFetchedMessages(version, BIG, FETCH_MESSAGES_A)],
    [`${TOPIC_C}/1`, expectedFetchedMessages(version, 42n, FETCH_MESSAGES_C)],
  ]);
  expect(withFetchedMessages(version, decoded)).toEqual(fetchAsKafkaJS(version, ok, messages));
  expect(decoded.responses[0].partitions[0].messages).toHaveLength(FETCH_MESSAGES_A.length);
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  // OFFSET_OUT_OF_RANGE on orders/0; from v7 also a top-level FETCH_SESSION_ID_NOT_FOUND, which KafkaJS decodes
  // but its parse ignores (it only looks at partition errors).
  const failed = await fetchResponseBody(version, 1, version >= 7 ? 70 : 0);
  const error = await ourResponseThroughKafkaJS('fetch', version, correlationId, encodeResponse(ApiKey.Fetch, version, correlationId, failed));
  expect(withFetchedMessages(version, error.decoded)).toEqual(fetchAsKafkaJS(version, failed, new Map([[`${TOPIC_C}/1`, expectedFetchedMessages(version, 42n, FETCH_MESSAGES_C)]])));
  expect(error.decoded.responses[0].partitions[0].errorCode).toBe(1);
  if (version >= 7) expect(error.decoded.errorCode).toBe(70);
  await expectParseRejects(error.response, error.decoded, {
    name: 'KafkaJSOffsetOutOfRange',
    code: 1,
    type: 'OFFSET_OUT_OF_RANGE',
    topic: TOPIC_A,
    partition: 0,
  });
}

// ---------------------------------------------------------------------------------------------------------
// ListOffsets

interface ListOffsetsPartitionArgs {
  partition: number;
  timestamp?: number | string;
  maxNumOffsets?: number;
}

const LIST_OFFSETS_TOPICS: Array<{ topic: string; partitions: ListOffsetsPartitionArgs[] }> = [
  {
    topic: TOPIC_A,
    partitions: [
      { partition: 0, timestamp: -2, maxNumOffsets: 5 }, // EARLIEST
      { partition: 7, timestamp: String(T0) },
    ],
  },
  { topic: TOPIC_C, partitions: [{ partition: 1 }] }, // KafkaJS's default: -1 (LATEST), 1 offset
];

async function listOffsetsRequest(version: number, correlationId: number): Promise<void> {
  const args = { replicaId: -1, isolationLevel: 1, topics: LIST_OFFSETS_TOPICS };
  const expected: ListOffsetsRequest = {
    replicaId: -1,
    isolationLevel: version >= 2 ? 1 : 0,
    topics: LIST_OFFSETS_TOPICS.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        currentLeaderEpoch: -1,
        timestamp: BigInt(p.timestamp ?? -1),
        maxNumOffsets: version === 0 ? (p.maxNumOffsets ?? 1) : 1,
      })),
    })),
    timeoutMs: 0,
  };
  await kafkajsRequestThroughOurDecoder<ListOffsetsRequest>('listOffsets', version, args, expected, correlationId);
}

function listOffsetsResponseBody(version: number, errorCode: number): ListOffsetsResponseInput {
  const partition = (partitionIndex: number, code: number, timestamp: bigint, offset: bigint) =>
    version === 0
      ? { partitionIndex, errorCode: code, oldStyleOffsets: code === 0 ? [offset, 0n] : [] }
      : { partitionIndex, errorCode: code, timestamp: code === 0 ? timestamp : -1n, offset: code === 0 ? offset : -1n };
  return {
    throttleTimeMs: 31,
    topics: [
      { name: TOPIC_A, partitions: [partition(0, 0, -1n, BIG), partition(7, errorCode, BigInt(T0), HUGE)] },
      { name: TOPIC_C, partitions: [partition(1, 0, BigInt(T0 + 2), 42n)] },
    ],
  };
}

function listOffsetsAsKafkaJS(version: number, body: ListOffsetsResponseInput): object {
  return {
    ...throttleFields(version, 2, 3, body.throttleTimeMs!),
    responses: body.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) =>
        version === 0
          ? { partition: p.partitionIndex, errorCode: p.errorCode, offsets: p.oldStyleOffsets!.map(String) }
          : { partition: p.partitionIndex, errorCode: p.errorCode, timestamp: String(p.timestamp), offset: String(p.offset) },
      ),
    })),
  };
}

async function listOffsetsResponse(version: number, correlationId: number): Promise<void> {
  const ok = listOffsetsResponseBody(version, 0);
  const { response, decoded } = await ourResponseThroughKafkaJS('listOffsets', version, correlationId, encodeResponse(ApiKey.ListOffsets, version, correlationId, ok));
  expect(decoded).toEqual(listOffsetsAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed = listOffsetsResponseBody(version, 6);
  const error = await ourResponseThroughKafkaJS('listOffsets', version, correlationId, encodeResponse(ApiKey.ListOffsets, version, correlationId, failed));
  expect(error.decoded).toEqual(listOffsetsAsKafkaJS(version, failed));
  expect(error.decoded.responses[0].partitions[1].errorCode).toBe(6);
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 6, type: 'NOT_LEADER_FOR_PARTITION' });
}

// ---------------------------------------------------------------------------------------------------------
// Metadata

const METADATA_TOPICS = [TOPIC_A, TOPIC_B, TOPIC_C];

async function metadataRequest(version: number, correlationId: number): Promise<void> {
  const args = version >= 4 ? { topics: METADATA_TOPICS, allowAutoTopicCreation: false } : { topics: METADATA_TOPICS };
  const expected = (topics: string[] | null): MetadataRequest => ({
    topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: version >= 4 ? false : true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  await kafkajsRequestThroughOurDecoder<MetadataRequest>('metadata', version, args, expected(METADATA_TOPICS), correlationId);

  // "All topics": KafkaJS sends [] in v0 and, through writeNullableArray, null (-1) from v1.
  const all = version >= 4 ? { topics: [], allowAutoTopicCreation: false } : { topics: [] };
  await kafkajsRequestThroughOurDecoder<MetadataRequest>('metadata', version, all, expected(version >= 1 ? null : []), correlationId - 1);
}

function metadataResponseBody(errorCode: number): MetadataResponseInput {
  return {
    throttleTimeMs: 75,
    brokers: [
      { nodeId: 0, host: 'broker-0.kafkasim.local', port: 9092, rack: 'eu-west-1a' },
      { nodeId: 1001, host: 'ブローカー.example', port: 19_093, rack: null },
    ],
    clusterId: 'kafkasim-cluster-Ω',
    controllerId: 1001,
    topics: [
      {
        errorCode: 0,
        name: TOPIC_A,
        isInternal: false,
        partitions: [
          { errorCode: 0, partitionIndex: 0, leaderId: 1001, leaderEpoch: 12, replicaNodes: [1001, 0], isrNodes: [1001, 0], offlineReplicas: [] },
          {
            errorCode,
            partitionIndex: 1,
            leaderId: errorCode === 0 ? 0 : -1,
            leaderEpoch: 3,
            replicaNodes: [0, 1001, 2],
            isrNodes: errorCode === 0 ? [0] : [],
            offlineReplicas: [2],
          },
        ],
      },
      {
        errorCode: 0,
        name: '__consumer_offsets',
        isInternal: true,
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }],
      },
    ],
  };
}

function metadataAsKafkaJS(version: number, body: MetadataResponseInput): object {
  return {
    ...throttleFields(version, 3, 6, body.throttleTimeMs!),
    brokers: body.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, ...(version >= 1 ? { rack: b.rack } : {}) })),
    ...(version >= 2 ? { clusterId: body.clusterId } : {}),
    ...(version >= 1 ? { controllerId: body.controllerId } : {}),
    topicMetadata: body.topics.map((t) => ({
      topicErrorCode: t.errorCode,
      topic: t.name,
      ...(version >= 1 ? { isInternal: t.isInternal } : {}),
      partitionMetadata: t.partitions.map((p) => ({
        partitionErrorCode: p.errorCode,
        partitionId: p.partitionIndex,
        leader: p.leaderId,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        ...(version >= 5 ? { offlineReplicas: p.offlineReplicas } : {}),
      })),
    })),
  };
}

async function metadataResponse(version: number, correlationId: number): Promise<void> {
  const ok = metadataResponseBody(0);
  const { response, decoded } = await ourResponseThroughKafkaJS('metadata', version, correlationId, encodeResponse(ApiKey.Metadata, version, correlationId, ok));
  expect(decoded).toEqual(metadataAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed = metadataResponseBody(5); // LEADER_NOT_AVAILABLE
  const error = await ourResponseThroughKafkaJS('metadata', version, correlationId, encodeResponse(ApiKey.Metadata, version, correlationId, failed));
  expect(error.decoded).toEqual(metadataAsKafkaJS(version, failed));
  expect(error.decoded.topicMetadata[0].partitionMetadata[1].partitionErrorCode).toBe(5);
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 5, type: 'LEADER_NOT_AVAILABLE' });
}

// ---------------------------------------------------------------------------------------------------------
// OffsetCommit

const OFFSET_COMMIT_TOPICS = [
  {
    topic: TOPIC_A,
    partitions: [
      { partition: 0, offset: BIG.toString(), timestamp: T0, metadata: 'meta ✓ 元数据' },
      { partition: 7, offset: '0', timestamp: T0 + 1, metadata: null },
    ],
  },
  { topic: TOPIC_B, partitions: [{ partition: 2, offset: '42', timestamp: T0 + 2, metadata: '' }] },
];
const RETENTION_MS = 2_592_000_000; // 30 days, above 2^31

async function offsetCommitRequest(version: number, correlationId: number): Promise<void> {
  const args = { groupId: GROUP_ID, groupGenerationId: 2_147_483_000, memberId: MEMBER_1, retentionTime: String(RETENTION_MS), topics: OFFSET_COMMIT_TOPICS };
  const expected: OffsetCommitRequest = {
    groupId: GROUP_ID,
    generationIdOrMemberEpoch: version >= 1 ? 2_147_483_000 : -1,
    memberId: version >= 1 ? MEMBER_1 : '',
    groupInstanceId: null,
    retentionTimeMs: version >= 2 && version <= 4 ? BigInt(RETENTION_MS) : -1n,
    topics: OFFSET_COMMIT_TOPICS.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: BigInt(p.offset),
        committedLeaderEpoch: -1,
        commitTimestamp: version === 1 ? BigInt(p.timestamp) : -1n,
        committedMetadata: p.metadata,
      })),
    })),
  };
  await kafkajsRequestThroughOurDecoder<OffsetCommitRequest>('offsetCommit', version, args, expected, correlationId);
}

function offsetCommitResponseBody(errorCode: number): OffsetCommitResponseInput {
  return {
    throttleTimeMs: 12,
    topics: [
      { name: TOPIC_A, partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 7, errorCode }] },
      { name: TOPIC_B, partitions: [{ partitionIndex: 2, errorCode: 0 }] },
    ],
  };
}

function offsetCommitAsKafkaJS(version: number, body: OffsetCommitResponseInput): object {
  return {
    ...throttleFields(version, 3, 4, body.throttleTimeMs!),
    responses: body.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })),
    })),
  };
}

async function offsetCommitResponse(version: number, correlationId: number): Promise<void> {
  const ok = offsetCommitResponseBody(0);
  const { response, decoded } = await ourResponseThroughKafkaJS('offsetCommit', version, correlationId, encodeResponse(ApiKey.OffsetCommit, version, correlationId, ok));
  expect(decoded).toEqual(offsetCommitAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed = offsetCommitResponseBody(22); // ILLEGAL_GENERATION
  const error = await ourResponseThroughKafkaJS('offsetCommit', version, correlationId, encodeResponse(ApiKey.OffsetCommit, version, correlationId, failed));
  expect(error.decoded).toEqual(offsetCommitAsKafkaJS(version, failed));
  expect(error.decoded.responses[0].partitions[1].errorCode).toBe(22);
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 22, type: 'ILLEGAL_GENERATION' });
}

// ---------------------------------------------------------------------------------------------------------
// JoinGroup

async function joinGroupRequest(version: number, correlationId: number): Promise<void> {
  // A first join (empty member id) on even versions, a rejoin on odd ones.
  const memberId = version % 2 === 0 ? '' : MEMBER_1;
  const groupProtocols = [
    { name: 'RoundRobinAssigner', metadata: MEMBER_METADATA },
    { name: 'RangeAssigner', metadata: Buffer.alloc(0) },
  ];
  const args = {
    groupId: GROUP_ID,
    sessionTimeout: 30_000,
    rebalanceTimeout: 300_000,
    memberId,
    groupInstanceId: INSTANCE_ID,
    protocolType: 'consumer',
    groupProtocols,
  };
  const expected: JoinGroupRequest = {
    groupId: GROUP_ID,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: version >= 1 ? 300_000 : -1,
    memberId,
    groupInstanceId: version >= 5 ? INSTANCE_ID : null,
    protocolType: 'consumer',
    protocols: groupProtocols,
    reason: null,
  };
  await kafkajsRequestThroughOurDecoder<JoinGroupRequest>('joinGroup', version, args, expected, correlationId);
}

function joinGroupOk(): JoinGroupResponseInput {
  return {
    throttleTimeMs: 20,
    errorCode: 0,
    generationId: 2_147_483_000,
    protocolName: 'RoundRobinAssigner',
    leader: MEMBER_1,
    memberId: MEMBER_1,
    members: [
      { memberId: MEMBER_1, groupInstanceId: INSTANCE_ID, metadata: MEMBER_METADATA },
      { memberId: MEMBER_2, groupInstanceId: null, metadata: Buffer.alloc(0) },
    ],
  };
}

function joinGroupAsKafkaJS(version: number, body: JoinGroupResponseInput): object {
  return {
    ...throttleFields(version, 2, 3, body.throttleTimeMs!),
    errorCode: body.errorCode,
    generationId: body.generationId,
    groupProtocol: body.protocolName,
    leaderId: body.leader,
    memberId: body.memberId,
    members: body.members.map((m) => ({
      memberId: m.memberId,
      ...(version >= 5 ? { groupInstanceId: m.groupInstanceId } : {}),
      memberMetadata: m.metadata,
    })),
  };
}

async function joinGroupResponse(version: number, correlationId: number): Promise<void> {
  const ok = joinGroupOk();
  const { response, decoded } = await ourResponseThroughKafkaJS('joinGroup', version, correlationId, encodeResponse(ApiKey.JoinGroup, version, correlationId, ok));
  expect(decoded).toEqual(joinGroupAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  // From v4 a first join is answered MEMBER_ID_REQUIRED with the assigned member id, which KafkaJS carries in
  // its error; before v4, UNKNOWN_MEMBER_ID.
  const code = version >= 4 ? 79 : 25;
  const failed: JoinGroupResponseInput = {
    throttleTimeMs: 0,
    errorCode: code,
    generationId: -1,
    protocolName: '',
    leader: '',
    memberId: code === 79 ? MEMBER_2 : '',
    members: [],
  };
  const error = await ourResponseThroughKafkaJS('joinGroup', version, correlationId, encodeResponse(ApiKey.JoinGroup, version, correlationId, failed));
  expect(error.decoded).toEqual(joinGroupAsKafkaJS(version, failed));
  expect(error.decoded.errorCode).toBe(code);
  await expectParseRejects(
    error.response,
    error.decoded,
    code === 79
      ? { name: 'KafkaJSMemberIdRequired', code: 79, type: 'MEMBER_ID_REQUIRED', memberId: MEMBER_2 }
      : { name: 'KafkaJSProtocolError', code: 25, type: 'UNKNOWN_MEMBER_ID' },
  );
}

// ---------------------------------------------------------------------------------------------------------
// SyncGroup

async function syncGroupRequest(version: number, correlationId: number): Promise<void> {
  const groupAssignment = [
    { memberId: MEMBER_1, memberAssignment: MEMBER_ASSIGNMENT },
    { memberId: MEMBER_2, memberAssignment: Buffer.alloc(0) },
  ];
  const args = { groupId: GROUP_ID, generationId: 2_147_483_000, memberId: MEMBER_1, groupInstanceId: INSTANCE_ID, groupAssignment };
  const expected: SyncGroupRequest = {
    groupId: GROUP_ID,
    generationId: 2_147_483_000,
    memberId: MEMBER_1,
    groupInstanceId: version >= 3 ? INSTANCE_ID : null,
    protocolType: null,
    protocolName: null,
    assignments: groupAssignment.map((a) => ({ memberId: a.memberId, assignment: a.memberAssignment })),
  };
  await kafkajsRequestThroughOurDecoder<SyncGroupRequest>('syncGroup', version, args, expected, correlationId);
}

function syncGroupAsKafkaJS(version: number, body: SyncGroupResponseInput): object {
  return { ...throttleFields(version, 1, 2, body.throttleTimeMs!), errorCode: body.errorCode, memberAssignment: body.assignment };
}

async function syncGroupResponse(version: number, correlationId: number): Promise<void> {
  const ok: SyncGroupResponseInput = { throttleTimeMs: 33, errorCode: 0, assignment: MEMBER_ASSIGNMENT };
  const { response, decoded } = await ourResponseThroughKafkaJS('syncGroup', version, correlationId, encodeResponse(ApiKey.SyncGroup, version, correlationId, ok));
  expect(decoded).toEqual(syncGroupAsKafkaJS(version, ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed: SyncGroupResponseInput = { throttleTimeMs: 0, errorCode: 27, assignment: Buffer.alloc(0) }; // REBALANCE_IN_PROGRESS
  const error = await ourResponseThroughKafkaJS('syncGroup', version, correlationId, encodeResponse(ApiKey.SyncGroup, version, correlationId, failed));
  expect(error.decoded).toEqual(syncGroupAsKafkaJS(version, failed));
  expect(error.decoded.errorCode).toBe(27);
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 27, type: 'REBALANCE_IN_PROGRESS' });
}

// ---------------------------------------------------------------------------------------------------------
// ApiVersions (the handshake: KafkaJS tries v2, then v1, then v0 on UNSUPPORTED_VERSION)

async function apiVersionsRequest(version: number, correlationId: number): Promise<void> {
  const expected: ApiVersionsRequest = { clientSoftwareName: '', clientSoftwareVersion: '' };
  await kafkajsRequestThroughOurDecoder<ApiVersionsRequest>('apiVersions', version, {}, expected, correlationId);
}

async function apiVersionsResponse(version: number, correlationId: number): Promise<void> {
  const apiKeys = [
    { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 11 },
    { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 17 },
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
  ];
  const frame = encodeResponse(ApiKey.ApiVersions, version, correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 9 });
  const { response, decoded } = await ourResponseThroughKafkaJS('apiVersions', version, correlationId, frame);
  expect(decoded).toEqual({ errorCode: 0, apiVersions: apiKeys, ...throttleFields(version, 1, 2, 9) });
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  // UNSUPPORTED_VERSION: KafkaJS's decode itself throws (that is how it falls back to a lower version).
  const unsupported = encodeResponse(ApiKey.ApiVersions, version, correlationId, { errorCode: 35, apiKeys, throttleTimeMs: 0 });
  const { payload } = splitLikeKafkaJSConnection(unsupported);
  await expect(response.decode(payload)).rejects.toMatchObject({ name: 'KafkaJSProtocolError', code: 35, type: 'UNSUPPORTED_VERSION' });
  const invalid = encodeResponse(ApiKey.ApiVersions, version, correlationId, { errorCode: 42, apiKeys: [], throttleTimeMs: 3 });
  const error = await ourResponseThroughKafkaJS('apiVersions', version, correlationId, invalid);
  expect(error.decoded).toEqual({ errorCode: 42, apiVersions: [], ...throttleFields(version, 1, 2, 3) });
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 42, type: 'INVALID_REQUEST' });
}

// ---------------------------------------------------------------------------------------------------------
// The flexible APIs KafkaJS implements (request header v2, response header v1, compact encodings)

async function alterPartitionReassignmentsRequest(version: number, correlationId: number): Promise<void> {
  const topics = [
    { topic: TOPIC_A, partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 7, replicas: [3] }] },
    { topic: TOPIC_C, partitionAssignment: [{ partition: 1, replicas: [] }] },
  ];
  const expected: AlterPartitionReassignmentsRequest = {
    timeoutMs: 12_345,
    topics: topics.map((t) => ({
      name: t.topic,
      partitions: t.partitionAssignment.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })),
    })),
  };
  await kafkajsRequestThroughOurDecoder<AlterPartitionReassignmentsRequest>(
    'alterPartitionReassignments',
    version,
    { topics, timeout: 12_345 },
    expected,
    correlationId,
  );
}

async function alterPartitionReassignmentsResponse(version: number, correlationId: number): Promise<void> {
  const body = (code: number) => ({
    throttleTimeMs: 5,
    errorCode: 0,
    errorMessage: null,
    responses: [
      {
        name: TOPIC_A,
        partitions: [
          { partitionIndex: 0, errorCode: 0, errorMessage: null },
          { partitionIndex: 7, errorCode: code, errorMessage: code === 0 ? null : 'не удалось: replica 3 is offline' },
        ],
      },
      { name: TOPIC_C, partitions: [{ partitionIndex: 1, errorCode: 0, errorMessage: null }] },
    ],
  });
  const asKafkaJS = (b: ReturnType<typeof body>) => ({
    throttleTime: b.throttleTimeMs,
    errorCode: b.errorCode,
    responses: b.responses.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })) })),
  });
  const ok = body(0);
  const frame = encodeResponse(ApiKey.AlterPartitionReassignments, version, correlationId, ok);
  const { response, decoded } = await ourResponseThroughKafkaJS('alterPartitionReassignments', version, correlationId, frame, true);
  expect(decoded).toEqual(asKafkaJS(ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed = body(39); // INVALID_REPLICA_ASSIGNMENT
  const error = await ourResponseThroughKafkaJS(
    'alterPartitionReassignments',
    version,
    correlationId,
    encodeResponse(ApiKey.AlterPartitionReassignments, version, correlationId, failed),
    true,
  );
  expect(error.decoded).toEqual(asKafkaJS(failed));
  expect(error.decoded.responses[0].partitions[1].errorCode).toBe(39);
  await expect(error.response.parse(error.decoded)).rejects.toMatchObject({
    name: 'KafkaJSAggregateError',
    errors: [expect.objectContaining({ name: 'KafkaJSAlterPartitionReassignmentsError', topic: TOPIC_A, partition: 7 })],
  });
}

async function listPartitionReassignmentsRequest(version: number, correlationId: number): Promise<void> {
  const topics = [
    { topic: TOPIC_A, partitions: [0, 7] },
    { topic: TOPIC_B, partitions: [2] },
  ];
  const expected: ListPartitionReassignmentsRequest = {
    timeoutMs: 5000,
    topics: topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
  };
  await kafkajsRequestThroughOurDecoder<ListPartitionReassignmentsRequest>(
    'listPartitionReassignments',
    version,
    { topics, timeout: 5000 },
    expected,
    correlationId,
  );
  // No topics: a null compact array ("list everything").
  await kafkajsRequestThroughOurDecoder<ListPartitionReassignmentsRequest>(
    'listPartitionReassignments',
    version,
    { topics: null, timeout: 60_000 },
    { timeoutMs: 60_000, topics: null },
    correlationId - 1,
  );
}

async function listPartitionReassignmentsResponse(version: number, correlationId: number): Promise<void> {
  const body = (errorCode: number) => ({
    throttleTimeMs: 8,
    errorCode,
    errorMessage: errorCode === 0 ? null : 'ошибка',
    topics:
      errorCode === 0
        ? [
            {
              name: TOPIC_A,
              partitions: [
                { partitionIndex: 0, replicas: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [1] },
                { partitionIndex: 7, replicas: [3, 5], addingReplicas: [5], removingReplicas: [] },
              ],
            },
            { name: TOPIC_C, partitions: [{ partitionIndex: 1, replicas: [], addingReplicas: [], removingReplicas: [] }] },
          ]
        : [],
  });
  const asKafkaJS = (b: ReturnType<typeof body>) => ({
    throttleTime: b.throttleTimeMs,
    errorCode: b.errorCode,
    topics: b.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        replicas: p.replicas,
        addingReplicas: p.addingReplicas,
        removingReplicas: p.removingReplicas,
      })),
    })),
  });
  const ok = body(0);
  const frame = encodeResponse(ApiKey.ListPartitionReassignments, version, correlationId, ok);
  const { response, decoded } = await ourResponseThroughKafkaJS('listPartitionReassignments', version, correlationId, frame, true);
  expect(decoded).toEqual(asKafkaJS(ok));
  await expect(response.parse(decoded)).resolves.toBe(decoded);

  const failed = body(41); // NOT_CONTROLLER
  const error = await ourResponseThroughKafkaJS(
    'listPartitionReassignments',
    version,
    correlationId,
    encodeResponse(ApiKey.ListPartitionReassignments, version, correlationId, failed),
    true,
  );
  expect(error.decoded).toEqual(asKafkaJS(failed));
  await expectParseRejects(error.response, error.decoded, { name: 'KafkaJSProtocolError', code: 41, type: 'NOT_CONTROLLER' });
}

// ---------------------------------------------------------------------------------------------------------
// The table

interface InteropApi {
  /** KafkaJS's folder under protocol/requests/. */
  readonly kafkajs: string;
  readonly apiKey: ApiKeyNumber;
  /** The versions KafkaJS 2.2.4 implements (checked against its source, so an upgrade shows here). */
  readonly versions: readonly number[];
  readonly request: (version: number, correlationId: number) => Promise<void>;
  readonly response: (version: number, correlationId: number) => Promise<void>;
}

const APIS: readonly InteropApi[] = [
  { kafkajs: 'produce', apiKey: ApiKey.Produce, versions: [0, 1, 2, 3, 4, 5, 6, 7], request: produceRequest, response: produceResponse },
  { kafkajs: 'fetch', apiKey: ApiKey.Fetch, versions: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], request: fetchRequest, response: fetchResponse },
  { kafkajs: 'listOffsets', apiKey: ApiKey.ListOffsets, versions: [0, 1, 2, 3], request: listOffsetsRequest, response: listOffsetsResponse },
  { kafkajs: 'metadata', apiKey: ApiKey.Metadata, versions: [0, 1, 2, 3, 4, 5, 6], request: metadataRequest, response: metadataResponse },
  { kafkajs: 'offsetCommit', apiKey: ApiKey.OffsetCommit, versions: [0, 1, 2, 3, 4, 5], request: offsetCommitRequest, response: offsetCommitResponse },
  { kafkajs: 'joinGroup', apiKey: ApiKey.JoinGroup, versions: [0, 1, 2, 3, 4, 5], request: joinGroupRequest, response: joinGroupResponse },
  { kafkajs: 'syncGroup', apiKey: ApiKey.SyncGroup, versions: [0, 1, 2, 3], request: syncGroupRequest, response: syncGroupResponse },
  { kafkajs: 'apiVersions', apiKey: ApiKey.ApiVersions, versions: [0, 1, 2], request: apiVersionsRequest, response: apiVersionsResponse },
  {
    kafkajs: 'alterPartitionReassignments',
    apiKey: ApiKey.AlterPartitionReassignments,
    versions: [0],
    request: alterPartitionReassignmentsRequest,
    response: alterPartitionReassignmentsResponse,
  },
  {
    kafkajs: 'listPartitionReassignments',
    apiKey: ApiKey.ListPartitionReassignments,
    versions: [0],
    request: listPartitionReassignmentsRequest,
    response: listPartitionReassignmentsResponse,
  },
];

describe('KafkaJS 2.2.4 interop: every version KafkaJS implements, both directions', () => {
  for (const api of APIS) {
    describe(api.kafkajs, () => {
      it(`is api key ${api.apiKey} in KafkaJS too, with versions ${api.versions.join(',')}`, () => {
        const name = api.kafkajs[0].toUpperCase() + api.kafkajs.slice(1);
        expect(kafkajsApiKeys[name]).toBe(api.apiKey);
        expect(kafkajsVersions(api.kafkajs)).toEqual(api.versions);
      });
      for (const version of kafkajsVersions(api.kafkajs)) {
        it(`v${version}: KafkaJS request -> our decodeRequest (and back to the same bytes)`, () =>
          api.request(version, correlationIdFor(api.apiKey, version, 0)));
        it(`v${version}: our encodeResponse -> KafkaJS decode/parse`, () => api.response(version, correlationIdFor(api.apiKey, version, 1)));
      }
    });
  }
});

describe('request header as KafkaJS writes it', () => {
  it('reads a null client id (KafkaJS writes int16 -1) and the extreme correlation ids KafkaJS cycles through', async () => {
    for (const [correlationId, clientId] of [
      [0, null],
      [2_147_483_647, ''],
      [1, 'ascii-only'],
    ] as const) {
      await kafkajsRequestThroughOurDecoder<ApiVersionsRequest>(
        'apiVersions',
        2,
        {},
        { clientSoftwareName: '', clientSoftwareVersion: '' },
        correlationId,
        clientId,
      );
      await kafkajsRequestThroughOurDecoder<AlterPartitionReassignmentsRequest>(
        'alterPartitionReassignments',
        0,
        { topics: [], timeout: 1 },
        { timeoutMs: 1, topics: [] },
        correlationId,
        clientId,
      );
    }
  });
});
