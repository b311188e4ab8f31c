import { describe, expect, it } from 'vitest';
import { splitBatches } from '../../../src/protocol/codec/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { PartitionLog } from '../../../src/broker/log/index.ts';
import { InMemorySegmentStore } from '../../../src/broker/log/index.ts';
import { VirtualRuntime } from '../../../src/runtime/index.ts';
import { T0, appendOk, batch, newLog, values } from './support.ts';

describe('rolling segments (LogSegment.shouldRoll)', () => {
  it('rolls when the active segment would exceed segment.bytes; the new segment is named by the next offset', () => {
    const one = batch(values(5, 'v', 20));
    const { log } = newLog({ segmentBytes: 3 * one.length });
    for (let i = 0; i < 7; i++) appendOk(log, one);
    expect(log.segments().map((s) => [s.fileName, s.batchCount, s.firstOffset, s.lastOffset, s.isActive])).toEqual([
      ['00000000000000000000.log', 3, 0n, 14n, false],
      ['00000000000000000015.log', 3, 15n, 29n, false],
      ['00000000000000000030.log', 1, 30n, 34n, true],
    ]);
    expect(log.segments().every((s) => s.sizeInBytes <= 3 * one.length)).toBe(true);
  });

  it('rolls when the first batch of the segment is older than segment.ms, measured by record timestamps', () => {
    const { log } = newLog({ segmentMs: 1000 });
    appendOk(log, batch(values(1), { timestamp: T0 }));
    appendOk(log, batch(values(1), { timestamp: T0 + 1000 }));
    expect(log.numberOfSegments).toBe(1);
    appendOk(log, batch(values(1), { timestamp: T0 + 1001 }));
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0n, 2n]);
  });

  it('never rolls an empty segment for time, and uses the creation time when batches carry no timestamp', () => {
    const { log } = newLog({ segmentMs: 1000 }, T0);
    appendOk(log, batch(values(1), { timestamp: -1 }), T0 + 10);
    appendOk(log, batch(values(1), { timestamp: -1 }), T0 + 1000);
    expect(log.numberOfSegments).toBe(1);
    appendOk(log, batch(values(1), { timestamp: -1 }), T0 + 1001);
    expect(log.numberOfSegments).toBe(2);
  });

  it('subtracts segment.jitter.ms drawn from the runtime, so the same seed rolls at the same time', () => {
    const rolls = (seed: number) => {
      const runtime = new VirtualRuntime({ seed });
      const log = new PartitionLog({ store: new InMemorySegmentStore(), config: { segmentMs: 1000, segmentJitterMs: 500 }, nowMs: T0, runtime });
      const when: number[] = [];
      for (let t = 0; t <= 3000; t += 50) {
        const before = log.numberOfSegments;
        appendOk(log, batch(values(1), { timestamp: T0 + t }));
        if (log.numberOfSegments > before) when.push(t);
      }
      return when;
    };
    expect(rolls(7)).toEqual(rolls(7));
    expect(rolls(7)[0]).toBeLessThanOrEqual(1050);
    expect(rolls(7)[0]).toBeGreaterThan(500);
  });

  it('rolls when the offset index or the time index is full (segment.index.bytes)', () => {
    // 36 bytes: 4 offset entries, 3 time entries of which one is kept for the roll. Equal timestamps add one time
    // entry only, so the offset index fills first: entries for batches 1..4, then batch 5 rolls.
    const { log } = newLog({ segmentIndexBytes: 36, indexIntervalBytes: 0 });
    for (let i = 0; i < 12; i++) appendOk(log, batch(values(1)));
    expect(log.segments().map((s) => [s.baseOffset, s.indexEntries.length])).toEqual([[0n, 4], [5n, 4], [10n, 1]]);
    // 16 bytes leave the time index one slot, the reserved one: it is always full and every append rolls.
    const tiny = newLog({ segmentIndexBytes: 16 }).log;
    for (let i = 0; i < 3; i++) appendOk(tiny, batch(values(1)));
    expect(tiny.segments().map((s) => s.baseOffset)).toEqual([0n, 1n, 2n]);
  });

  it('flushes the rolled segment: a machine crash then loses only the active segment\'s tail', () => {
    const one = batch(values(3));
    const { log } = newLog({ segmentBytes: 2 * one.length });
    for (let i = 0; i < 3; i++) appendOk(log, one);
    expect(log.recoveryPoint).toBe(6n);
    log.crash({ loseUnflushed: true });
    log.recover();
    expect(log.logEndOffset).toBe(6n);
  });
});

