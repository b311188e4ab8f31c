/**
 * Random sequences of appends (batch sizes, compression), rolls, retention, DeleteRecords, truncation,
 * compaction and crashes against a model of which (offset -> key, value) must be readable. After every step:
 * - reading the log from logStartOffset returns exactly the model's records in [logStartOffset, LEO), offsets
 *   strictly increasing (gaps only where compaction removed a superseded key);
 * - a lookup through the sparse index finds the same batch as a linear scan of the segment files;
 * - segment files are named by base offset, in order, each holding offsets in [base, next base).
 * Fixed seed, bounded runs; a failure prints the seed and the shrunk command list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../src/protocol/codec/compression.ts';
import type { CompressionCodec as Codec } from '../../../src/protocol/codec/compression.ts';
import { splitBatches, readBatchHeader } from '../../../src/protocol/codec/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { fileName, InMemorySegmentStore, PartitionLog } from '../../../src/broker/log/index.ts';
import { T0, batch, readAll } from './support.ts';

type Op =
  | { kind: 'append'; keys: number[]; valueBytes: number; compression: Codec }
  | { kind: 'roll' }
  | { kind: 'retention'; retentionBytes: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'compact' }
  | { kind: 'crash'; loseUnflushed: boolean }
  | { kind: 'flush' };

const codecs: Codec[] = [CompressionCodec.None, CompressionCodec.None, CompressionCodec.GZIP, CompressionCodec.LZ4, CompressionCodec.Snappy, CompressionCodec.ZSTD];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('append' as const), keys: fc.array(fc.nat(6), { minLength: 1, maxLength: 6 }), valueBytes: fc.nat(60), compression: fc.constantFrom(...codecs) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const), retentionBytes: fc.integer({ min: 0, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), loseUnflushed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

const configArb = fc.record({
  segmentBytes: fc.integer({ min: 250, max: 1500 }),
  indexIntervalBytes: fc.integer({ min: 0, max: 400 }),
});

interface ModelRecord {
  key: string;
  value: string;
}

class Model {
  readonly records = new Map<bigint, ModelRecord>();
  /** Every batch ever appended (base, last), for truncation's whole-batch rule. */
  batches: Array<{ base: bigint; last: bigint }> = [];
  logStartOffset = 0n;
  logEndOffset = 0n;

  removeFrom(cut: bigint): void {
    for (const offset of [...this.records.keys()]) if (offset >= cut) this.records.delete(offset);
    this.batches = this.batches.filter((b) => b.base < cut);
  }

  /** LogCleaner's rule without tombstones: below `end`, a record superseded by a later one before `end` goes. */
  compact(end: bigint): void {
    const latest = new Map<string, bigint>();
    for (const [offset, record] of this.records) if (offset < end && (latest.get(record.key) ?? -1n) < offset) latest.set(record.key, offset);
    for (const [offset, record] of [...this.records]) if (offset < end && latest.get(record.key)! > offset) this.records.delete(offset);
  }

  expected(): Array<[bigint, string, string]> {
    return [...this.records]
      .filter(([offset]) => offset >= this.logStartOffset && offset < this.logEndOffset)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([offset, r]) => [offset, r.key, r.value]);
  }
}

/** An offset in [from, to] chosen by `at` (uniform-ish: fast-check's doubles cluster at 0 and 1). */
function pick(at: number, from: bigint, to: bigint): bigint {
  return from + (BigInt(at) % (to - from + 1n));
}

/** The batch holding `offset` by reading every segment file front to back, without indexes. */
function linearScan(store: InMemorySegmentStore, log: PartitionLog, offset: bigint): { segment: bigint; lastOffset: bigint } | null {
  for (const segment of log.segments()) {
    const file = store.get(segment.fileName)!;
    for (const bytes of splitBatches(file.read(0, file.size())).batches) {
      const header = readBatchHeader(bytes);
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      if (lastOffset >= offset) return { segment: segment.baseOffset, lastOffset };
    }
  }
  return null;
}

function checkAgainstModel(log: PartitionLog, store: InMemorySegmentStore, model: Model): void {
  expect(log.logStartOffset).toBe(model.logStartOffset);
  expect(log.logEndOffset).toBe(model.logEndOffset);
  const read = readAll(log).map((r): [bigint, string | null, string | null] => [r.offset, r.key, r.value]);
  for (let i = 1; i < read.length; i++) expect(read[i][0] > read[i - 1][0]).toBe(true);
  expect(read).toEqual(model.expected());

  const segments = log.segments();
  expect(store.list()).toEqual(segments.map((s) => s.fileName));
  segments.forEach((segment, i) => {
    expect(segment.fileName).toBe(fileName(segment.baseOffset, '.log'));
    const next = segments[i + 1]?.baseOffset ?? log.logEndOffset;
    if (segment.firstOffset !== null) expect(segment.firstOffset >= segment.baseOffset).toBe(true);
    if (segment.lastOffset !== null) expect(segment.lastOffset < next).toBe(true);
    for (let e = 1; e < segment.indexEntries.length; e++) expect(segment.indexEntries[e].offset > segment.indexEntries[e - 1].offset).toBe(true);
  });

  for (const [offset] of read.filter((_, i) => i % 3 === 0)) {
    const viaIndex = log.locate(offset);
    const viaScan = linearScan(store, log, offset);
    expect(viaIndex === null ? null : { segment: viaIndex.segmentBaseOffset, lastOffset: viaIndex.batchLastOffset }).toEqual(viaScan);
  }
}

