/**
 * What a consumer hands to `eachBatch`/`eachMessage` (KafkaJS's `consumer/batch.js`,
 * `recordBatch/v0/decoder.js`, `filterAbortedMessages.js`): Fetch records decoded into KafkaJS's message
 * shape (string offsets and timestamps, headers folded into arrays on repeated keys, the batch context),
 * records below the fetch offset dropped, aborted transactional records and control records filtered out.
 *
 * KafkaJS decodes every partition of a Fetch response when the response arrives. Here every check that decode
 * makes still runs then (`scanFetchedRecords`: same errors, same moment), but the message objects of a partition
 * are only built when its batch is about to be processed (`FetchedPartition.toBatch`): with a 1 MB-per-partition
 * fetch, building all partitions up front keeps tens of thousands of messages alive across garbage collections
 * for nothing, and copying them is most of what a fast consumer spends its time on.
 */
import { CompressionCodec, decodeRecordBatchWith, scanRecordBatch, splitBatches } from '../../protocol/index.ts';

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

/**
 * A Fetch partition's record batches after `scanFetchedRecords`: an uncompressed batch stays as its bytes
 * (checked, decoded later), a compressed one is already decoded (decompressing twice would cost more than the
 * messages it would defer).
 */
export type ScannedRecords = ReadonlyArray<Buffer | KafkaMessage[]>;

const EMPTY_SCAN: ScannedRecords = [];
const ignoreRecord = (): void => undefined;

/**
 * Every check decoding makes, in the same order and with the same errors (the codec registry, then the batch's
 * size, magic, header and each record), without building messages; `decodeScannedRecords` then cannot fail.
 * A partial trailing batch (cut by maxBytes) is dropped, as KafkaJS does.
 */
export function scanFetchedRecords(records: Buffer | null, isCodecAvailable: (codec: CompressionCodec) => void): ScannedRecords {
  if (records === null || records.length === 0) return EMPTY_SCAN;
  const { batches } = splitBatches(records);
  const scanned: Array<Buffer | KafkaMessage[]> = [];
  for (const bytes of batches) {
    const codec = (bytes.readInt16BE(ATTRIBUTES_OFFSET) & 0x07) as CompressionCodec;
    if (codec !== CompressionCodec.None) {
      isCodecAvailable(codec);
      const messages: KafkaMessage[] = [];
      appendBatchMessages(bytes, messages);
      scanned.push(messages);
    } else {
      scanRecordBatch(bytes, { verifyCrc: false }, ignoreRecord);
      scanned.push(bytes);
    }
  }
  return scanned;
}

function decodeScannedRecords(scanned: ScannedRecords): KafkaMessage[] {
  const messages: KafkaMessage[] = [];
  for (let i = 0; i < scanned.length; i++) {
    const entry = scanned[i];
    if (Buffer.isBuffer(entry)) appendBatchMessages(entry, messages);
    else for (let j = 0; j < entry.length; j++) messages.push(entry[j]);
  }
  return messages;
}

/**
 * One pass from batch bytes to KafkaJS messages. Offsets and timestamps are formatted from numbers when they
 * are safe integers (always, in practice), from bigints otherwise. Records of a batch usually share their
 * timestamp, so its string is formatted once and shared (strings are values: nobody can tell).
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
    let lastTimestampDelta = NaN;
    let lastTimestamp = '';
    return (attributes, timestampDelta, offsetDelta, key, value, recordHeaders): KafkaMessage => {
      let timestamp: string;
      if (logAppendTimestamp !== null) {
        timestamp = logAppendTimestamp;
      } else if (timestampDelta === lastTimestampDelta) {
        timestamp = lastTimestamp;
      } else {
        timestamp = safe ? String(baseTimestamp + timestampDelta) : String(header.baseTimestamp + BigInt(timestampDelta));
        lastTimestamp = timestamp;
        lastTimestampDelta = timestampDelta;
      }
      return {
        magicByte: 2,
        attributes,
        timestamp,
        offset: safe ? String(baseOffset + offsetDelta) : String(header.baseOffset + BigInt(offsetDelta)),
        key,
        value,
        headers: recordHeaders.length === 0 ? {} : foldHeaders(recordHeaders),
        isControlRecord: isControl,
        batchContext,
      };
    };
  });
  for (let i = 0; i < records.length; i++) out.push(records[i]);
}

/** KafkaJS's header reduce: a repeated key turns into an array of its values, in order. */
function foldHeaders(recordHeaders: ReadonlyArray<{ key: string; value: Buffer | null }>): IHeaders {
  const headers: IHeaders = {};
  for (let i = 0; i < recordHeaders.length; i++) {
    const { key: name, value: v } = recordHeaders[i];
    const existing = headers[name];
    headers[name] = existing === undefined ? (v as Buffer) : Array.isArray(existing) ? [...existing, v as Buffer] : [existing, v as Buffer];
  }
  return headers;
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

/**
 * One partition of a Fetch response as the fetcher queues it: what filtering by topic and partition needs,
 * and the checked records, turned into a `Batch` (KafkaJS's object, unchanged) right before it is processed.
 */
export class FetchedPartition {
  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly fetchedOffset: string,
    private readonly highWatermark: string,
    private readonly records: ScannedRecords,
    private readonly abortedTransactions: PartitionData['abortedTransactions'],
  ) {}

  toBatch(): Batch {
    return new Batch(this.topic, this.fetchedOffset, {
      partition: this.partition,
      highWatermark: this.highWatermark,
      messages: decodeScannedRecords(this.records),
      abortedTransactions: this.abortedTransactions,
    });
  }
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
