import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/runtime/assert.ts';
import { PartitionLog } from '../../../src/broker/log/index.ts';
import { T0, appendOk, batch, newLog, readAll, values } from './support.ts';

function offsets(log: PartitionLog): bigint[] {
  return readAll(log).map((r) => r.offset);
}

describe('flush and the recovery point', () => {
  it('flush() makes everything durable and moves the recovery point to the log end offset', () => {
    const { log } = newLog();
    appendOk(log, batch(values(3)));
    expect(log.recoveryPoint).toBe(0n);
    log.flush();
    expect(log.recoveryPoint).toBe(3n);
    appendOk(log, batch(values(2)));
    log.crash({ loseUnflushed: true });
    log.recover();
    expect(offsets(log)).toEqual([0n, 1n, 2n]);
  });

  it('flush.messages flushes once that many offsets are unflushed', () => {
    const { log } = newLog({ flushMessages: 4 });
    appendOk(log, batch(values(3)));
    expect(log.recoveryPoint).toBe(0n);
    appendOk(log, batch(values(2)));
    expect(log.recoveryPoint).toBe(5n);
  });
});

describe('crash and recovery (LogLoader)', () => {
  function logWithUnflushedTail() {
    const one = batch(values(4, 'v', 10));
    const { log, store } = newLog({ segmentBytes: 3 * one.length, indexIntervalBytes: 0 });
    for (let i = 0; i < 7; i++) appendOk(log, one, T0, i < 5 ? 1 : 2);
    // Segments 0 and 12 were flushed when rolled; segment 24 holds offsets 24..27 unflushed.
    return { log, store, batchSize: one.length };
  }

  it('a process crash loses nothing; recovery rebuilds the same offset indexes', () => {
    const { log } = logWithUnflushedTail();
    const before = log.segments();
    log.crash({ loseUnflushed: false });
    expect(log.recover()).toEqual({ logStartOffset: 0n, truncatedBytes: 0, deletedSegments: 0 });
    expect(log.logEndOffset).toBe(28n);
    expect(log.segments().map((s) => s.indexEntries)).toEqual(before.map((s) => s.indexEntries));
    expect(log.segments().map((s) => [s.baseOffset, s.sizeInBytes, s.maxTimestamp])).toEqual(before.map((s) => [s.baseOffset, s.sizeInBytes, s.maxTimestamp]));
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }, { epoch: 2, startOffset: 20n }]);
  });

  it('a machine crash loses the unflushed tail; the log end offset and the epoch cache follow', () => {
    const { log } = logWithUnflushedTail();
    expect(log.recoveryPoint).toBe(24n);
    log.crash({ loseUnflushed: true });
    // Until recovered, the log refuses to serve, and reports the offsets it had.
    expect(() => log.read(0n, { maxBytes: 100 })).toThrow(AssertionError);
    expect(log.logEndOffset).toBe(28n);
    log.recover();
    expect(log.logEndOffset).toBe(24n);
    expect(offsets(log)).toEqual(Array.from({ length: 24 }, (_, i) => BigInt(i)));
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }, { epoch: 2, startOffset: 20n }]);
    expect(log.segments().map((s) => [s.baseOffset, s.sizeInBytes])).toEqual([[0n, 3 * batch(values(4, 'v', 10)).length], [12n, 3 * batch(values(4, 'v', 10)).length], [24n, 0]]);
    expect(appendOk(log, batch(values(1))).firstOffset).toBe(24n);
  });

  it('a torn write (part of the unflushed bytes reached the disk) is cut back to the last whole batch', () => {
    const { log, batchSize } = logWithUnflushedTail();
    appendOk(log, batch(values(4, 'v', 10)), T0, 2);
    log.crash({ loseUnflushed: true, keepUnflushedBytes: batchSize + 20 });
    expect(log.recover()).toMatchObject({ truncatedBytes: 20 });
    expect(log.logEndOffset).toBe(28n);
  });

  it('nonsense appended after the data (inode size updated before the block) fails the CRC and is cut', () => {
    const { log, store } = logWithUnflushedTail();
    const active = store.get('00000000000000000024.log')!;
    const garbage = batch(values(2), { baseOffset: 28n });
    garbage[garbage.length - 3] ^= 0x55;
    active.append(garbage);
    log.crash({ loseUnflushed: false });
    expect(log.recover()).toMatchObject({ truncatedBytes: garbage.length });
    expect(log.logEndOffset).toBe(28n);
  });

  it('corruption in an unflushed segment truncates it there and deletes every later segment', () => {
    const one = batch(values(2));
    const { log, store } = newLog({ segmentBytes: 2 * one.length });
    for (let i = 0; i < 6; i++) appendOk(log, one);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0n, 4n, 8n]);
    // Pretend nothing was flushed, then damage the second batch of segment 4.
    const damaged = store.get('00000000000000000004.log')!;
    const bytes = Buffer.from(damaged.read(0, damaged.size()));
    bytes[one.length + 30] ^= 0xff;
    damaged.truncate(0);
    damaged.append(bytes);
    const reloaded = new PartitionLog({ store, config: { segmentBytes: 2 * one.length }, nowMs: T0 });
    expect(reloaded.logEndOffset).toBe(6n);
    expect(reloaded.segments().map((s) => s.baseOffset)).toEqual([0n, 4n]);
    expect(store.list()).toEqual(['00000000000000000000.log', '00000000000000000004.log']);
  });

  it('restarts empty at the log start offset when the crash lost data DeleteRecords had moved past', () => {
    const { log } = newLog();
    appendOk(log, batch(values(3)));
    log.flush();
    appendOk(log, batch(values(3)));
    log.deleteRecordsBefore(5n);
    log.crash({ loseUnflushed: true });
    log.recover();
    expect([log.logStartOffset, log.logEndOffset, log.segments().map((s) => s.fileName)]).toEqual([5n, 5n, ['00000000000000000005.log']]);
  });

  it('loads and recovers a store that already holds segments (a broker restarting on its disk)', () => {
    const { log, store } = logWithUnflushedTail();
    const reloaded = new PartitionLog({ store, config: { segmentBytes: 3 * batch(values(4, 'v', 10)).length, indexIntervalBytes: 0 }, nowMs: T0 });
    expect(readAll(reloaded)).toEqual(readAll(log));
    expect(reloaded.segments().map((s) => s.indexEntries)).toEqual(log.segments().map((s) => s.indexEntries));
    expect(reloaded.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }, { epoch: 2, startOffset: 20n }]);
  });
});