function run(config: { segmentBytes: number; indexIntervalBytes: number }, ops: Op[]): void {
  const store = new InMemorySegmentStore();
  let nowMs = T0;
  const log = new PartitionLog({ store, config: { ...config, cleanupPolicy: 'compact,delete', retentionMs: -1 }, nowMs });
  const model = new Model();
  let next = 0;
  for (const op of ops) {
    nowMs += 1000;
    switch (op.kind) {
      case 'append': {
        const records = op.keys.map((k) => ({ key: `k${k}`, value: `v${next++}`.padEnd(op.valueBytes, '.'), timestamp: nowMs }));
        const result = log.appendAsLeader(batch(records, { compression: op.compression }), { leaderEpoch: 0, nowMs });
        if (result.errorCode === ErrorCode.RECORD_LIST_TOO_LARGE) break;
        expect(result.errorCode).toBe(ErrorCode.NONE);
        expect(result.firstOffset).toBe(model.logEndOffset);
        records.forEach((r, i) => model.records.set(result.firstOffset + BigInt(i), { key: r.key!, value: r.value! }));
        model.batches.push({ base: result.firstOffset, last: result.lastOffset });
        model.logEndOffset = result.lastOffset + 1n;
        break;
      }
      case 'roll':
        log.roll(nowMs);
        break;
      case 'retention': {
        log.updateConfig({ retentionBytes: op.retentionBytes });
        const before = log.logStartOffset;
        log.deleteOldSegments(nowMs, log.logEndOffset);
        log.updateConfig({ retentionBytes: -1 });
        expect(log.logStartOffset >= before).toBe(true);
        expect(log.logStartOffset === before || log.segments()[0].baseOffset === log.logStartOffset).toBe(true);
        model.logStartOffset = log.logStartOffset;
        break;
      }
      case 'deleteRecords': {
        const offset = pick(op.at, model.logStartOffset, model.logEndOffset);
        expect(log.deleteRecordsBefore(offset, model.logEndOffset).errorCode).toBe(ErrorCode.NONE);
        if (offset > model.logStartOffset) model.logStartOffset = offset;
        break;
      }
      case 'truncate': {
        const target = pick(op.at, 0n, model.logEndOffset);
        log.truncateTo(target);
        if (target >= model.logEndOffset) break;
        const holding = model.batches.find((b) => b.base <= target && target <= b.last);
        model.removeFrom(holding?.base ?? target);
        model.logEndOffset = target;
        if (target < model.logStartOffset) model.logStartOffset = target;
        break;
      }
      case 'compact': {
        const summary = log.compact(nowMs);
        if (summary.isCleaned) model.compact(summary.firstUncleanableOffset);
        break;
      }
      case 'crash': {
        const recoveryPoint = log.recoveryPoint;
        log.crash({ loseUnflushed: op.loseUnflushed });
        log.recover();
        // A process crash loses no record, a machine crash none that was flushed. (The log end offset may still move
        // back: recovery recomputes it from the batches, and a truncation into a batch had left it beyond them.)
        for (const offset of model.records.keys()) {
          if (offset >= model.logStartOffset && (!op.loseUnflushed || offset < recoveryPoint)) expect(offset < log.logEndOffset).toBe(true);
        }
        model.removeFrom(log.logEndOffset);
        model.logEndOffset = log.logEndOffset;
        model.logStartOffset = log.logStartOffset;
        break;
      }
      case 'flush':
        log.flush();
        break;
    }
    log.checkInvariants();
    checkAgainstModel(log, store, model);
  }
}

describe('partition log properties', () => {
  it('random appends, rolls, retention, DeleteRecords, truncation, compaction and crashes keep the log readable as modelled', () => {
    fc.assert(fc.property(configArb, fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), (config, ops) => run(config, ops)), { seed: 20240611, numRuns: 150 });
  });

  it('a log of only appends and rolls is contiguous: every offset in [logStartOffset, LEO) is readable', () => {
    const appendsOnly = fc.array(fc.oneof({ weight: 6, arbitrary: opArb.filter((op) => op.kind === 'append') }, { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) }), { minLength: 1, maxLength: 80, size: 'max' });
    fc.assert(
      fc.property(configArb, appendsOnly, (config, ops) => {
        run(config, ops);
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});
