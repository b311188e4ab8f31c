/**
 * The transaction index of a partition log (Kafka's `.txnindex`): an entry per aborted transaction in the segment
 * holding its ABORT marker, with the last stable offset at that moment; rebuilt on recovery, cut on truncation,
 * gone with its segment; what read_committed reads collect.
 */
import { describe, expect, it } from 'vitest';
import { encodeEndTxnMarkerBatch } from '../../../src/protocol/codec/control-records.ts';
import { ErrorCode } from '../../../src/protocol/error-codes.ts';
import type { PartitionLog } from '../../../src/broker/log/index.ts';
import { appendOk, batch, newLog, T0 } from '../log/support.ts';

const txn = (log: PartitionLog, producerId: bigint, value: string, sequence = 0) =>
  appendOk(log, batch([{ value }], { producerId, producerEpoch: 0, baseSequence: sequence, isTransactional: true }));
const plain = (log: PartitionLog, value: string) => appendOk(log, batch([{ value }]));
const marker = (log: PartitionLog, producerId: bigint, commit: boolean, coordinatorEpoch = 0) => {
  const result = log.appendAsLeader(encodeEndTxnMarkerBatch({ type: commit ? 1 : 0, coordinatorEpoch, producerId, producerEpoch: 0, timestamp: BigInt(T0) }), {
    leaderEpoch: 0,
    nowMs: T0,
    origin: 'coordinator',
  });
  expect(result.errorCode).toBe(ErrorCode.NONE);
  return result.firstOffset;
};
const index = (log: PartitionLog) => log.segments().map((s) => [s.txnIndexFileName, s.abortedTransactions.map((a) => [a.producerId, a.firstOffset, a.lastOffset, a.lastStableOffset])]);

describe('transaction index (.txnindex)', () => {
  it('an ABORT marker adds an entry to the active segment: producer, first offset, marker offset and the LSO right after; commits add none', async () => {
    const { log } = newLog();
    plain(log, 'p0'); // 0
    txn(log, 1n, 'a1'); // 1
    txn(log, 2n, 'b1'); // 2
    marker(log, 2n, true); // 3: commit of 2, LSO held by 1
    txn(log, 3n, 'c1'); // 4
    marker(log, 1n, false); // 5: abort of 1; LSO now held by 3 at 4
    marker(log, 3n, false); // 6: abort of 3; nothing open
    expect(log.firstUnstableOffset()).toBeNull();
    expect(index(log)).toEqual([
      [
        '00000000000000000000.txnindex',
        [
          [1n, 1n, 5n, 4n],
          [3n, 4n, 6n, 7n],
        ],
      ],
    ]);
    txn(log, 4n, 'd1');
    expect(log.firstUnstableOffset()).toBe(7n);
    expect(log.openTransactions()).toEqual([{ producerId: 4n, firstOffset: 7n }]);
    expect(log.coordinatorEpochOf(1n)).toBe(0);
    expect(log.coordinatorEpochOf(4n)).toBe(-1);
  });

  it('entries live in the segment of their marker; a read_committed read collects those overlapping what it returns, across segments', async () => {
    const { log } = newLog();
    txn(log, 1n, 'a1'); // 0
    plain(log, 'p1'); // 1
    log.roll(T0);
    plain(log, 'p2'); // 2
    marker(log, 1n, false); // 3 (second segment)
    log.roll(T0);
    txn(log, 2n, 'b1'); // 4
    marker(log, 2n, false); // 5 (third segment)
    expect(index(log)).toEqual([
      ['00000000000000000000.txnindex', []],
      ['00000000000000000002.txnindex', [[1n, 0n, 3n, 4n]]],
      ['00000000000000000004.txnindex', [[2n, 4n, 5n, 6n]]],
    ]);
    const fromStart = log.read(0n, { maxBytes: 1 << 20, includeAbortedTransactions: true });
    expect([fromStart.lastOffset, fromStart.abortedTransactions?.map((a) => a.producerId)]).toEqual([1n, [1n]]);
    const middle = log.read(2n, { maxBytes: 1 << 20, includeAbortedTransactions: true });
    expect(middle.abortedTransactions?.map((a) => a.producerId)).toEqual([1n]);
    const last = log.read(4n, { maxBytes: 1 << 20, includeAbortedTransactions: true });
    expect(last.abortedTransactions?.map((a) => a.producerId)).toEqual([2n]);
    expect(log.read(4n, { maxBytes: 1 << 20 }).abortedTransactions).toBeNull();
    expect(log.collectAbortedTransactions(0n, 6n).map((a) => a.producerId)).toEqual([1n, 2n]);
  });

  it('is rebuilt from the batches after a crash, and loses what the crash lost', async () => {
    const { log, store } = newLog();
    txn(log, 1n, 'a1');
    marker(log, 1n, false);
    log.flush();
    txn(log, 2n, 'b1');
    marker(log, 2n, false);
    const before = index(log);
    log.crash({ loseUnflushed: false });
    log.recover();
    expect(index(log)).toEqual(before);
    log.crash({ loseUnflushed: true });
    log.recover();
    expect(index(log)).toEqual([['00000000000000000000.txnindex', [[1n, 0n, 1n, 2n]]]]);
    expect(log.firstUnstableOffset()).toBeNull();
    // A new log over the same store loads the same way.
    txn(log, 3n, 'c1');
    log.flush();
    const { PartitionLog: Log } = await import('../../../src/broker/log/index.ts');
    const reopened = new Log({ store, config: {}, nowMs: T0 });
    expect(index(reopened)).toEqual(index(log));
    expect(reopened.firstUnstableOffset()).toBe(2n);
  });

  it('a truncation drops entries whose marker is cut and reopens their transactions', async () => {
    const { log } = newLog();
    txn(log, 1n, 'a1'); // 0
    marker(log, 1n, false); // 1
    txn(log, 2n, 'b1'); // 2
    marker(log, 2n, false); // 3
    log.truncateTo(3n);
    expect(index(log)).toEqual([['00000000000000000000.txnindex', [[1n, 0n, 1n, 2n]]]]);
    expect(log.firstUnstableOffset()).toBe(2n);
    log.truncateTo(1n);
    expect(index(log)).toEqual([['00000000000000000000.txnindex', []]]);
    expect(log.firstUnstableOffset()).toBe(0n);
  });

  it('goes with its segment when retention deletes it; a follower append indexes the same way', async () => {
    const { log } = newLog();
    txn(log, 1n, 'a1');
    marker(log, 1n, false);
    log.roll(T0);
    plain(log, 'p');
    expect(log.abortedTransactions().length).toBe(1);
    log.deleteRecordsBefore(2n, 3n);
    expect(log.segments().map((s) => s.baseOffset)).toEqual([2n]);
    expect(log.abortedTransactions()).toEqual([]);

    const { log: follower } = newLog();
    const leader = newLog().log;
    txn(leader, 5n, 'x');
    marker(leader, 5n, false);
    follower.appendAsFollower(leader.read(0n, { maxBytes: 1 << 20 }).records);
    expect(index(follower)).toEqual(index(leader));
  });
});
