import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../src/protocol/codec/compression.ts';
import { encodeEndTxnMarkerBatch } from '../../../src/protocol/codec/control-records.ts';
import { decodeRecordBatch, splitBatches } from '../../../src/protocol/codec/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import { T0, appendOk, batch, newLog, readAll } from './support.ts';
import type { TestRecord } from './support.ts';

const DAY = 86_400_000;

function kv(log: ReturnType<typeof newLog>['log']): Array<[bigint, string | null, string | null]> {
  return readAll(log).map((r) => [r.offset, r.key, r.value]);
}

function compactedLog(config: Parameters<typeof newLog>[0] = {}) {
  return newLog({ cleanupPolicy: 'compact', ...config });
}

function allBatches(log: ReturnType<typeof newLog>['log']) {
  const records = log.read(log.logStartOffset, { maxBytes: 1 << 20 });
  return splitBatches(records.records).batches.map((b) => decodeRecordBatch(b));
}

describe('compaction (LogCleaner)', () => {
  it('keeps the latest value per key; surviving records keep their offsets, so gaps appear', () => {
    const { log } = compactedLog();
    appendOk(log, batch([{ key: 'k1', value: 'a' }, { key: 'k2', value: 'b' }]));
    appendOk(log, batch([{ key: 'k1', value: 'c' }, { key: 'k3', value: 'd' }]));
    appendOk(log, batch([{ key: 'k2', value: 'e' }]));
    log.roll();
    const summary = log.compact(T0);
    expect(summary).toMatchObject({ isCleaned: true, firstDirtyOffset: 0n, firstUncleanableOffset: 5n, recordsRead: 5, recordsRetained: 3 });
    expect(kv(log)).toEqual([[2n, 'k1', 'c'], [3n, 'k3', 'd'], [4n, 'k2', 'e']]);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0n, 5n]);
    // Reading from offset 0 or 1 returns the first surviving batch; the log end offset is unchanged.
    expect(log.read(1n, { maxBytes: 1000 }).firstOffset).toBe(2n);
    expect(appendOk(log, batch([{ key: 'k1', value: 'f' }])).firstOffset).toBe(5n);
  });

  it('never cleans the active segment, and is a no-op when nothing new is dirty', () => {
    const { log } = compactedLog();
    appendOk(log, batch([{ key: 'k', value: 'a' }]));
    appendOk(log, batch([{ key: 'k', value: 'b' }]));
    expect(log.compact(T0).isCleaned).toBe(false);
    expect(kv(log)).toEqual([[0n, 'k', 'a'], [1n, 'k', 'b']]);
    log.roll();
    expect(log.compact(T0).isCleaned).toBe(true);
    expect(kv(log)).toEqual([[1n, 'k', 'b']]);
    expect(log.compact(T0 + 1).isCleaned).toBe(false);
  });

  it('does not clean past the last stable offset', () => {
    const { log } = compactedLog();
    for (const value of ['a', 'b', 'c', 'd']) appendOk(log, batch([{ key: 'k', value }]));
    log.roll();
    const summary = log.compact(T0, { lastStableOffset: 2n });
    expect(summary.firstUncleanableOffset).toBe(2n);
    // Offsets 0 and 1 are cleaned against each other only; 2 and 3 are past the range and stay.
    expect(kv(log)).toEqual([[1n, 'k', 'b'], [2n, 'k', 'c'], [3n, 'k', 'd']]);
  });

  it('keeps tombstones for delete.retention.ms after the first pass that sees them (KIP-534), then drops them', () => {
    const { log } = compactedLog({ deleteRetentionMs: DAY });
    appendOk(log, batch([{ key: 'k', value: 'a' }, { key: 'other', value: 'x' }]));
    appendOk(log, batch([{ key: 'k', value: null }]));
    appendOk(log, batch([{ key: 'z', value: 'last' }]));
    log.roll();
    log.compact(T0);
    expect(kv(log)).toEqual([[1n, 'other', 'x'], [2n, 'k', null], [3n, 'z', 'last']]);
    const tombstoneBatch = allBatches(log).find((b) => b.baseOffset === 2n)!;
    expect([tombstoneBatch.hasDeleteHorizonMs, tombstoneBatch.baseTimestamp]).toEqual([true, BigInt(T0 + DAY)]);

    log.compact(T0 + DAY - 1);
    expect(kv(log).map((r) => r[0])).toEqual([1n, 2n, 3n]);
    expect(log.compact(T0 + DAY).isCleaned).toBe(true);
    expect(kv(log)).toEqual([[1n, 'other', 'x'], [3n, 'z', 'last']]);
  });

  it('leaves segments holding records younger than min.compaction.lag.ms alone', () => {
    const { log } = compactedLog({ minCompactionLagMs: 1000, segmentBytes: batch([{ key: 'k', value: 'a' }]).length });
    appendOk(log, batch([{ key: 'k', value: 'a', timestamp: T0 }]));
    appendOk(log, batch([{ key: 'k', value: 'b', timestamp: T0 + 900 }]));
    appendOk(log, batch([{ key: 'k', value: 'c', timestamp: T0 + 900 }]));
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0n, 1n, 2n]);
    expect(log.compact(T0 + 1000).firstUncleanableOffset).toBe(1n);
    expect(kv(log).map((r) => r[0])).toEqual([0n, 1n, 2n]);
    log.compact(T0 + 1901);
    expect(kv(log)).toEqual([[1n, 'k', 'b'], [2n, 'k', 'c']]);
  });

  it('re-encodes surviving records with the batch\'s compression and keeps its header fields', () => {
    const { log } = compactedLog();
    appendOk(log, batch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }], { compression: CompressionCodec.GZIP }), T0, 7);
    appendOk(log, batch([{ key: 'b', value: '4' }]), T0, 7);
    log.roll();
    log.compact(T0);
    const [first] = allBatches(log);
    expect(first).toMatchObject({ baseOffset: 0n, lastOffsetDelta: 2, compression: CompressionCodec.GZIP, partitionLeaderEpoch: 7 });
    expect(first.records.map((r) => [r.offsetDelta, r.key!.toString()])).toEqual([[0, 'a'], [2, 'c']]);
  });

  it('keeps each producer\'s last batch, empty, to preserve its sequence state', () => {
    const { log } = compactedLog();
    appendOk(log, batch([{ key: 'k1', value: 'a' }], { producerId: 5n, producerEpoch: 0, baseSequence: 0 }));
    appendOk(log, batch([{ key: 'k2', value: 'b' }], { producerId: 5n, producerEpoch: 0, baseSequence: 1 }));
    appendOk(log, batch([{ key: 'k1', value: 'c' }, { key: 'k2', value: 'd' }]));
    log.roll();
    log.compact(T0);
    expect(allBatches(log).map((b) => [b.baseOffset, b.producerId, b.baseSequence, b.records.length])).toEqual([
      [1n, 5n, 1, 0],
      [2n, -1n, -1, 2],
    ]);
  });

  it('removes aborted transactional records regardless of key', () => {
    const { log } = compactedLog();
    appendOk(log, batch([{ key: 'k', value: 'committed-before' }]));
    appendOk(log, batch([{ key: 'aborted-key', value: 'x' }], { producerId: 9n, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    const abort = encodeEndTxnMarkerBatch({ type: 0, coordinatorEpoch: 0, producerId: 9n, producerEpoch: 0, timestamp: BigInt(T0) });
    expect(log.appendAsLeader(abort, { leaderEpoch: 0, nowMs: T0, origin: 'coordinator' }).errorCode).toBe(ErrorCode.NONE);
    appendOk(log, batch([{ key: 'k2', value: 'after' }]));
    log.roll();
    log.compact(T0);
    expect(kv(log).filter((r) => r[1] !== null && r[2] !== null && !r[2].startsWith('\u0000'))).toEqual([[0n, 'k', 'committed-before'], [3n, 'k2', 'after']]);
    // The aborted batch stays empty (its producer's last data), and so does the marker until the data is gone.
    expect(allBatches(log).map((b) => [b.baseOffset, b.isControl, b.records.length])).toEqual([[0n, false, 1], [1n, false, 0], [2n, true, 1], [3n, false, 1]]);
  });

  it('drops keyless records (Kafka counts them as invalid) and merges small segments into one', () => {
    const { log } = newLog({ cleanupPolicy: 'delete', segmentBytes: 400 });
    const records: TestRecord[][] = [[{ value: 'no key' }], [{ key: 'a', value: '1' }], [{ key: 'a', value: '2' }], [{ key: 'b', value: '3' }]];
    for (const r of records) {
      appendOk(log, batch(r));
      log.roll();
    }
    log.updateConfig({ cleanupPolicy: 'compact' });
    expect(log.segments().length).toBe(5);
    log.compact(T0);
    expect(kv(log)).toEqual([[2n, 'a', '2'], [3n, 'b', '3']]);
    expect(log.segments().map((s) => s.fileName)).toEqual(['00000000000000000000.log', '00000000000000000004.log']);
  });

  it('a follower replicating a compacted leader batch by batch ends up with the same records, gaps included', () => {
    const { log: leader } = compactedLog({ segmentBytes: 300 });
    for (let i = 0; i < 40; i++) appendOk(leader, batch([{ key: `k${i % 5}`, value: `v${i}` }]));
    leader.roll();
    leader.compact(T0);
    const { log: follower } = compactedLog({ segmentBytes: 300 });
    let fetchOffset = 0n;
    while (fetchOffset < leader.logEndOffset) {
      const read = leader.read(fetchOffset, { maxBytes: 200 });
      if (read.batchCount === 0) break;
      expect(follower.appendAsFollower(read.records).errorCode).toBe(ErrorCode.NONE);
      fetchOffset = read.lastOffset + 1n;
    }
    expect(readAll(follower)).toEqual(readAll(leader));
    expect(readAll(follower).map((r) => r.value)).toEqual(['v35', 'v36', 'v37', 'v38', 'v39']);
  });
});
