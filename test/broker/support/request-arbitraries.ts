/**
 * Adversarial request bodies drawn from the message schemas: for one (API, version) pair, an fast-check
 * arbitrary that fills every field the version has with values a hostile or buggy client could send, well
 * framed (the codec can encode them and the broker can decode them) but wrong in content. The values come by
 * field meaning (the spec's `entityType` and the field's name) before type: partition indexes get -1, 2^31-1
 * and indexes past the last partition; topic names get '', '.', '..', 250+ characters and illegal characters
 * next to names that exist; offsets and epochs get negative sentinels; Produce's records get random bytes,
 * batches with a wrong CRC, a wrong magic, truncated ones, legacy message sets and sound ones.
 *
 * Some values only mean something at send time (the member id a JoinGroup just handed out, a producer id
 * InitProducerId returned, a topic's id): the arbitrary writes a placeholder that `resolvePlaceholders` swaps
 * for what the cluster has said so far, so the sequence reaches past the first layer of validation.
 */
import fc from 'fast-check';
import {
  CompressionCodec,
  computeBatchCrc,
  RECORD_BATCH_OVERHEAD,
  encodeMessageSet,
  encodeRecordBatch,
  ZERO_UUID,
  type FieldSchema,
  type MessageSchema,
  type StructSchema,
} from '../../../src/protocol/index.ts';

type PrimitiveType = NonNullable<FieldSchema['elementType']>;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Placeholders resolved at send time (see `resolvePlaceholders`). */
export const PLACEHOLDER = {
  memberId: '\u0000member',
  producerId: -4242424242n,
  producerEpoch: -4242,
  topicIdPrefix: '\u0000topicId:',
} as const;

/** Topics the fuzzer names; the caller creates the `existing` ones first. Never the sentinel topic. */
export interface FuzzNames {
  readonly existingTopics: readonly string[];
  readonly creatableTopics: readonly string[];
  readonly groups: readonly string[];
  readonly transactionalIds: readonly string[];
}

const LONG = 'x'.repeat(300);
const INVALID_TOPIC_NAMES = ['', '.', '..', 'a'.repeat(249), 'a'.repeat(250), 'b'.repeat(300), 'bad name', 'bad/name', 'ünïcode', 'a\u0000b'];

function pick<T>(...values: T[]): fc.Arbitrary<T> {
  return fc.constantFrom(...values);
}

const int8 = fc.oneof(pick(-128, -1, 0, 1, 2, 3, 4, 127), fc.integer({ min: -128, max: 127 }));
const int16 = fc.oneof(pick(-32768, -1, 0, 1, 2, 32767), fc.integer({ min: -32768, max: 32767 }));
const int32 = fc.oneof(pick(INT32_MIN, -1, 0, 1, 2, INT32_MAX), fc.integer({ min: INT32_MIN, max: INT32_MAX }));
const int64 = fc.oneof(pick(INT64_MIN, -1n, 0n, 1n, 2n, INT64_MAX), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));
const partitionIndex = fc.oneof({ weight: 4, arbitrary: pick(0, 1, 2) }, { weight: 2, arbitrary: pick(-1, 3, 1000, INT32_MIN, INT32_MAX) }, { weight: 1, arbitrary: int32 });
const epoch32 = fc.oneof({ weight: 3, arbitrary: pick(-1, 0, 1, 2) }, { weight: 1, arbitrary: pick(-2, INT32_MIN, INT32_MAX) }, { weight: 1, arbitrary: int32 });
const offset64 = fc.oneof(
  { weight: 3, arbitrary: pick(0n, 1n, 2n, 5n, 100n) },
  { weight: 3, arbitrary: pick(-1n, -2n, -3n, -4n, -5n, -6n) },
  { weight: 1, arbitrary: pick(INT64_MIN, INT64_MAX, 2n ** 32n) },
  { weight: 1, arbitrary: int64 },
);
/** Waits stay mostly short so a run costs little virtual time; the long ones are allowed to stay unanswered. */
const waitMs = fc.oneof({ weight: 6, arbitrary: pick(0, 1, 10, 100, 1000) }, { weight: 1, arbitrary: pick(-1, INT32_MIN, 60_000, INT32_MAX) });
const sizeBytes = fc.oneof(pick(-1, 0, 1, 100, 1 << 20, INT32_MAX, INT32_MIN), int32);
const genericString = fc.oneof(pick('', 'a', 'kafkasim', LONG, 'ü\u0000\u{1F600}', 'null'), fc.string({ maxLength: 12 }));

