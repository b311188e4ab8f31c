import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/runtime/assert.ts';
import { OffsetIndex } from '../../../src/broker/log/offset-index.ts';
import { TimeIndex } from '../../../src/broker/log/time-index.ts';
import { baseOffsetFromFileName, fileName } from '../../../src/broker/log/index.ts';
import { appendOk, batch, newLog, values } from './support.ts';

describe('segment files', () => {
  it('are named by base offset as 20 zero-padded digits, as Kafka names them', () => {
    expect(fileName(0n, '.log')).toBe('00000000000000000000.log');
    expect(fileName(2048n, '.log')).toBe('00000000000000002048.log');
    expect(fileName(2048n, '.index')).toBe('00000000000000002048.index');
    expect(fileName(2048n, '.timeindex')).toBe('00000000000000002048.timeindex');
    expect(fileName(9223372036854775807n, '.log')).toBe('09223372036854775807.log');
    expect(baseOffsetFromFileName('00000000000000002048.log')).toBe(2048n);
    expect(baseOffsetFromFileName('00000000000000002048.index')).toBeNull();
    expect(baseOffsetFromFileName('00000000000000002048.log.cleaned')).toBeNull();
  });

  it('a new log has one empty active segment 00000000000000000000.log', () => {
    const { log, store } = newLog();
    expect(log.segments()).toMatchObject([{ baseOffset: 0n, fileName: '00000000000000000000.log', sizeInBytes: 0, isActive: true, firstOffset: null }]);
    expect(store.list()).toEqual(['00000000000000000000.log']);
  });
});

