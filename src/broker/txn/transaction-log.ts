/**
 * The records of `__transaction_state` (Kafka's `TransactionLog`, `TransactionLogKey` v0 and `TransactionLogValue`
 * v0): the key is the transactional id, the value the metadata after a transition, a null value (tombstone) an
 * expired id. The topic is compacted, so the latest record per transactional id is its state; a coordinator that
 * takes over a partition replays them (`loadTransactions`).
 *
 *   key   = version int16 (0) · transactionalId string
 *   value = version int16 (0) · producerId int64 · producerEpoch int16 · transactionTimeoutMs int32 ·
 *           transactionStatus int8 · transactionPartitions [topic string · partitionIds [int32]] (null when Empty) ·
 *           transactionLastUpdateTimestampMs int64 · transactionStartTimestampMs int64
 *
 * Left out: value v1 (flexible, KIP-890's tagged fields), and the previous producer id, which Kafka 3.x does not
 * persist either (a KIP-360 retry across a coordinator move is refused, as in Kafka).
 */
import { decodeRecordBatch, encodeRecordBatch, RecordBatchDecodeError, splitBatches } from '../../protocol/codec/record-batch.ts';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TRANSACTION_STATES,
  TRANSACTION_STATUS,
  TransactionMetadata,
  type TopicPartition,
  type TxnTransitMetadata,
} from './transaction-metadata.ts';

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

class Writer {
  private readonly parts: Buffer[] = [];

  int8(value: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(value);
    return this.push(b);
  }
  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    return this.push(b);
  }
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }
  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    return this.push(b);
  }
  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.int16(bytes.length).push(bytes);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Cursor {
  position = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.position + n > this.buf.length) throw new RecordBatchDecodeError(`transaction log record truncated at ${this.position}`);
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8((this.position += 1) - 1);
  }
  int16(): number {
    this.need(2);
    return this.buf.readInt16BE((this.position += 2) - 2);
  }
  int32(): number {
    this.need(4);
    return this.buf.readInt32BE((this.position += 4) - 4);
  }
  int64(): bigint {
    this.need(8);
    return this.buf.readBigInt64BE((this.position += 8) - 8);
  }
  string(): string {
    const length = this.int16();
    if (length < 0) throw new RecordBatchDecodeError('null string in a transaction log record');
    this.need(length);
    return this.buf.toString('utf8', this.position, (this.position += length));
  }
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer().int16(KEY_VERSION).string(transactionalId).done();
}

export function encodeTransactionLogValue(transit: TxnTransitMetadata): Buffer {
  const writer = new Writer()
    .int16(VALUE_VERSION)
    .int64(transit.producerId)
    .int16(transit.producerEpoch)
    .int32(transit.txnTimeoutMs)
    .int8(TRANSACTION_STATUS[transit.state]);
  if (transit.state === 'Empty') writer.int32(-1);
  else {
    const byTopic = new Map<string, number[]>();
    for (const tp of transit.topicPartitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    writer.int32(byTopic.size);
    for (const [topic, partitions] of byTopic) {
      writer.string(topic).int32(partitions.length);
      for (const partition of partitions) writer.int32(partition);
    }
  }
  return writer.int64(BigInt(transit.txnLastUpdateTimestamp)).int64(BigInt(transit.txnStartTimestamp)).done();
}

/** One uncompressed batch holding one record, as the coordinator appends it. */
export function encodeTransactionLogBatch(transactionalId: string, transit: TxnTransitMetadata | null, nowMs: number): Buffer {
  return encodeRecordBatch({
    baseTimestamp: BigInt(nowMs),
    records: [{ key: encodeTransactionLogKey(transactionalId), value: transit === null ? null : encodeTransactionLogValue(transit), headers: [] }],
  });
}

/** The transactional id of a key, null for key versions this coordinator does not own. */
export function decodeTransactionLogKey(key: Buffer): string | null {
  const cursor = new Cursor(key);
  return cursor.int16() === KEY_VERSION ? cursor.string() : null;
}

export function decodeTransactionLogValue(transactionalId: string, value: Buffer): TransactionMetadata {
  const cursor = new Cursor(value);
  const version = cursor.int16();
  if (version < 0 || version > 1) throw new RecordBatchDecodeError(`unknown transaction log value version ${version}`);
  const producerId = cursor.int64();
  const producerEpoch = cursor.int16();
  const txnTimeoutMs = cursor.int32();
  const status = cursor.int8();
  const state = TRANSACTION_STATES.find((s) => TRANSACTION_STATUS[s] === status);
  if (state === undefined) throw new RecordBatchDecodeError(`unknown transaction status ${status}`);
  const topicPartitions: TopicPartition[] = [];
  const topicCount = cursor.int32();
  for (let i = 0; i < topicCount; i++) {
    const topic = cursor.string();
    const count = cursor.int32();
    for (let j = 0; j < count; j++) topicPartitions.push({ topic, partition: cursor.int32() });
  }
  const txnLastUpdateTimestamp = Number(cursor.int64());
  const txnStartTimestamp = Number(cursor.int64());
  return new TransactionMetadata(transactionalId, {
    producerId,
    lastProducerId: NO_PRODUCER_ID,
    producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state,
    topicPartitions,
    txnStartTimestamp,
    txnLastUpdateTimestamp,
  });
}

/**
 * Replays a partition's records in offset order: the latest record per transactional id wins, a tombstone removes
 * it. Unreadable records are skipped, as Kafka's loader skips what it cannot parse.
 */
export function replayTransactionLog(records: Buffer, into: Map<string, TransactionMetadata>): void {
  for (const batch of splitBatches(records).batches) {
    let decoded;
    try {
      decoded = decodeRecordBatch(batch, { verifyCrc: false });
    } catch (error) {
      if (error instanceof RecordBatchDecodeError) continue;
      throw error;
    }
    if (decoded.isControl) continue;
    for (const record of decoded.records) {
      if (record.key === null) continue;
      try {
        const transactionalId = decodeTransactionLogKey(record.key);
        if (transactionalId === null) continue;
        if (record.value === null) into.delete(transactionalId);
        else {
          // Map order is the order ids were first seen; re-inserting keeps later iteration deterministic either way.
          into.delete(transactionalId);
          into.set(transactionalId, decodeTransactionLogValue(transactionalId, record.value));
        }
      } catch (error) {
        if (!(error instanceof RecordBatchDecodeError)) throw error;
      }
    }
  }
}
