import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../src/protocol/codec/compression.ts';
import { encodeEndTxnMarkerBatch } from '../../../src/protocol/codec/control-records.ts';
import { decodeRecordBatch, encodeRecordBatch, readBatchHeader, setBaseOffset } from '../../../src/protocol/codec/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { AssertionError } from '../../../src/runtime/assert.ts';
import { T0, appendOk, batch, newLog, observable, readAll, values } from './support.ts';

describe('appendAsLeader', () => {
  it('assigns offsets from the log end offset and stamps the leader epoch, in a copy of the input', () => {
    const { log } = newLog();
    const input = batch(values(3));
    const first = log.appendAsLeader(input, { leaderEpoch: 4, nowMs: T0 });
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, firstOffset: 0n, lastOffset: 2n, logAppendTime: -1n, maxTimestamp: BigInt(T0), shallowCount: 1, validBytes: input.length });
    const second = log.appendAsLeader(batch(values(2)), { leaderEpoch: 5, nowMs: T0 });
    expect([second.firstOffset, second.lastOffset, log.logEndOffset]).toEqual([3n, 4n, 5n]);
    expect(readBatchHeader(input).baseOffset).toBe(0n);
    const stored = log.read(3n, { maxBytes: 1000 });
    expect(readBatchHeader(stored.records)).toMatchObject({ baseOffset: 3n, partitionLeaderEpoch: 5 });
    expect(log.epochEntries()).toEqual([{ epoch: 4, startOffset: 0n }, { epoch: 5, startOffset: 3n }]);
  });

  it('recomputes maxTimestamp from the records for CreateTime (a client cannot lie about it)', () => {
    const { log } = newLog();
    const input = batch([{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 500 }], { maxTimestamp: BigInt(T0 + 99_999) });
    const result = appendOk(log, input);
    expect(result).toMatchObject({ firstOffset: 0n });
    const stored = decodeRecordBatch(log.read(0n, { maxBytes: 1000 }).records);
    expect(stored.maxTimestamp).toBe(BigInt(T0 + 500));
    expect(log.segments()[0].maxTimestamp).toBe(BigInt(T0 + 500));
  });

  it('stamps LogAppendTime with the broker time and reports it', () => {
    const { log } = newLog({ messageTimestampType: 'LogAppendTime' });
    const result = log.appendAsLeader(batch(values(2), { timestamp: 5 }), { leaderEpoch: 0, nowMs: T0 + 42 });
    expect(result.logAppendTime).toBe(BigInt(T0 + 42));
    const stored = decodeRecordBatch(log.read(0n, { maxBytes: 1000 }).records);
    expect([stored.timestampType, stored.maxTimestamp]).toEqual([1, BigInt(T0 + 42)]);
    expect(readAll(log).map((r) => r.timestamp)).toEqual([BigInt(T0 + 42), BigInt(T0 + 42)]);
  });

  it('keeps compression and rebuilds a batch whose inner offsets are not 0..n-1', () => {
    const { log } = newLog();
    const input = batch(values(3), { compression: CompressionCodec.LZ4 });
    appendOk(log, input);
    expect(decodeRecordBatch(log.read(0n, { maxBytes: 10_000 }).records).compression).toBe(CompressionCodec.LZ4);
    const skewed = batch(values(2), { compression: CompressionCodec.GZIP });
    const decoded = decodeRecordBatch(skewed);
    const odd = encodeRecordBatch({ ...decoded, lastOffsetDelta: 1, records: decoded.records.map((r, i) => ({ ...r, offsetDelta: i * 5 })) });
    const result = appendOk(log, odd);
    expect([result.firstOffset, result.lastOffset]).toEqual([3n, 4n]);
    expect(decodeRecordBatch(log.read(3n, { maxBytes: 10_000 }).records).compression).toBe(CompressionCodec.GZIP);
    expect(readAll(log).map((r) => [r.offset, r.value])).toEqual([[0n, 'v0'], [1n, 'v1'], [2n, 'v2'], [3n, 'v0'], [4n, 'v1']]);
  });

  it('appends nothing, without an error, for empty records (as Kafka does with no valid bytes)', () => {
    const { log, store } = newLog();
    const before = observable(log, store);
    expect(log.appendAsLeader(Buffer.alloc(0), { leaderEpoch: 0, nowMs: T0 })).toMatchObject({ errorCode: ErrorCode.NONE, firstOffset: -1n, validBytes: 0 });
    expect(observable(log, store)).toEqual(before);
  });

  it('lets coordinators append control batches that clients may not', () => {
    const { log, store } = newLog();
    const marker = encodeEndTxnMarkerBatch({ type: 1, coordinatorEpoch: 0, producerId: 7n, producerEpoch: 0, timestamp: BigInt(T0) });
    const before = observable(log, store);
    expect(log.appendAsLeader(marker, { leaderEpoch: 0, nowMs: T0 })).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD, errorMessage: 'Clients are not allowed to write control records' });
    expect(observable(log, store)).toEqual(before);
    expect(log.appendAsLeader(marker, { leaderEpoch: 0, nowMs: T0, origin: 'coordinator' })).toMatchObject({ errorCode: ErrorCode.NONE, firstOffset: 0n });
  });
});