describe('offset index (8-byte entries, largest entry <= target)', () => {
  it('looks up by binary search and falls back to (baseOffset, 0)', () => {
    const index = new OffsetIndex(100n, 80);
    expect(index.maxEntries).toBe(10);
    expect(index.lookup(150n)).toEqual({ offset: 100n, position: 0 });
    index.append(110n, 500);
    index.append(120n, 1000);
    index.append(135n, 1700);
    expect(index.lookup(105n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(110n)).toEqual({ offset: 110n, position: 500 });
    expect(index.lookup(134n)).toEqual({ offset: 120n, position: 1000 });
    expect(index.lookup(10_000n)).toEqual({ offset: 135n, position: 1700 });
    expect(index.sizeInBytes).toBe(24);
    expect([...index.toBuffer()]).toEqual([0, 0, 0, 10, 0, 0, 1, 244, 0, 0, 0, 20, 0, 0, 3, 232, 0, 0, 0, 35, 0, 0, 6, 164]);
  });

  it('truncateTo removes entries at or above the offset', () => {
    const index = new OffsetIndex(0n, 1024);
    for (const [offset, position] of [[10n, 100], [20n, 200], [30n, 300]] as const) index.append(offset, position);
    index.truncateTo(25n);
    expect(index.entryList().map((e) => e.offset)).toEqual([10n, 20n]);
    index.truncateTo(20n);
    expect(index.entryList().map((e) => e.offset)).toEqual([10n]);
    index.truncateTo(5n);
    expect(index.entries).toBe(0);
  });

  it('asserts that entries increase and that it is not full', () => {
    const index = new OffsetIndex(0n, 16);
    index.append(5n, 10);
    expect(() => index.append(5n, 20)).toThrow(AssertionError);
    index.append(6n, 20);
    expect(index.isFull()).toBe(true);
    expect(() => index.append(7n, 30)).toThrow(AssertionError);
  });
});

describe('time index (12-byte entries, only increasing timestamps)', () => {
  it('ignores entries that do not raise the timestamp and looks up the largest timestamp <= target', () => {
    const index = new TimeIndex(0n, 120);
    expect(index.maxEntries).toBe(10);
    index.maybeAppend(1000n, 3n);
    index.maybeAppend(1000n, 7n);
    index.maybeAppend(1500n, 9n);
    expect(index.entryList()).toEqual([{ timestamp: 1000n, offset: 3n }, { timestamp: 1500n, offset: 9n }]);
    expect(index.lookup(999n)).toEqual({ timestamp: -1n, offset: 0n });
    expect(index.lookup(1200n)).toEqual({ timestamp: 1000n, offset: 3n });
    expect(index.lookup(5000n)).toEqual({ timestamp: 1500n, offset: 9n });
    expect(index.sizeInBytes).toBe(24);
    expect(index.toBuffer().length).toBe(24);
    index.truncateTo(9n);
    expect(index.entryList()).toEqual([{ timestamp: 1000n, offset: 3n }]);
  });

  it('keeps its last slot for the entry written when the segment is rolled', () => {
    const index = new TimeIndex(0n, 36);
    index.maybeAppend(1n, 1n);
    index.maybeAppend(2n, 2n);
    expect(index.isFull()).toBe(true);
    index.maybeAppend(3n, 3n, true);
    expect(index.entries).toBe(3);
  });
});

describe('sparse index lookups through the log', () => {
  /**
   * One-record batches of `s` bytes; segments of 2048 batches (segment.bytes = 2048 * s), so the second segment
   * starts at offset 2048. Its first batch is larger (more than index.interval.bytes = 1.5 * s), so the index
   * gets an entry for 2049 and then one every other batch: 2049, 2051, 2053, ...
   */
  function logWith2048Segment() {
    const small = batch([{ value: 'x' }]);
    const s = small.length;
    const { log } = newLog({ segmentBytes: 2048 * s, indexIntervalBytes: Math.floor(1.5 * s) });
    for (let i = 0; i < 2048; i++) appendOk(log, small);
    appendOk(log, batch([{ value: 'first of the segment, larger than the index interval' }]));
    for (let i = 0; i < 200; i++) appendOk(log, small);
    return { log, s };
  }

  it('finds offset 2049 in segment 00000000000000002048 through its sparse offset index', () => {
    const { log, s } = logWith2048Segment();
    expect(log.segments().map((segment) => segment.fileName)).toEqual(['00000000000000000000.log', '00000000000000002048.log']);
    const segment = log.segments()[1];
    const firstBatchSize = batch([{ value: 'first of the segment, larger than the index interval' }]).length;
    expect(segment.indexEntries.slice(0, 3)).toEqual([
      { offset: 2049n, position: firstBatchSize },
      { offset: 2051n, position: firstBatchSize + 2 * s },
      { offset: 2053n, position: firstBatchSize + 4 * s },
    ]);

    const location = log.locate(2049n)!;
    expect(location).toEqual({
      segmentBaseOffset: 2048n,
      fileName: '00000000000000002048.log',
      indexEntry: { offset: 2049n, position: firstBatchSize },
      position: firstBatchSize,
      batchesScanned: 1,
      batchLastOffset: 2049n,
    });
    // 2050 has no entry: the lookup answers the entry below (2049) and the scan reads two batches.
    expect(log.locate(2050n)).toMatchObject({ indexEntry: { offset: 2049n }, position: firstBatchSize + s, batchesScanned: 2, batchLastOffset: 2050n });
    // Below the first entry the lookup falls back to (baseOffset, 0).
    expect(log.locate(2048n)).toMatchObject({ indexEntry: { offset: 2048n, position: 0 }, position: 0, batchesScanned: 1 });

    const read = log.read(2049n, { maxBytes: 1 });
    expect([read.firstOffset, read.lastOffset, read.batchCount]).toEqual([2049n, 2049n, 1]);
  });

  it('every offset found through the index is the one a linear scan of the segment finds', () => {
    const { log } = logWith2048Segment();
    for (let offset = 0n; offset < log.logEndOffset; offset += 13n) {
      const location = log.locate(offset)!;
      expect(location.batchLastOffset).toBe(offset);
      expect(location.segmentBaseOffset).toBe(offset < 2048n ? 0n : 2048n);
      expect(location.indexEntry.offset <= offset).toBe(true);
      expect(location.batchesScanned).toBeLessThanOrEqual(2);
    }
  });

  it('adds an offset index entry when more than index.interval.bytes were appended since the last one', () => {
    const { log } = newLog({ indexIntervalBytes: 4096 });
    const one = batch(values(10, 'x', 100));
    let appended = 0;
    while (log.segments()[0].indexEntries.length === 0) {
      appendOk(log, one);
      appended += one.length;
    }
    // Kafka checks the bytes appended *before* the current batch, so the first entry lands on the batch after
    // the one that pushed the count past 4096, pointing at that batch's start.
    const [entry] = log.segments()[0].indexEntries;
    expect(appended - one.length).toBeGreaterThan(4096);
    expect(appended - 2 * one.length).toBeLessThanOrEqual(4096);
    expect(entry.position).toBe(appended - one.length);
    expect(entry.offset).toBe(log.logEndOffset - 1n);
  });
});
