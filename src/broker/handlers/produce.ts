/**
 * Produce (key 0), v0-11. What Kafka's `KafkaApis.handleProduceRequest` / `ReplicaManager.appendRecords`
 * do, per partition:
 * - partitions are keyed by topic and index, as Kafka's handler keys them in a map: a partition listed twice is
 *   appended once, with the records of its last entry, and answered once (in order of first mention);
 * - unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION (Produce never auto-creates); an internal topic
 *   (`__consumer_offsets`, `__transaction_state`): INVALID_TOPIC_EXCEPTION unless the client id is Kafka's
 *   admin client id `__admin_client` (ReplicaManager's "Cannot append to internal topic"); not the leader:
 *   NOT_LEADER_OR_FOLLOWER with the current leader (KIP-951, v10+);
 * - records must be one well-formed batch (v3+); a bad CRC, a magic above 2 or a truncated batch is
 *   CORRUPT_MESSAGE; a codec id past ZSTD under a valid CRC is UNKNOWN_SERVER_ERROR, as Kafka answers it; a batch
 *   over `max.message.bytes` is MESSAGE_TOO_LARGE; legacy message sets (v0-2) are up-converted to v2;
 * - idempotent batches are checked against the producer state: a retried duplicate answers NONE with the
 *   offsets it already has, a gap OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH (also when the
 *   coordinator fenced the producer: its markers carry the bumped epoch), a non-transactional batch from a producer
 *   with an open transaction INVALID_TXN_STATE;
 * - transactional batches need the request's transactionalId (v3+): without it the whole request is
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's authorization check answers. The first batch of a
 *   transaction on a partition is verified with the transaction coordinator first (KIP-890 part 1,
 *   `transaction.partition.verification.enable`): a partition not added to the transaction is INVALID_TXN_STATE, a
 *   fenced producer INVALID_PRODUCER_EPOCH, coordinator trouble NOT_ENOUGH_REPLICAS (retriable);
 * - acks=-1 refuses up front with NOT_ENOUGH_REPLICAS when the ISR is below `min.insync.replicas`, then
 *   waits (up to `timeoutMs`) for the high watermark to pass the append: REQUEST_TIMED_OUT if it does not,
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank meanwhile; acks=1 answers after the local append;
 *   acks=0 sends no response at all, and closes the connection if any partition failed (as Kafka does).
 * Leaves out: quotas, authorization; verification asks once per partition (Kafka batches a request per coordinator).
 */
import {
  ApiKey,
  CompressionCodec,
  decodeMessageSet,
  detectMagic,
  encodeRecordBatch,
  ErrorCode,
  readBatchHeader,
  RecordBatchDecodeError,
  splitBatches,
  verifyBatchCrc,
  type ProduceResponseInput,
  type RecordBatchHeader,
  type ProduceResponsePartitionProduceResponseInput,
} from '../../protocol/index.ts';
import type { Broker } from '../broker.ts';
import { INTERNAL_TOPICS, NO_LEADER, topicPartitionKey } from '../metadata.ts';
import { CloseConnectionSignal } from '../ports.ts';
import type { Replica } from '../partition.ts';
import { defineHandler } from './handler.ts';

type PartitionAnswer = ProduceResponsePartitionProduceResponseInput;

/** Where a v2 batch keeps its attributes (codec in the low three bits): after baseOffset, length, epoch, magic, crc. */
const BATCH_ATTRIBUTES_OFFSET = 21;

/** Kafka's `AdminUtils.ADMIN_CLIENT_ID`: the one client id allowed to append to internal topics. */
const ADMIN_CLIENT_ID = '__admin_client';

/**
 * The request's partitions keyed by topic and index, as Kafka's `handleProduceRequest` collects them into a
 * map: a later entry for the same partition replaces the earlier one's records; topics and partitions keep
 * the order of their first mention.
 */