describe('appendAsLeader rejects bad input with Kafka error values and changes nothing', () => {
  function rejected(config: Parameters<typeof newLog>[0], input: Buffer, errorCode: number) {
    const { log, store } = newLog(config);
    appendOk(log, batch([{ key: 'a' }, { key: 'b' }]));
    const before = observable(log, store);
    const result = log.appendAsLeader(input, { leaderEpoch: 3, nowMs: T0 + 1 });
    expect(result.errorCode).toBe(errorCode);
    expect(result.firstOffset).toBe(-1n);
    expect(observable(log, store)).toEqual(before);
    return result;
  }

  it('CORRUPT_MESSAGE for a CRC mismatch', () => {
    const input = batch(values(2));
    input[input.length - 1] ^= 0xff;
    expect(rejected({}, input, ErrorCode.CORRUPT_MESSAGE).errorMessage).toMatch(/^Record is corrupt \(stored crc = \d+\)$/);
  });

  it('CORRUPT_MESSAGE for a magic byte that is no format, UNSUPPORTED_FOR_MESSAGE_FORMAT for v0/v1', () => {
    const input = batch(values(1));
    input[16] = 3;
    expect(rejected({}, input, ErrorCode.CORRUPT_MESSAGE).errorMessage).toBe('Invalid magic found in record: 3');
    const legacy = batch(values(1));
    legacy[16] = 1;
    rejected({}, legacy, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  });

  it('CORRUPT_MESSAGE for a truncated batch', () => {
    rejected({}, batch(values(2)).subarray(0, 40), ErrorCode.CORRUPT_MESSAGE);
  });

  it('MESSAGE_TOO_LARGE above max.message.bytes, RECORD_LIST_TOO_LARGE above segment.bytes', () => {
    const big = batch(values(10, 'v', 100));
    expect(rejected({ maxMessageBytes: big.length - 1 }, big, ErrorCode.MESSAGE_TOO_LARGE).errorMessage).toContain(`is ${big.length} bytes`);
    rejected({ maxMessageBytes: big.length, segmentBytes: big.length - 1 }, big, ErrorCode.RECORD_LIST_TOO_LARGE);
  });

  it('INVALID_RECORD for a client batch with a non-zero base offset, a bad count, two batches, or a missing sequence', () => {
    const offsetSet = batch(values(1));
    setBaseOffset(offsetSet, 5n);
    rejected({}, offsetSet, ErrorCode.INVALID_RECORD);
    rejected({}, batch(values(2), { lastOffsetDelta: 3 }), ErrorCode.INVALID_RECORD);
    rejected({}, Buffer.concat([batch(values(1)), batch(values(1))]), ErrorCode.INVALID_RECORD);
    rejected({}, batch(values(1), { producerId: 9n, producerEpoch: 0, baseSequence: -1 }), ErrorCode.INVALID_RECORD);
  });

  it('INVALID_RECORD with recordErrors for keyless records on a compacted topic', () => {
    const result = rejected({ cleanupPolicy: 'compact' }, batch([{ key: 'k', value: 'a' }, { value: 'no key' }, { value: 'none either' }]), ErrorCode.INVALID_RECORD);
    expect(result.recordErrors).toEqual([
      { batchIndex: 1, message: 'Compacted topic cannot accept message without key' },
      { batchIndex: 2, message: 'Compacted topic cannot accept message without key' },
    ]);
    expect(result.errorMessage).toMatch(/^One or more records have been rejected due to 2 record errors/);
  });
});

describe('appendAsFollower', () => {
  it('keeps the leader\'s offsets and epochs, and accepts a gap left by compaction', () => {
    const leader = newLog().log;
    appendOk(leader, batch(values(3)), T0, 2);
    appendOk(leader, batch(values(2)), T0, 3);
    const follower = newLog().log;
    const fetched = leader.read(0n, { maxBytes: 10_000 });
    expect(follower.appendAsFollower(fetched.records)).toMatchObject({ errorCode: ErrorCode.NONE, firstOffset: 0n, lastOffset: 4n, shallowCount: 2 });
    expect(follower.epochEntries()).toEqual([{ epoch: 2, startOffset: 0n }, { epoch: 3, startOffset: 3n }]);
    const afterGap = batch(values(1), { baseOffset: 9n, partitionLeaderEpoch: 3 });
    expect(follower.appendAsFollower(afterGap).firstOffset).toBe(9n);
    expect(follower.logEndOffset).toBe(10n);
  });

  it('asserts that batches never overlap the log (a fetcher bug) and rejects a corrupt batch as a value', () => {
    const follower = newLog().log;
    follower.appendAsFollower(batch(values(2), { partitionLeaderEpoch: 0 }));
    expect(() => follower.appendAsFollower(batch(values(1), { baseOffset: 1n, partitionLeaderEpoch: 0 }))).toThrow(AssertionError);
    const corrupt = batch(values(1), { baseOffset: 2n });
    corrupt[corrupt.length - 1] ^= 1;
    expect(follower.appendAsFollower(corrupt).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(follower.logEndOffset).toBe(2n);
  });
});