describe('read', () => {
  function threeBatches() {
    const { log } = newLog();
    const sizes = [batch(values(2)).length, batch(values(3, 'w')).length, batch(values(4, 'x')).length];
    appendOk(log, batch(values(2)));
    appendOk(log, batch(values(3, 'w')));
    appendOk(log, batch(values(4, 'x')));
    return { log, sizes };
  }

  it('starts with the whole batch holding the fetch offset, which may begin before it', () => {
    const { log } = threeBatches();
    const read = log.read(3n, { maxBytes: 10_000 });
    expect([read.errorCode, read.firstOffset, read.lastOffset, read.batchCount]).toEqual([ErrorCode.NONE, 2n, 8n, 2]);
  });

  it('returns whole batches within maxBytes, and at least one batch when minOneMessage (KIP-74)', () => {
    const { log, sizes } = threeBatches();
    expect(log.read(0n, { maxBytes: sizes[0] + sizes[1] }).batchCount).toBe(2);
    expect(log.read(0n, { maxBytes: sizes[0] + sizes[1] - 1 }).batchCount).toBe(1);
    const tiny = log.read(0n, { maxBytes: 10, minOneMessage: true });
    expect([tiny.batchCount, tiny.records.length]).toEqual([1, sizes[0]]);
    const none = log.read(0n, { maxBytes: 10, minOneMessage: false });
    expect([none.batchCount, none.records.length, none.isFirstEntryIncomplete]).toEqual([0, 0, true]);
    expect(splitBatches(log.read(0n, { maxBytes: 1 << 20 }).records).truncatedTail).toBe(0);
  });

  it('stops before maxOffset (the high watermark or last stable offset, exclusive)', () => {
    const { log } = threeBatches();
    expect(log.read(0n, { maxBytes: 10_000, maxOffset: 5n }).lastOffset).toBe(4n);
    expect(log.read(0n, { maxBytes: 10_000, maxOffset: 4n }).lastOffset).toBe(1n);
    // maxOffset inside the first batch: Kafka's max position is that batch's start, so nothing comes back.
    expect(log.read(2n, { maxBytes: 10_000, maxOffset: 4n }).batchCount).toBe(0);
    expect(log.read(5n, { maxBytes: 10_000, maxOffset: 5n })).toMatchObject({ errorCode: ErrorCode.NONE, batchCount: 0 });
    expect(log.read(7n, { maxBytes: 10_000, maxOffset: 5n })).toMatchObject({ errorCode: ErrorCode.NONE, batchCount: 0 });
  });

  it('answers OFFSET_OUT_OF_RANGE (a value) below the log start offset and beyond the log end offset; LEO itself is empty', () => {
    const { log } = threeBatches();
    log.deleteRecordsBefore(3n);
    expect(log.read(2n, { maxBytes: 100 }).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(log.read(10n, { maxBytes: 100 }).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(log.read(9n, { maxBytes: 100 })).toMatchObject({ errorCode: ErrorCode.NONE, batchCount: 0 });
    expect(log.read(3n, { maxBytes: 100 })).toMatchObject({ errorCode: ErrorCode.NONE, firstOffset: 2n });
  });

  it('serves one segment per read, as Kafka does', () => {
    const one = batch(values(2));
    const { log } = newLog({ segmentBytes: 2 * one.length });
    for (let i = 0; i < 4; i++) appendOk(log, one);
    const read = log.read(0n, { maxBytes: 1 << 20 });
    expect([read.firstOffset, read.lastOffset]).toEqual([0n, 3n]);
    expect(log.read(4n, { maxBytes: 1 << 20 }).lastOffset).toBe(7n);
  });

  it('hands out views that later truncation and appends never change', () => {
    const { log } = threeBatches();
    const read = log.read(0n, { maxBytes: 1 << 20 });
    const copy = Buffer.from(read.records);
    log.truncateTo(2n);
    appendOk(log, batch(values(5, 'overwrite', 30)));
    expect(read.records.equals(copy)).toBe(true);
  });
});
