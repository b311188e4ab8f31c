/**
 * Helpers for the log tests: batches built with the real codec, a log over an in-memory store, and a reader that
 * walks the whole log back into (offset, key, value) records.
 */
import { CompressionCodec } from '../../../src/protocol/codec/compression.ts';
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from '../../../src/protocol/codec/record-batch.ts';
import type { RecordBatchInput } from '../../../src/protocol/codec/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { InMemorySegmentStore, PartitionLog } from '../../../src/broker/log/index.ts';
import type { LogConfig } from '../../../src/broker/log/index.ts';

export const T0 = 1_700_000_000_000;

export interface TestRecord {
  key?: string | null;
  value?: string | null;
  /** Absolute timestamp; default: the batch's base timestamp. */
  timestamp?: number;
}

export function batch(records: readonly TestRecord[], options: Partial<RecordBatchInput> & { timestamp?: number } = {}): Buffer {
  const baseTimestamp = BigInt(options.timestamp ?? records[0]?.timestamp ?? T0);
  return encodeRecordBatch({
    compression: CompressionCodec.None,
    ...options,
    baseTimestamp,
    records: records.map((record) => ({
      key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
      value: record.value === undefined ? Buffer.from('v') : record.value === null ? null : Buffer.from(record.value),
      timestampDelta: record.timestamp === undefined ? 0 : Number(BigInt(record.timestamp) - baseTimestamp),
    })),
  });
}

/** `count` records whose values are `${prefix}${i}` padded to `valueBytes`. */
export function values(count: number, prefix = 'v', valueBytes = 0): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}`.padEnd(valueBytes, '.') }));
}

export function newLog(config: Partial<LogConfig> = {}, nowMs = T0): { log: PartitionLog; store: InMemorySegmentStore } {
  const store = new InMemorySegmentStore();
  return { log: new PartitionLog({ store, config, nowMs }), store };
}

export function appendOk(log: PartitionLog, records: Buffer, nowMs = T0, leaderEpoch = 0): { firstOffset: bigint; lastOffset: bigint } {
  const result = log.appendAsLeader(records, { leaderEpoch, nowMs });
  if (result.errorCode !== ErrorCode.NONE) throw new Error(`append failed with ${result.errorCode}: ${result.errorMessage}`);
  return result;
}

export interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
}

/** Every record in [logStartOffset, LEO), read back batch by batch as a consumer would. */
export function readAll(log: PartitionLog, from = log.logStartOffset): ReadRecord[] {
  const records: ReadRecord[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 1 << 20, maxOffset: log.logEndOffset, minOneMessage: true });
    if (read.errorCode !== ErrorCode.NONE) throw new Error(`read at ${offset} failed with ${read.errorCode}`);
    if (read.records.length === 0) break;
    let next = offset;
    for (const bytes of splitBatches(read.records).batches) {
      const decoded = decodeRecordBatch(bytes);
      for (const record of decoded.records) {
        const recordOffset = decoded.baseOffset + BigInt(record.offsetDelta);
        if (recordOffset < offset) continue;
        records.push({
          offset: recordOffset,
          key: record.key === null ? null : record.key.toString(),
          value: record.value === null ? null : record.value.toString(),
          timestamp: decoded.timestampType === 1 ? decoded.maxTimestamp : decoded.baseTimestamp + BigInt(record.timestampDelta),
        });
      }
      next = decoded.baseOffset + BigInt(decoded.lastOffsetDelta) + 1n;
    }
    if (next <= offset) throw new Error(`read at ${offset} made no progress`);
    offset = next;
  }
  return records;
}

/** A snapshot of everything observable, to show that a rejected operation changed nothing. */
export function observable(log: PartitionLog, store: InMemorySegmentStore): unknown {
  return {
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    segments: log.segments(),
    bytes: store.totalBytes(),
    epochs: log.epochEntries(),
  };
}