function topicName(names: FuzzNames): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...names.existingTopics) },
    { weight: 2, arbitrary: fc.constantFrom(...names.creatableTopics) },
    { weight: 3, arbitrary: fc.constantFrom('ghost', '__consumer_offsets', '__transaction_state', 'fuzz.a', ...INVALID_TOPIC_NAMES) },
  );
}

const ALL_CONFIG_NAMES = [
  'cleanup.policy', 'retention.ms', 'retention.bytes', 'max.message.bytes', 'min.insync.replicas', 'segment.bytes',
  'compression.type', 'message.timestamp.type', 'min.compaction.lag.ms', 'max.compaction.lag.ms', 'unclean.leader.election.enable',
  'num.partitions', 'log.retention.ms', 'auto.create.topics.enable', 'nope', '', LONG,
];
const CONFIG_VALUES = ['', '-1', '-2', '0', '1', 'compact', 'delete', 'compact,delete', 'gzip', 'zstd', 'producer', 'abc', 'true', '99999999999999999999999', LONG];

/** Produce's records field: sound batches and the many ways a batch can be wrong. */
export function recordsArbitrary(): fc.Arbitrary<Buffer | null> {
  const sound = fc
    .record({
      count: fc.integer({ min: 0, max: 3 }),
      producerId: pick(-1n, 0n, 1000n, PLACEHOLDER.producerId),
      producerEpoch: pick(-1, 0, 1, PLACEHOLDER.producerEpoch, 32767),
      baseSequence: pick(-1, 0, 1, 5, INT32_MAX),
      isTransactional: fc.boolean(),
      isControl: fc.boolean(),
      compression: pick<CompressionCodec>(CompressionCodec.None, CompressionCodec.None, CompressionCodec.GZIP),
      baseOffset: pick(0n, 0n, 7n, -1n),
      timestamp: pick(0n, -1n, 1_000n, INT64_MAX),
      timestampType: pick<0 | 1>(0, 0, 1),
    })
    .map((b) =>
      encodeRecordBatch({
        baseTimestamp: b.timestamp,
        baseOffset: b.baseOffset,
        producerId: b.producerId,
        producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence,
        isTransactional: b.isTransactional,
        isControl: b.isControl,
        compression: b.compression,
        timestampType: b.timestampType,
        records: Array.from({ length: b.count }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`fuzz-${i}`), headers: [] })),
      }),
    );
  const plain = fc.constant(null).map(() => encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('v'), headers: [] }] }));
  return fc.oneof(
    { weight: 4, arbitrary: sound },
    { weight: 1, arbitrary: pick<Buffer | null>(null, Buffer.alloc(0)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)) },
    // Wrong CRC: one byte flipped after the CRC field.
    { weight: 2, arbitrary: fc.tuple(plain, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([batch, at, x]) => flip(batch, 21 + (at % (batch.length - 21)), x)) },
    // Any byte flipped, header fields included (length, magic, attributes, counts).
    { weight: 2, arbitrary: fc.tuple(plain, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([batch, at, x]) => flip(batch, at % batch.length, x)) },
    { weight: 1, arbitrary: fc.tuple(plain, pick(0, 1, 3, 9, 255)).map(([batch, magic]) => ((batch = Buffer.from(batch)), (batch[16] = magic), batch)) },
    { weight: 2, arbitrary: fc.tuple(plain, fc.nat()).map(([batch, n]) => batch.subarray(0, n % batch.length)) },
    { weight: 1, arbitrary: fc.tuple(sound, sound).map(([a, b]) => Buffer.concat([a, b])) },
    { weight: 1, arbitrary: fc.tuple(plain, fc.integer({ min: 1, max: 40 })).map(([batch, extra]) => Buffer.concat([batch, Buffer.alloc(extra, 0xab)])) },
    // A codec id past ZSTD under a valid CRC (the attributes are inside the CRC, so it is recomputed).
    { weight: 1, arbitrary: fc.tuple(plain, pick(5, 6, 7)).map(([batch, codec]) => ((batch = Buffer.from(batch)), batch.writeInt16BE(codec, 21), batch.writeUInt32BE(computeBatchCrc(batch), 17), batch)) },
    { weight: 1, arbitrary: pick<0 | 1>(0, 1).map((magic) => encodeMessageSet([{ offset: 0n, value: Buffer.from('legacy') }], { magic })) },
  );
}

