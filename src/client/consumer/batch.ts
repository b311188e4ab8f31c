/**
 * What a consumer hands to `eachBatch`/`eachMessage` (KafkaJS's `consumer/batch.js`,
 * `recordBatch/v0/decoder.js`, `filterAbortedMessages.js`): Fetch records decoded into KafkaJS's message
 * shape (string offsets and timestamps, headers folded into arrays on repeated keys, the batch context),
 * records below the fetch offset dropped, aborted transactional records and control records filtered out.
 */
import { CompressionCodec, decodeRecordBatch, splitBatches, type RecordBatch } from '../../protocol/index.ts';

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

export interface KafkaMessage {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  isControlRecord: boolean;
  batchContext: BatchContext;
  size?: number;
}

const LOG_APPEND_TIME = 1;

function toMessages(batch: RecordBatch): KafkaMessage[] {
  const batchContext: BatchContext = {
    firstOffset: String(batch.baseOffset),
    firstTimestamp: String(batch.baseTimestamp),
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    inTransaction: batch.isTransactional,
    isControlBatch: batch.isControl,
    lastOffsetDelta: batch.lastOffsetDelta,
    producerId: String(batch.producerId),
    producerEpoch: batch.producerEpoch,
    firstSequence: batch.baseSequence,
    maxTimestamp: String(batch.maxTimestamp),
    timestampType: batch.timestampType,
    magicByte: 2,
  };
  return batch.records.map((record) => {
    const headers: IHeaders = {};
    for (const { key, value } of record.headers) {
      const existing = headers[key];
      const v = value as Buffer;
      headers[key] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
    }
    const timestamp =
      batch.timestampType === LOG_APPEND_TIME && batch.maxTimestamp !== 0n ? String(batch.maxTimestamp) : String(batch.baseTimestamp + BigInt(record.timestampDelta));
    return {
      magicByte: 2,
      attributes: record.attributes,
      timestamp,
      offset: String(batch.baseOffset + BigInt(record.offsetDelta)),
      key: record.key,
      value: record.value,
      headers,
      isControlRecord: batch.isControl,
      batchContext,
    };
  });
}

/** Decodes a Fetch partition's records; a partial trailing batch (cut by maxBytes) is dropped, as KafkaJS does. */
export function decodeFetchedMessages(records: Buffer | null, isCodecAvailable: (codec: CompressionCodec) => void): KafkaMessage[] {
  if (records === null || records.length === 0) return [];
  const { batches } = splitBatches(records);
  const messages: KafkaMessage[] = [];
  for (const bytes of batches) {
    const batch = decodeRecordBatch(bytes, { verifyCrc: false });
    if (batch.compression !== CompressionCodec.None) isCodecAvailable(batch.compression);
    for (const message of toMessages(batch)) messages.push(message);
  }
  return messages;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

export function filterAbortedMessages(messages: KafkaMessage[], abortedTransactions: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> | null): KafkaMessage[] {
  if (abortedTransactions === null || abortedTransactions.length === 0) return messages;
  const remaining = [...abortedTransactions];
  const aborted = new Set<string>();
  return messages.filter((message) => {
    if (remaining.length > 0 && BigInt(message.offset) >= remaining[0].firstOffset) {
      aborted.add(String(remaining.shift()!.producerId));
    }
    const { producerId, inTransaction } = message.batchContext;
    // KafkaJS recognises the abort marker by its key alone.
    if (message.key !== null && message.key.equals(ABORT_MARKER_KEY)) {
      aborted.delete(producerId);
      return true;
    }
    return !(aborted.has(producerId) && inTransaction);
  });
}

export interface PartitionData {
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  abortedTransactions: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> | null;
}

export class Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly fetchedOffset: string;
  readonly rawMessages: KafkaMessage[];
  readonly messagesWithinOffset: KafkaMessage[];
  readonly messages: KafkaMessage[];

  constructor(topic: string, fetchedOffset: string, partitionData: PartitionData) {
    this.topic = topic;
    this.fetchedOffset = fetchedOffset;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = partitionData.messages;
    const from = BigInt(fetchedOffset);
    this.messagesWithinOffset = this.rawMessages.filter((m) => BigInt(m.offset) >= from);
    this.messages = filterAbortedMessages(this.messagesWithinOffset, partitionData.abortedTransactions).filter((m) => !m.isControlRecord);
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  isEmptyIncludingFiltered(): boolean {
    return this.messagesWithinOffset.length === 0;
  }

  isEmptyDueToFiltering(): boolean {
    return this.isEmpty() && this.rawMessages.length > 0;
  }

  isEmptyControlRecord(): boolean {
    return this.isEmpty() && this.messagesWithinOffset.some((m) => m.isControlRecord);
  }

  isEmptyDueToLogCompactedMessages(): boolean {
    return this.rawMessages.length > 0 && this.isEmptyIncludingFiltered();
  }

  firstOffset(): string | null {
    return this.isEmptyIncludingFiltered() ? null : this.messagesWithinOffset[0].offset;
  }

  lastOffset(): string {
    if (this.isEmptyDueToLogCompactedMessages()) return this.fetchedOffset;
    if (this.isEmptyIncludingFiltered()) return String(BigInt(this.highWatermark) - 1n);
    return this.messagesWithinOffset[this.messagesWithinOffset.length - 1].offset;
  }

  offsetLag(): string {
    return String(BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset()));
  }

  offsetLagLow(): string {
    if (this.isEmptyIncludingFiltered()) return '0';
    return String(BigInt(this.highWatermark) - 1n - BigInt(this.firstOffset()!));
  }
}