function partitionsByTopic(topicData: ReadonlyArray<{ name: string; partitionData: ReadonlyArray<{ index: number; records: Buffer | null }> }>) {
  const topics = new Map<string, Map<number, Buffer | null>>();
  for (const topic of topicData) {
    let partitions = topics.get(topic.name);
    if (partitions === undefined) topics.set(topic.name, (partitions = new Map()));
    for (const { index, records } of topic.partitionData) partitions.set(index, records);
  }
  return topics;
}

const failed = (index: number, errorCode: number, errorMessage: string | null = null): PartitionAnswer => ({
  index,
  errorCode,
  baseOffset: -1n,
  logAppendTimeMs: -1n,
  logStartOffset: -1n,
  recordErrors: [],
  errorMessage,
});

/** Up-converts a legacy message set (magic 0/1) into one v2 batch, as Kafka does on append. */
function upConvert(records: Buffer): Buffer {
  const messages = decodeMessageSet(records);
  if (messages.length === 0) throw new RecordBatchDecodeError('empty message set');
  const timestamps = messages.map((m) => (m.timestamp >= 0n ? m.timestamp : -1n));
  const baseTimestamp = timestamps[0];
  const codec = messages[0].compression ?? CompressionCodec.None;
  return encodeRecordBatch({
    baseTimestamp,
    compression: codec,
    records: messages.map((m, i) => ({
      key: m.key,
      value: m.value,
      offsetDelta: i,
      timestampDelta: Number(timestamps[i] - baseTimestamp),
      headers: [],
    })),
  });
}

/** Whether any batch of the request is transactional (Kafka's `ProduceRequest.hasTransactionalRecords`). */
function hasTransactionalRecords(topicData: ReadonlyArray<{ partitionData: ReadonlyArray<{ records: Buffer | null }> }>): boolean {
  for (const topic of topicData) {
    for (const { records } of topic.partitionData) {
      if (records === null || records.length === 0) continue;
      try {
        if (detectMagic(records) < 2) continue;
        if (splitBatches(records).batches.some((batch) => readBatchHeader(batch).isTransactional)) return true;
      } catch (error) {
        if (!(error instanceof RecordBatchDecodeError)) throw error;
      }
    }
  }
  return false;
}