function flip(buffer: Buffer, at: number, x: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[at] ^= x;
  return copy;
}

const randomUuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));

function intArbitrary(field: FieldSchema, type: 'int8' | 'int16' | 'int32' | 'uint16' | 'uint32'): fc.Arbitrary<number> {
  const name = field.name;
  if (type === 'int8') {
    if (name === 'isolationLevel') return pick(0, 1, 0, 1, 2, -1, 127);
    if (name === 'resourceType' || name === 'resourceTypeFilter') return fc.oneof(pick(2, 4, 2, 4, 1, 3, 8, 16), int8);
    return int8;
  }
  if (type === 'int16') {
    if (name === 'acks') return fc.oneof({ weight: 6, arbitrary: pick(-1, 1) }, { weight: 1, arbitrary: pick(0, 2, -2, 32767, -32768) });
    if (name === 'producerEpoch' || name === 'v3AndBelowProducerEpoch') return pick(-1, 0, 1, PLACEHOLDER.producerEpoch, PLACEHOLDER.producerEpoch, 32767, -32768);
    if (name === 'replicationFactor') return pick(-2, -1, 0, 1, 1, 2, 3, 4, 32767, -32768);
    return int16;
  }
  if (type === 'uint16') return fc.integer({ min: 0, max: 65535 });
  if (type === 'uint32') return fc.integer({ min: 0, max: 2 ** 32 - 1 });
  if (field.entityType === 'brokerId' || name === 'brokerIds') return pick(-1, -2, 0, 1, 2, 3, 99, INT32_MAX);
  if (['index', 'partition', 'partitionIndex', 'partitions', 'partitionIndexes'].includes(name)) return partitionIndex;
  if (/Epoch$/.test(name) || name === 'generationId' || name === 'generationIdOrMemberEpoch') return epoch32;
  if (/TimeoutMs$/.test(name) || name === 'maxWaitMs' || name === 'timeoutMs') return waitMs;
  if (/Bytes$/.test(name)) return sizeBytes;
  if (name === 'numPartitions' || name === 'count') return pick(-2, -1, 0, 1, 2, 3, 4, 5, 100_000, INT32_MAX, INT32_MIN);
  if (name === 'sessionId') return pick(0, 0, 1, -1, INT32_MAX, INT32_MIN);
  return int32;
}

function int64Arbitrary(field: FieldSchema): fc.Arbitrary<bigint> {
  if (field.entityType === 'producerId') return pick(-1n, 0n, 1n, 1000n, INT64_MAX, PLACEHOLDER.producerId, PLACEHOLDER.producerId);
  if (/[Oo]ffset$|^timestamp$|Timestamp$/.test(field.name)) return offset64;
  return int64;
}

function stringArbitrary(field: FieldSchema, names: FuzzNames): fc.Arbitrary<string> {
  const name = field.name;
  if (field.entityType === 'topicName' || name === 'topic') return topicName(names);
  if (field.entityType === 'groupId' || name === 'key' || name === 'coordinatorKeys') {
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names.groups, ...names.transactionalIds) }, { weight: 1, arbitrary: pick('', LONG) });
  }
  if (field.entityType === 'transactionalId') return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names.transactionalIds) }, { weight: 1, arbitrary: pick('', LONG) });
  if (name === 'memberId') return pick(PLACEHOLDER.memberId, PLACEHOLDER.memberId, '', 'unknown-member', LONG);
  if (name === 'groupInstanceId') return pick('instance-1', '', LONG);
  if (name === 'protocolType') return pick('consumer', 'consumer', '', 'other');
  if (name === 'protocolName') return pick('range', 'roundrobin', '', LONG);
  if (name === 'resourceName') return fc.oneof(topicName(names), pick('', '1', '2', '-1', 'abc', LONG));
  if (name === 'configurationKeys') return fc.constantFrom(...ALL_CONFIG_NAMES);
  if (name === 'statesFilter' || name === 'stateFilters') return pick('Stable', 'Empty', 'Ongoing', 'CompleteCommit', 'bogus', '');
  if (name === 'typesFilter') return pick('classic', 'consumer', 'share', 'bogus', '');
  if (name === 'clientSoftwareName' || name === 'clientSoftwareVersion') return pick('kafkasim', '1.0.0', '', '-bad-', 'has space', LONG);
  return genericString;
}

