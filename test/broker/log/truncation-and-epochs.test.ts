import { describe, expect, it } from 'vitest';
import { LeaderEpochCache } from '../../../src/broker/log/leader-epoch-cache.ts';
import { T0, appendOk, batch, newLog, readAll, values } from './support.ts';

describe('truncateTo', () => {
  function log3Segments() {
    const one = batch(values(2, 'e0-'));
    const { log, store } = newLog({ segmentBytes: 2 * one.length });
    for (let epoch = 0; epoch < 6; epoch++) appendOk(log, batch(values(2, `e${epoch}-`)), T0, epoch < 3 ? 1 : 3);
    return { log, store };
  }

  it('removes every offset at and above the target, deleting later segments and their files', () => {
    const { log, store } = log3Segments();
    expect(log.segments().map((s) => s.baseOffset)).toEqual([0n, 4n, 8n]);
    expect(log.truncateTo(6n)).toBe(true);
    expect(log.logEndOffset).toBe(6n);
    expect(log.segments().map((s) => [s.baseOffset, s.lastOffset, s.isActive])).toEqual([[0n, 3n, false], [4n, 5n, true]]);
    expect(store.list()).toEqual(['00000000000000000000.log', '00000000000000000004.log']);
    expect(readAll(log).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(appendOk(log, batch(values(1))).firstOffset).toBe(6n);
  });

  it('drops a batch the target falls inside, and sets the log end offset to the target (Kafka\'s LocalLog.truncateTo)', () => {
    const { log } = log3Segments();
    log.truncateTo(5n);
    expect(log.logEndOffset).toBe(5n);
    expect(log.segments().at(-1)!.lastOffset).toBeNull();
    expect(appendOk(log, batch(values(1))).firstOffset).toBe(5n);
  });

  it('is a no-op at or beyond the log end offset, and truncates fully below the first segment', () => {
    const { log } = log3Segments();
    expect(log.truncateTo(12n)).toBe(false);
    log.deleteRecordsBefore(8n);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([8n]);
    expect(log.truncateTo(3n)).toBe(true);
    expect([log.logStartOffset, log.logEndOffset, log.segments().map((s) => s.baseOffset)]).toEqual([3n, 3n, [3n]]);
    expect(log.epochEntries()).toEqual([]);
  });

  it('truncateFullyAndStartAt empties the log at a new offset (a follower behind the leader\'s log start)', () => {
    const { log, store } = log3Segments();
    log.truncateFullyAndStartAt(100n);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([100n, 100n]);
    expect(store.list()).toEqual(['00000000000000000100.log']);
    expect(log.appendAsFollower(batch(values(2), { baseOffset: 100n, partitionLeaderEpoch: 9 })).lastOffset).toBe(101n);
  });

  it('truncates the leader epoch cache with the log', () => {
    const { log } = log3Segments();
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }, { epoch: 3, startOffset: 6n }]);
    log.truncateTo(6n);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }]);
    // A leader that recorded an epoch and wrote nothing loses the entry on the next (no-op) truncation.
    log.assignEpochStartOffset(4, 6n);
    log.truncateTo(6n);
    expect(log.latestEpoch()).toBe(1);
  });
});

describe('leader epoch cache (LeaderEpochFileCache)', () => {
  it('answers OffsetsForLeaderEpoch as Kafka does', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 10n);
    cache.assign(5, 20n);
    cache.assign(7, 35n);
    expect(cache.endOffsetFor(7, 50n)).toEqual({ epoch: 7, endOffset: 50n });
    expect(cache.endOffsetFor(5, 50n)).toEqual({ epoch: 5, endOffset: 35n });
    expect(cache.endOffsetFor(6, 50n)).toEqual({ epoch: 5, endOffset: 35n });
    expect(cache.endOffsetFor(1, 50n)).toEqual({ epoch: 1, endOffset: 10n });
    expect(cache.endOffsetFor(9, 50n)).toBeNull();
    expect(cache.endOffsetFor(-1, 50n)).toBeNull();
    expect(cache.epochForOffset(25n)).toBe(5);
  });

  it('drops entries that contradict a new one (non-monotonic) and ignores a repeat', () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 10n);
    cache.assign(5, 20n);
    cache.assign(5, 25n);
    expect(cache.entries()).toEqual([{ epoch: 2, startOffset: 10n }, { epoch: 5, startOffset: 20n }]);
    cache.assign(6, 15n);
    expect(cache.entries()).toEqual([{ epoch: 2, startOffset: 10n }, { epoch: 6, startOffset: 15n }]);
    cache.truncateFromStart(12n);
    expect(cache.entries()).toEqual([{ epoch: 2, startOffset: 12n }, { epoch: 6, startOffset: 15n }]);
  });

  it('finds a divergent follower tail: the follower truncates to the leader\'s end offset for its last epoch', () => {
    const leader = newLog().log;
    const follower = newLog().log;
    // Epoch 1: both hold offsets 0..3.
    for (const log of [leader, follower]) {
      log.assignEpochStartOffset(1, 0n);
      appendOk(log, batch(values(4, 'common')), T0, 1);
    }
    // The follower, briefly leader in epoch 2, wrote 4..6 that nobody else saw; the leader moved to epoch 3.
    follower.assignEpochStartOffset(2, 4n);
    appendOk(follower, batch(values(3, 'lost')), T0, 2);
    leader.assignEpochStartOffset(3, 4n);
    appendOk(leader, batch(values(2, 'kept')), T0, 3);

    const answer = leader.endOffsetForEpoch(follower.latestEpoch()!)!;
    expect(answer).toEqual({ epoch: 1, endOffset: 4n });
    follower.truncateTo(answer.endOffset);
    follower.appendAsFollower(leader.read(4n, { maxBytes: 1 << 20 }).records);
    expect(readAll(follower)).toEqual(readAll(leader));
    expect(follower.epochEntries()).toEqual(leader.epochEntries());
  });
});