async function producePartition(
  broker: Broker,
  topicName: string,
  index: number,
  records: Buffer | null,
  acks: number,
  timeoutMs: number,
  apiVersion: number,
  transactionalId: string | null,
  clientId: string | null,
): Promise<PartitionAnswer> {
  const topic = broker.image.topics.get(topicName);
  if (topic === undefined || index < 0 || index >= topic.partitions.length) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // Only the coordinators write their logs (and Kafka lets its admin client id through, for repair tools).
  if ((topic.isInternal || INTERNAL_TOPICS.has(topicName)) && clientId !== ADMIN_CLIENT_ID) {
    return failed(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topicName}`);
  }
  // KafkaApis runs ProduceRequest.validateRecords before ReplicaManager looks at leadership: a v3+ request with
  // no whole batch or more than one is INVALID_RECORD even on a broker that does not lead the partition.
  if (apiVersion >= 3 && records !== null && records.length > 0) {
    try {
      const { batches } = detectMagic(records) >= 2 ? splitBatches(records) : { batches: [records] };
      if (batches.length === 0) return failed(index, ErrorCode.INVALID_RECORD, 'Produce request must have at least one whole record batch');
      if (batches.length > 1) return failed(index, ErrorCode.INVALID_RECORD, 'Produce requests with version 3 and above must contain exactly one record batch');
    } catch (error) {
      if (!(error instanceof RecordBatchDecodeError)) throw error;
    }
  }
  const replica = broker.replicas.get(`${topicName}-${index}`);
  if (replica === undefined || !replica.isLeader) {
    const registration = topic.partitions[index];
    const answer = failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // KIP-951's leader hint exists from v10; it is not ignorable, so older versions must not carry it.
    if (apiVersion >= 10) answer.currentLeader = { leaderId: registration.leader === NO_LEADER ? -1 : registration.leader, leaderEpoch: registration.leaderEpoch };
    return answer;
  }
  if (records === null || records.length === 0) return failed(index, ErrorCode.CORRUPT_MESSAGE, 'Produce request carried no records');

  let batch: Buffer;
  let header: RecordBatchHeader;
  try {
    batch = detectMagic(records) < 2 ? upConvert(records) : records;
    const { batches, truncatedTail } = splitBatches(batch);
    // ProduceRequest.validateRecords finds no whole batch in a cut-short one: INVALID_RECORD, as in Kafka.
    if (truncatedTail > 0 || batches.length === 0) return failed(index, ErrorCode.INVALID_RECORD, 'Produce request must have at least one whole record batch');
    if (apiVersion >= 3 && batches.length !== 1) {
      return failed(index, ErrorCode.INVALID_RECORD, 'Produce requests with version 3 and above must contain exactly one record batch');
    }
    batch = batches[0];
    // A magic above 2 is CORRUPT_MESSAGE (ByteBufferLogInputStream's "Invalid magic found in record"); the magic
    // byte lies outside the CRC, so the CRC check alone would let it through.
    const magic = detectMagic(batch);
    if (magic !== 2) return failed(index, ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${magic}`);
    if (!verifyBatchCrc(batch)) return failed(index, ErrorCode.CORRUPT_MESSAGE, 'Record batch is corrupt (CRC mismatch)');
    // A codec id past ZSTD under a valid CRC: Kafka's CompressionType.forId throws IllegalArgumentException, which
    // ReplicaManager does not expect, so Kafka itself answers UNKNOWN_SERVER_ERROR here.
    const codec = batch.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & 0x07;
    if (codec > CompressionCodec.ZSTD) return failed(index, ErrorCode.UNKNOWN_SERVER_ERROR, `Unknown compression type id: ${codec}`);
    header = readBatchHeader(batch);
  } catch (error) {
    if (error instanceof RecordBatchDecodeError) return failed(index, ErrorCode.CORRUPT_MESSAGE, error.message);
    throw error;
  }

  const config = broker.topicConfig(topic);
  const maxMessageBytes = config.number('max.message.bytes');
  if (batch.length > maxMessageBytes) {
    return failed(index, ErrorCode.MESSAGE_TOO_LARGE, `The batch of ${batch.length} bytes is larger than max.message.bytes ${maxMessageBytes}`);
  }
  const minInsyncReplicas = config.number('min.insync.replicas');
  if (acks === -1 && replica.isr.length < minInsyncReplicas) return failed(index, ErrorCode.NOT_ENOUGH_REPLICAS);

  let check = replica.producerState.check(header);
  if (check.kind === 'error') return failed(index, check.errorCode);
  if (
    check.kind === 'append' &&
    header.isTransactional &&
    header.producerId >= 0n &&
    transactionalId !== null &&
    broker.config.bool('transaction.partition.verification.enable') &&
    !replica.producerState.hasOngoingTransaction(header.producerId)
  ) {
    const guard = replica.producerState.startVerification(header.producerId);
    const verified = await broker.transactionCoordinator.verifyPartition(transactionalId, header.producerId, header.producerEpoch, { topic: topicName, partition: index });
    if (verified !== ErrorCode.NONE) return failed(index, verified);
    // The world moved while the coordinator answered: leadership, the producer's state, or a marker ended the transaction.
    if (broker.replicas.get(topicPartitionKey(topicName, index)) !== replica || !replica.isLeader) return failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    check = replica.producerState.check(header);
    if (check.kind === 'error') return failed(index, check.errorCode);
    if (check.kind === 'append' && !replica.producerState.isVerified(header.producerId, guard)) {
      return failed(index, ErrorCode.INVALID_TXN_STATE, 'Partition was not added to the transaction');
    }
  }
  if (check.kind === 'duplicate') {
    // UnifiedLog.append answers a duplicate with the original offsets and its timestamp as the append time.
    return { index, errorCode: ErrorCode.NONE, baseOffset: check.batch.firstOffset, logAppendTimeMs: check.batch.timestamp, logStartOffset: replica.logStartOffset, recordErrors: [], errorMessage: null };
  }

  const appended = replica.log.appendAsLeader(batch, { leaderEpoch: replica.leaderEpoch, nowMs: broker.runtime.now() });
  if (appended.errorCode !== ErrorCode.NONE) {
    return { ...failed(index, appended.errorCode, appended.errorMessage ?? null), recordErrors: appended.recordErrors };
  }
  replica.producerState.update(header, appended.firstOffset, appended.lastOffset, appended.maxTimestamp);
  replica.afterLeaderAppend();

  const answer: PartitionAnswer = {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: appended.firstOffset,
    logAppendTimeMs: appended.logAppendTime,
    logStartOffset: replica.logStartOffset,
    recordErrors: [],
    errorMessage: null,
  };
  if (acks !== -1) return answer;
  const errorCode = await waitForReplication(replica, appended.lastOffset + 1n, minInsyncReplicas, timeoutMs);
  return errorCode === ErrorCode.NONE ? answer : failed(index, errorCode);
}

