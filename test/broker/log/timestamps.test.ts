import { describe, expect, it } from 'vitest';
import { T0, appendOk, batch, newLog, values } from './support.ts';

/** Batches of 3 records at T0 + 10 * i (+0, +1, +2 within the batch); small segments, an index entry per batch. */
function timedLog() {
  const one = batch([{ timestamp: T0 }, { timestamp: T0 + 1 }, { timestamp: T0 + 2 }]);
  const { log } = newLog({ segmentBytes: 3 * one.length, indexIntervalBytes: 0 });
  for (let i = 0; i < 8; i++) {
    const t = T0 + 10 * i;
    appendOk(log, batch([{ timestamp: t }, { timestamp: t + 1 }, { timestamp: t + 2 }]), T0, i < 4 ? 1 : 2);
  }
  return log;
}

describe('offsetForTimestamp (ListOffsets by time)', () => {
  it('finds the first record with timestamp >= target through the time index, offset index and a scan', () => {
    const log = timedLog();
    expect(log.segments().map((s) => s.timeIndexEntries.length > 0)).toContain(true);
    expect(log.offsetForTimestamp(BigInt(T0))).toEqual({ timestamp: BigInt(T0), offset: 0n, leaderEpoch: 1 });
    expect(log.offsetForTimestamp(BigInt(T0 + 1))).toMatchObject({ offset: 1n });
    expect(log.offsetForTimestamp(BigInt(T0 + 3))).toEqual({ timestamp: BigInt(T0 + 10), offset: 3n, leaderEpoch: 1 });
    expect(log.offsetForTimestamp(BigInt(T0 + 43))).toEqual({ timestamp: BigInt(T0 + 50), offset: 15n, leaderEpoch: 2 });
    expect(log.offsetForTimestamp(BigInt(T0 - 5))).toMatchObject({ offset: 0n });
    expect(log.offsetForTimestamp(BigInt(T0 + 73))).toBeNull();
  });

  it('is bounded by the high watermark and starts at the log start offset', () => {
    const log = timedLog();
    expect(log.offsetForTimestamp(BigInt(T0 + 43), 15n)).toBeNull();
    expect(log.offsetForTimestamp(BigInt(T0 + 43), 16n)).toMatchObject({ offset: 15n });
    log.deleteRecordsBefore(4n);
    expect(log.offsetForTimestamp(BigInt(T0))).toEqual({ timestamp: BigInt(T0 + 11), offset: 4n, leaderEpoch: 1 });
  });

  it('answers MAX_TIMESTAMP (-3, KIP-734) with the first record carrying the largest timestamp', () => {
    const { log } = newLog();
    appendOk(log, batch([{ timestamp: T0 + 5 }, { timestamp: T0 + 99 }, { timestamp: T0 + 99 }]));
    appendOk(log, batch([{ timestamp: T0 + 50 }]));
    expect(log.offsetOfMaxTimestamp()).toEqual({ timestamp: BigInt(T0 + 99), offset: 1n, leaderEpoch: 0 });
    expect(log.fetchOffsetByTimestamp(-3n)).toMatchObject({ offset: 1n });
    expect(log.offsetOfMaxTimestamp(1n)).toBeNull();
    expect(newLog().log.offsetOfMaxTimestamp()).toBeNull();
  });

  it('answers EARLIEST (-2) and LATEST (-1) with the log start and end offsets and their epochs', () => {
    const log = timedLog();
    log.deleteRecordsBefore(5n);
    expect(log.fetchOffsetByTimestamp(-2n)).toEqual({ timestamp: -1n, offset: 5n, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(-1n)).toEqual({ timestamp: -1n, offset: 24n, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(BigInt(T0 + 60))).toMatchObject({ offset: 18n });
  });

  it('uses LogAppendTime for every record of a LogAppendTime topic', () => {
    const { log } = newLog({ messageTimestampType: 'LogAppendTime' });
    appendOk(log, batch(values(2), { timestamp: 1 }), T0 + 100);
    appendOk(log, batch(values(2), { timestamp: 1 }), T0 + 200);
    expect(log.offsetForTimestamp(BigInt(T0 + 150))).toEqual({ timestamp: BigInt(T0 + 200), offset: 2n, leaderEpoch: 0 });
  });
});
