/**
 * What a consumer hands to `eachBatch`/`eachMessage` (KafkaJS's `consumer/batch.js`,
 * `recordBatch/v0/decoder.js`, `filterAbortedMessages.js`): Fetch records decoded into KafkaJS's message
 * shape (string offsets and timestamps, headers folded into arrays on repeated keys, the batch context),
 * records below the fetch offset dropped, aborted transactional records and control records filtered out.
 */
import { CompressionCodec, decodeRecordBatchWith, splitBatches } from '../../protocol/index.ts';

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
/** Offset of the attributes field in a v2 batch; the codec is in its low three bits. */
const ATTRIBUTES_OFFSET = 21;

/** Decodes a Fetch partition's records; a partial trailing batch (cut by maxBytes) is dropped, as KafkaJS does. */
export function decodeFetchedMessages(records: Buffer | null, isCodecAvailable: (codec: CompressionCodec) => void): KafkaMessage[] {
  if (records === null || records.length === 0) return [];
  const { batches } = splitBatches(records);
  const messages: KafkaMessage[] = [];
  for (const bytes of batches) {
    const codec = (bytes.readInt16BE(ATTRIBUTES_OFFSET) & 0x07) as CompressionCodec;
    if (codec !== CompressionCodec.None) isCodecAvailable(codec);
    appendBatchMessages(bytes, messages);
  }
  return messages;
}

/**
 * One pass from batch bytes to KafkaJS messages. Offsets and timestamps are formatted from numbers when they
 * are safe integers (always, in practice), from bigints otherwise.
 */
function appendBatchMessages(bytes: Buffer, out: KafkaMessage[]): void {
  const { records } = decodeRecordBatchWith(bytes, { verifyCrc: false }, (header) => {
    const batchContext: BatchContext = {
      firstOffset: String(header.baseOffset),
      firstTimestamp: String(header.baseTimestamp),
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      inTransaction: header.isTransactional,
      isControlBatch: header.isControl,
      lastOffsetDelta: header.lastOffsetDelta,
      producerId: String(header.producerId),
      producerEpoch: header.producerEpoch,
      firstSequence: header.baseSequence,
      maxTimestamp: String(header.maxTimestamp),
      timestampType: header.timestampType,
      magicByte: 2,
    };
    const isControl = header.isControl;
    const LIMIT = 2n ** 52n;
    const safe = header.baseOffset < LIMIT && header.baseOffset > -LIMIT && header.baseTimestamp < LIMIT && header.baseTimestamp > -LIMIT;
    const baseOffset = Number(header.baseOffset);
    const baseTimestamp = Number(header.baseTimestamp);
    const logAppendTimestamp = header.timestampType === LOG_APPEND_TIME && header.maxTimestamp !== 0n ? String(header.maxTimestamp) : null;
    return (attributes, timestampDelta, offsetDelta, key, value, recordHeaders): KafkaMessage => {
      const headers: IHeaders = {};
      for (let i = 0; i < recordHeaders.length; i++) {
        const { key: name, value: v } = recordHeaders[i];
        const existing = headers[name];
        headers[name] = existing === undefined ? (v as Buffer) : Array.isArray(existing) ? [...existing, v as Buffer] : [existing, v as Buffer];
      }
      return {
        magicByte: 2,
        attributes,
        timestamp: logAppendTimestamp ?? (safe ? String(baseTimestamp + timestampDelta) : String(header.baseTimestamp + BigInt(timestampDelta))),
        offset: safe ? String(baseOffset + offsetDelta) : String(header.baseOffset + BigInt(offsetDelta)),
        key,
        value,
        headers,
        isControlRecord: isControl,
        batchContext,
      };
    };
  });
  for (let i = 0; i < records.length; i++) out.push(records[i]);
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
    // Records come in offset order, so those below the fetch offset (from the start of the first batch) are a prefix.
    const from = BigInt(fetchedOffset);
    let skip = 0;
    while (skip < this.rawMessages.length && BigInt(this.rawMessages[skip].offset) < from) skip++;
    this.messagesWithinOffset = this.rawMessages.slice(skip);
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