function waitForReplication(replica: Replica, requiredOffset: bigint, minInsyncReplicas: number, timeoutMs: number): Promise<number> {
  return replica.waitForHighWatermark(requiredOffset, minInsyncReplicas, timeoutMs);
}

/** Endpoints of the brokers named in `currentLeader` hints (KIP-951). */
export function leaderEndpoints(broker: Broker, answers: ReadonlyArray<{ currentLeader?: { leaderId?: number } }>) {
  const ids = new Set(answers.map((a) => a.currentLeader?.leaderId ?? -1).filter((id) => id >= 0));
  return [...ids]
    .sort((a, b) => a - b)
    .flatMap((id) => {
      const b = broker.image.brokers.get(id);
      return b === undefined ? [] : [{ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }];
    });
}

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  handle: async ({ broker, header }, request): Promise<ProduceResponseInput | null> => {
    const failAll = (errorCode: number): ProduceResponseInput => ({
      throttleTimeMs: 0,
      responses: [...partitionsByTopic(request.topicData)].map(([name, partitions]) => ({
        name,
        partitionResponses: [...partitions.keys()].map((index) => failed(index, errorCode)),
      })),
    });
    if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return failAll(ErrorCode.INVALID_REQUIRED_ACKS);
    const transactionalId = header.apiVersion >= 3 ? request.transactionalId : null;
    // Kafka authorizes transactional writes by transactional id, so a transactional batch without one is refused.
    if (transactionalId === null && hasTransactionalRecords(request.topicData)) {
      if (request.acks === 0) throw new CloseConnectionSignal('acks=0 produce failed: TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
      return failAll(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    const responses = await Promise.all(
      [...partitionsByTopic(request.topicData)].map(async ([name, partitions]) => ({
        name,
        partitionResponses: await Promise.all(
          [...partitions].map(([index, records]) =>
            producePartition(broker, name, index, records, request.acks, request.timeoutMs, header.apiVersion, transactionalId, header.clientId),
          ),
        ),
      })),
    );
    if (request.acks === 0) {
      // An acks=0 producer reads no answer, so Kafka tells it of a failure the only way it can: it closes the
      // connection, and the producer reconnects and refreshes its metadata (a moved leader is found again).
      const failure = responses.flatMap((t) => t.partitionResponses.map((p) => ({ topic: t.name, ...p }))).find((p) => p.errorCode !== ErrorCode.NONE);
      if (failure !== undefined) throw new CloseConnectionSignal(`acks=0 produce to ${failure.topic}-${failure.index} failed with error ${failure.errorCode}`);
      return null;
    }
    // KIP-951: from v10, NOT_LEADER_OR_FOLLOWER answers carry the endpoints of the leaders they name.
    const nodeEndpoints = header.apiVersion >= 10 ? leaderEndpoints(broker, responses.flatMap((t) => t.partitionResponses)) : [];
    return { responses, throttleTimeMs: 0, ...(nodeEndpoints.length > 0 ? { nodeEndpoints } : {}) };
  },
});
