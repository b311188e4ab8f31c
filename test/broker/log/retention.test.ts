import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { T0, appendOk, batch, newLog, readAll, values } from './support.ts';


const HOUR = 3_600_000;

/** Four segments of two batches each; batch i carries timestamp T0 + i hours. Segment bases 0, 4, 8, 12. */
function fourSegments(config: Parameters<typeof newLog>[0] = {}) {
  const records = (i: number) => batch([{ key: `a${i}`, value: 'x' }, { key: `b${i}`, value: 'y' }], { timestamp: T0 + i * HOUR });
  const { log, store } = newLog({ segmentBytes: 2 * records(0).length, ...config });
  for (let i = 0; i < 7; i++) appendOk(log, records(i));
  return { log, store, segmentSize: 2 * records(0).length };
}

describe('retention (UnifiedLog.deleteOldSegments)', () => {
  it('by retention.ms against each segment\'s largest timestamp, deleting whole segments and moving logStartOffset', () => {
    const { log, store } = fourSegments({ retentionMs: 3 * HOUR });
    expect(log.segments().map((s) => [s.baseOffset, s.maxTimestamp])).toEqual([
      [0n, BigInt(T0 + HOUR)],
      [4n, BigInt(T0 + 3 * HOUR)],
      [8n, BigInt(T0 + 5 * HOUR)],
      [12n, BigInt(T0 + 6 * HOUR)],
    ]);
    // At T0 + 6h + 1: segment 0 (max T0 + 1h) is 5h old, segment 4 (T0 + 3h) exactly 3h + 1ms: both go.
    expect(log.deleteOldSegments(T0 + 6 * HOUR + 1, log.logEndOffset)).toBe(2);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([8n, 12n]);
    expect(log.logStartOffset).toBe(8n);
    expect(store.list()).toEqual(['00000000000000000008.log', '00000000000000000012.log']);
    expect(readAll(log)[0].offset).toBe(8n);
    expect(log.read(7n, { maxBytes: 100 }).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('by retention.bytes: the oldest segments go while the log stays at or above the limit without them', () => {
    const { log, segmentSize } = fourSegments({ retentionMs: -1, retentionBytes: 0 });
    log.updateConfig({ retentionBytes: log.size - 2 * segmentSize });
    expect(log.deleteOldSegments(T0, log.logEndOffset)).toBe(2);
    expect(log.logStartOffset).toBe(8n);
    log.updateConfig({ retentionBytes: log.size - segmentSize + 1 });
    expect(log.deleteOldSegments(T0, log.logEndOffset)).toBe(0);
  });

  it('never deletes beyond the high watermark', () => {
    const { log } = fourSegments({ retentionMs: 1 });
    expect(log.deleteOldSegments(T0 + 100 * HOUR, 7n)).toBe(1);
    expect(log.logStartOffset).toBe(4n);
    expect(log.deleteOldSegments(T0 + 100 * HOUR, 8n)).toBe(1);
    expect(log.logStartOffset).toBe(8n);
  });

  it('rolls an expired active segment before deleting it, so an empty active segment always remains', () => {
    const { log, store } = fourSegments({ retentionMs: HOUR });
    expect(log.deleteOldSegments(T0 + 100 * HOUR, log.logEndOffset)).toBe(4);
    expect(log.segments()).toMatchObject([{ baseOffset: 14n, sizeInBytes: 0, isActive: true }]);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([14n, 14n]);
    expect(store.list()).toEqual(['00000000000000000014.log']);
    // The empty active segment is never deleted, however old.
    expect(log.deleteOldSegments(T0 + 1000 * HOUR, log.logEndOffset)).toBe(0);
    expect(appendOk(log, batch(values(1))).firstOffset).toBe(14n);
  });

  it('keeps every segment with cleanup.policy=compact, except those below the log start offset', () => {
    const { log } = fourSegments({ retentionMs: 1, cleanupPolicy: 'compact' });
    expect(log.deleteOldSegments(T0 + 100 * HOUR, log.logEndOffset)).toBe(0);
    log.updateConfig({ cleanupPolicy: 'compact,delete' });
    expect(log.deleteOldSegments(T0 + 100 * HOUR, log.logEndOffset)).toBe(4);
  });
});

describe('DeleteRecords (deleteRecordsBefore)', () => {
  it('moves logStartOffset into a segment, deleting only the whole segments below it', () => {
    const { log } = fourSegments();
    expect(log.deleteRecordsBefore(6n, 14n)).toEqual({ errorCode: ErrorCode.NONE, logStartOffset: 6n });
    expect(log.segments().map((s) => s.baseOffset)).toEqual([4n, 8n, 12n]);
    expect(readAll(log).map((r) => r.offset)).toEqual([6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n]);
    expect(log.read(5n, { maxBytes: 100 }).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    // The read at the log start offset returns the batch holding it, which begins below.
    expect(log.read(6n, { maxBytes: 1 }).firstOffset).toBe(6n);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the high watermark and changes nothing; a lower offset is a no-op', () => {
    const { log } = fourSegments();
    expect(log.deleteRecordsBefore(11n, 10n)).toEqual({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 0n });
    expect(log.numberOfSegments).toBe(4);
    log.deleteRecordsBefore(9n, 10n);
    expect(log.deleteRecordsBefore(3n, 10n)).toEqual({ errorCode: ErrorCode.NONE, logStartOffset: 9n });
  });

  it('can empty the log up to its end, keeping the active segment', () => {
    const { log } = fourSegments();
    log.deleteRecordsBefore(14n);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([12n]);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([14n, 14n]);
    expect(readAll(log)).toEqual([]);
  });

  it('trims the leader epoch cache from the start', () => {
    const { log } = newLog();
    appendOk(log, batch(values(3)), T0, 1);
    appendOk(log, batch(values(3)), T0, 2);
    log.deleteRecordsBefore(4n);
    expect(log.epochEntries()).toEqual([{ epoch: 2, startOffset: 4n }]);
  });
});