function primitive(field: FieldSchema, type: PrimitiveType, names: FuzzNames): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint16':
    case 'uint32':
      return intArbitrary(field, type);
    case 'int64':
      return int64Arbitrary(field);
    case 'float64':
      return fc.oneof(pick(0, -1, 1.5, Number.MAX_VALUE), fc.double({ noNaN: true }));
    case 'string':
      return stringArbitrary(field, names);
    case 'bytes':
      return fc.oneof(pick(Buffer.alloc(0)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)));
    case 'records':
      return recordsArbitrary();
    case 'uuid':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...names.existingTopics).map((t) => PLACEHOLDER.topicIdPrefix + t) },
        { weight: 2, arbitrary: fc.constant(ZERO_UUID) },
        { weight: 2, arbitrary: randomUuid },
      );
    default:
      throw new Error(`no arbitrary for ${String(type)}`);
  }
}

function fieldArbitrary(field: FieldSchema, version: number, names: FuzzNames): fc.Arbitrary<unknown> {
  let value: fc.Arbitrary<unknown>;
  if (field.type === 'struct') value = structArbitrary(field.struct!, version, names);
  else if (field.type === 'array') {
    const element = field.struct !== undefined ? structArbitrary(field.struct, version, names) : primitive(field, field.elementType!, names);
    value = fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 6, arbitrary: fc.array(element, { minLength: 1, maxLength: 3 }) },
      // Duplicated entries: the same element twice (same topic, same partition, same config...).
      { weight: 2, arbitrary: fc.tuple(element, fc.array(element, { maxLength: 1 })).map(([e, rest]) => [e, ...rest, e]) },
    );
  } else value = primitive(field, field.type, names);
  if (inRange(field.nullableVersions, version)) value = fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) });
  return value;
}

const inRange = (range: readonly [number, number] | undefined, version: number): boolean => range !== undefined && version >= range[0] && version <= range[1];

function structArbitrary(schema: StructSchema, version: number, names: FuzzNames): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    if (!inRange(field.versions, version)) continue;
    fields[field.name] = fieldArbitrary(field, version, names);
  }
  return fc.record(fields);
}

/** Every field of `version`, filled adversarially. */
export function requestBodyArbitrary(schema: MessageSchema, version: number, names: FuzzNames): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(schema, version, names);
}

/** A sound batch carrying the producer placeholders gets the real producer id and epoch, and its CRC again. */
function resolveBatchProducer(records: Buffer, known: PlaceholderValues): Buffer {
  if (records.length < RECORD_BATCH_OVERHEAD || records[16] !== 2 || records.readBigInt64BE(43) !== PLACEHOLDER.producerId) return records;
  const copy = Buffer.from(records);
  copy.writeBigInt64BE(known.producerId, 43);
  if (copy.readInt16BE(51) === PLACEHOLDER.producerEpoch) copy.writeInt16BE(known.producerEpoch, 51);
  copy.writeUInt32BE(computeBatchCrc(copy), 17);
  return copy;
}

/** What the cluster has handed out so far, for placeholders. */
export interface PlaceholderValues {
  memberId: string;
  producerId: bigint;
  producerEpoch: number;
  topicId(name: string): string;
}

/** A copy of `value` with every placeholder replaced (Buffers carry no placeholders except records, patched in place of copies). */
export function resolvePlaceholders(value: unknown, known: PlaceholderValues): unknown {
  if (value === PLACEHOLDER.memberId) return known.memberId;
  if (value === PLACEHOLDER.producerId) return known.producerId;
  if (value === PLACEHOLDER.producerEpoch) return known.producerEpoch;
  if (typeof value === 'string' && value.startsWith(PLACEHOLDER.topicIdPrefix)) return known.topicId(value.slice(PLACEHOLDER.topicIdPrefix.length));
  if (Buffer.isBuffer(value)) return resolveBatchProducer(value, known);
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, known));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, known)]));
  }
  return value;
}
