import { describe, expect, it } from 'vitest';
import {
  type CheckResult,
  checkAbortedReads,
  checkCommittedTooFar,
  checkGroupSkip,
  checkHistory,
  checkInconsistentOffsets,
  checkLogDuplicates,
  checkLostWrites,
  checkPollOrder,
  checkRedelivery,
  checkSendOrder,
  checkSplitOwnership,
  checkUnseen,
  consumeCounts,
} from '../../sim/checkers/index.ts';
import { script, tp } from './histories.ts';

const group = { groupId: 'g' };

/** The one anomaly of a result, after checking its kind and the records it names. */
function only(result: CheckResult, kind: string, recordIndices: number[]): string {
  expect(result.valid).toBe(false);
  expect(result.anomalies.map((a) => a.kind)).toEqual([kind]);
  expect(result.anomalies[0].records.map((r) => r.index)).toEqual(recordIndices);
  return result.anomalies[0].explanation;
}

describe('a correct history', () => {
  it('passes every checker: two partitions, a group consumer that processes, commits and reads on', () => {
    const s = script()
      .send('producer-1', 0, [['a', 0], ['b', 1]])
      .send('producer-1', 1, [['c', 0]])
      .send('producer-1', 0, [['d', 3]]) // offset 2 is a transaction marker: not a gap
      .assign('consumer-1', [0, 1], { groupId: 'g', generationId: 1 })
      .poll('consumer-1', [[0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c']], { ...group, isolation: 'read_committed' })
      .process('consumer-1', 0, 0, 'a')
      .process('consumer-1', 0, 1, 'b')
      .process('consumer-1', 1, 0, 'c')
      .commit('consumer-1', 'g', [[0, 2], [1, 1]])
      .poll('consumer-1', [[0, 3, 'd']], group)
      .process('consumer-1', 0, 3, 'd')
      .commit('consumer-1', 'g', [[0, 4]]);
    expect(checkHistory(s.history())).toEqual({ valid: true, anomalies: [] });
  });
});

describe('lost-write', () => {
  it('finds an acknowledged value never read although a later offset was', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1], ['c', 2]]) // #0 #1
      .poll('c1', [[0, 0, 'a']]) // #2 #3
      .poll('c2', [[0, 2, 'c']]) // #4 #5
      .history();
    const explanation = only(checkLostWrites(h), 'lost-write', [1, 5]);
    expect(explanation).toBe('value "b" written to t/0 at offset 1 by #1 p1 ok send at 10ms was never read, though #5 c2 ok poll at 50ms read "c" at offset 2, past it');
  });

  it('does not count a value read by someone, a failed send, or values beyond the highest read', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1]])
      .send('p2', 0, [['x']], { type: 'fail' })
      .poll('c1', [[0, 1, 'b']])
      .poll('c2', [[0, 0, 'a']])
      .send('p1', 0, [['c', 2]])
      .history();
    expect(checkLostWrites(h).valid).toBe(true);
  });

  it('counts an info send as committed once one of its values was read', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1]])
      .send('p1', 1, [['c']], { type: 'info' })
      .poll('c1', [[0, 1, 'b'], [1, 0, 'c']])
      .history();
    expect(only(checkLostWrites(h), 'lost-write', [1, 5])).toContain('value "a"');
  });
});

describe('unseen', () => {
  it('lists acknowledged values no ok poll ever read, per partition', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1]]) // #1
      .send('p1', 0, [['c']], { type: 'info' }) // not acknowledged
      .poll('c1', [[0, 0, 'a']])
      .poll('c1', [[0, 1, 'b']], { type: 'info' }) // an info poll proves nothing was delivered
      .history();
    expect(only(checkUnseen(h), 'unseen', [1])).toBe('1 acknowledged value(s) of t/0 were never read by an ok poll: "b" at offset 1 (#1 p1 ok send at 10ms)');
    expect(checkLostWrites(h).valid).toBe(true);
  });
});

describe('log-duplicate and inconsistent-offsets', () => {
  it('log-duplicate: one value stored at two offsets', () => {
    const h = script()
      .send('p1', 0, [['a', 0]])
      .poll('c1', [[0, 0, 'a'], [0, 1, 'a']])
      .history();
    expect(only(checkLogDuplicates(h), 'log-duplicate', [1, 3])).toBe(
      'value "a" is stored at 2 offsets of t/0: 0 (seen by #1 p1 ok send at 10ms, #3 c1 ok poll at 30ms); 1 (seen by #3 c1 ok poll at 30ms)',
    );
    expect(checkInconsistentOffsets(h).valid).toBe(true);
  });

  it('inconsistent-offsets: one offset seen holding two values (an ack and a later poll)', () => {
    const h = script()
      .send('p1', 0, [['a', 0]])
      .poll('c1', [[0, 0, 'x']])
      .history();
    expect(only(checkInconsistentOffsets(h), 'inconsistent-offsets', [1, 3])).toBe(
      'offset 0 of t/0 holds 2 different values: "a" (seen by #1 p1 ok send at 10ms); "x" (seen by #3 c1 ok poll at 30ms)',
    );
    expect(checkLogDuplicates(h).valid).toBe(true);
  });
});

describe('nonmonotonic-send', () => {
  it('finds a later send of one producer landing before an earlier one', () => {
    const h = script()
      .send('p1', 0, [['a', 1]]) // #1
      .send('p1', 0, [['b', 0]]) // #3
      .history();
    expect(only(checkSendOrder(h), 'nonmonotonic-send', [1, 3])).toBe(
      'p1 sent "a" to t/0 (#1 p1 ok send at 10ms, offset 1) before "b" (#3 p1 ok send at 30ms), which landed earlier, at offset 0',
    );
  });

  it('orders sends by their invoke, even when the later one is acknowledged first', () => {
    const s = script();
    const first = s.recorder.invoke('p1', 'send', { records: [{ ...tp(0), key: null, value: 'a' }] });
    s.tick();
    const second = s.recorder.invoke('p1', 'send', { records: [{ ...tp(0), key: null, value: 'b' }] });
    s.tick();
    s.recorder.ok(second, { records: [{ ...tp(0), key: null, value: 'b', offset: 1 }] });
    s.recorder.ok(first, { records: [{ ...tp(0), key: null, value: 'a', offset: 0 }] });
    expect(checkSendOrder(s.history()).valid).toBe(true);
  });

  it('int-nonmonotonic-send: two records of one send op land out of order', () => {
    const h = script().send('p1', 0, [['a', 1], ['b', 0]]).history();
    expect(only(checkSendOrder(h), 'int-nonmonotonic-send', [1])).toBe('#1 p1 ok send at 10ms sent "a" then "b" to t/0, but they landed at offsets 1 then 0');
  });

  it('a crash (a new producer instance) resets the expectation, and other producers do not count', () => {
    const h = script().send('p1', 0, [['a', 1]]).crash('p1').send('p1', 0, [['b', 0]]).send('p2', 0, [['c', 2]]).send('p3', 0, [['d', 3]]).history();
    expect(checkSendOrder(h).valid).toBe(true);
  });
});

describe('poll order', () => {
  const log = () => script().send('p1', 0, [['a', 0], ['b', 1], ['c', 2], ['d', 4]]); // offset 3: a txn marker

  it('poll-skip: the next poll of a partition starts past records that exist', () => {
    const h = log().poll('c1', [[0, 0, 'a']]).poll('c1', [[0, 2, 'c']]).history();
    expect(only(checkPollOrder(h), 'poll-skip', [3, 5])).toBe(
      'c1 read t/0 up to offset 0 (#3 c1 ok poll at 30ms), then from offset 2 (#5 c1 ok poll at 50ms), skipping known offset(s) 1',
    );
  });

  it('nonmonotonic-poll: the next poll reads a record again', () => {
    const h = log().poll('c1', [[0, 0, 'a'], [0, 1, 'b']]).poll('c1', [[0, 1, 'b']]).history();
    expect(only(checkPollOrder(h), 'nonmonotonic-poll', [3, 5])).toContain('then from offset 1 (#5 c1 ok poll at 50ms), reading that record again');
  });

  it('int-poll-skip and int-nonmonotonic-poll: inside one poll', () => {
    expect(only(checkPollOrder(log().poll('c1', [[0, 0, 'a'], [0, 2, 'c']]).history()), 'int-poll-skip', [3])).toBe(
      '#3 c1 ok poll at 30ms read t/0 offset 0 then offset 2, skipping known offset(s) 1',
    );
    expect(only(checkPollOrder(log().poll('c1', [[0, 1, 'b'], [0, 0, 'a']]).history()), 'int-nonmonotonic-poll', [3])).toContain('offset 1 then offset 0, going back');
  });

  it('a poll of two partitions is checked per partition, in the order the partitions first appear in it', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1], ['c', 2]])
      .send('p1', 1, [['x', 0], ['y', 1], ['z', 2]])
      .poll('c1', [[1, 0, 'x'], [0, 0, 'a'], [1, 2, 'z'], [0, 2, 'c']]) // #5
      .history();
    expect(checkPollOrder(h).anomalies.map((a) => a.explanation)).toEqual([
      '#5 c1 ok poll at 50ms read t/1 offset 0 then offset 2, skipping known offset(s) 1',
      '#5 c1 ok poll at 50ms read t/0 offset 0 then offset 2, skipping known offset(s) 1',
    ]);
  });

  it('gaps in offsets that no record holds are not skips (dense indices)', () => {
    expect(checkPollOrder(log().poll('c1', [[0, 2, 'c'], [0, 4, 'd']]).history()).valid).toBe(true);
  });

  it('an ownership change resets the expectation: assign, revoke, crash, or the poll\'s own rebalance log', () => {
    const ok = (h: ReturnType<typeof log>) => expect(checkPollOrder(h.history()).valid).toBe(true);
    ok(log().poll('c1', [[0, 0, 'a']]).assign('c1', [1]).assign('c1', [0]).poll('c1', [[0, 2, 'c']]));
    ok(log().poll('c1', [[0, 0, 'a']]).revoke('c1', 'g', [0]).poll('c1', [[0, 0, 'a']]));
    ok(log().poll('c1', [[0, 0, 'a']]).crash('c1').poll('c1', [[0, 0, 'a']]));
    ok(log().poll('c1', [[0, 0, 'a'], [0, 0, 'a']], { rebalanced: [0] }));
    // keeping the partition across an assign does not reset it
    expect(checkPollOrder(log().assign('c1', [0]).poll('c1', [[0, 0, 'a']]).assign('c1', [0, 1]).poll('c1', [[0, 2, 'c']]).history()).anomalies.map((a) => a.kind)).toEqual(['poll-skip']);
  });
});

describe('redelivery and group-skip', () => {
  it('redelivery: the group received records twice; the explanation gives consume counts and the polls', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1]])
      .poll('c1', [[0, 0, 'a'], [0, 1, 'b']], group) // #3
      .crash('c1')
      .poll('c2', [[0, 1, 'b']], group) // #7
      .poll('c3', [[0, 0, 'a'], [0, 1, 'b']]) // no group: assign() consumers may read anything
      .history();
    expect(only(checkRedelivery(h), 'redelivery', [3, 7])).toBe('group g received 1 record(s) of t/0 more than once: offset 1 ×2 (#3 c1 ok poll at 30ms, #7 c2 ok poll at 60ms)');
    expect(consumeCounts(h).get('g')!.get('t/0')!.get(0)!.length).toBe(1);
  });

  it('group-skip: the group never received a record between records it did receive', () => {
    const h = script()
      .send('p1', 0, [['a', 0], ['b', 1], ['c', 2]])
      .poll('c1', [[0, 0, 'a']], group)
      .poll('c2', [[0, 2, 'c']], group) // #5
      .history();
    expect(only(checkGroupSkip(h), 'group-skip', [1, 5])).toBe(
      'group g never received offset(s) 1 ("b") of t/0, though it received offsets 0..2 around them (offset 2 by #5 c2 ok poll at 50ms)',
    );
    expect(checkRedelivery(h).valid).toBe(true);
  });
});

describe('committed-too-far', () => {
  it('with process records: a commit past a record still being processed', () => {
    const s = script().send('p1', 0, [['a', 0], ['b', 1]]).poll('c1', [[0, 0, 'a'], [0, 1, 'b']], group); // poll #3
    s.process('c1', 0, 0, 'a'); // #4 #5
    const b = s.processStart('c1', 0, 1, 'b'); // #6
    s.commit('c1', 'g', [[0, 1]]); // covers only a: fine
    s.commit('c1', 'g', [[0, 2]]); // #9 #10
    b.done();
    const explanation = only(checkCommittedTooFar(s.history()), 'committed-too-far', [3, 6, 9, 10]);
    expect(explanation).toBe(
      '#9 c1 invoke commit at 90ms (completed ok) committed t/0 up to offset 2, past record(s) c1 had not finished: offset 1 ("b", delivered by #3 c1 ok poll at 30ms, processing since 60ms)',
    );
  });

  it('without process records: a poll\'s records are finished when the next poll starts (auto-commit inside poll)', () => {
    const s = script().send('p1', 0, [['a', 0], ['b', 1]]).poll('c1', [[0, 0, 'a'], [0, 1, 'b']], group);
    const next = s.recorder.invoke('c1', 'poll', { ...group, records: [] });
    s.commit('c1', 'g', [[0, 2]]);
    s.recorder.ok(next);
    expect(checkCommittedTooFar(s.history()).valid).toBe(true);

    const early = script().send('p1', 0, [['a', 0], ['b', 1]]).poll('c1', [[0, 0, 'a'], [0, 1, 'b']], group).commit('c1', 'g', [[0, 2]]);
    expect(only(checkCommittedTooFar(early.history()), 'committed-too-far', [3, 4, 5])).toContain('offset 0 ("a", delivered by #3 c1 ok poll at 30ms, not started); offset 1');
  });

  it('ignores failed commits and partitions the process no longer owns', () => {
    const h = script()
      .send('p1', 0, [['a', 0]])
      .poll('c1', [[0, 0, 'a']], group)
      .commit('c1', 'g', [[0, 1]], 'fail')
      .revoke('c1', 'g', [0])
      .commit('c1', 'g', [[0, 1]])
      .history();
    expect(checkCommittedTooFar(h).valid).toBe(true);
  });
});

describe('aborted-read', () => {
  const aborted = () => script().send('p1', 0, [['a', 0]], { transaction: 'T1' }).endTxn('p1', 'T1', false).send('p1', 0, [['b', 2]]);

  it('a read_committed poll saw a record of an aborted transaction', () => {
    const h = aborted().poll('c1', [[0, 0, 'a'], [0, 2, 'b']], { isolation: 'read_committed' }).history();
    expect(only(checkAbortedReads(h), 'aborted-read', [1, 3, 7])).toBe(
      'read_committed #7 c1 ok poll at 70ms read "a" at offset 0 of t/0, written by #1 p1 ok send at 10ms in transaction T1, which aborted (#3 p1 ok end-txn at 30ms)',
    );
    // the aborted offset is a hole in the dense order, not a skip for readers that do not see it
    expect(checkPollOrder(aborted().poll('c1', [[0, 2, 'b']], { isolation: 'read_committed' }).history()).valid).toBe(true);
  });

  it('read_uncommitted may see aborted transactions; nobody may see a definitely failed send', () => {
    expect(checkAbortedReads(aborted().poll('c1', [[0, 0, 'a']], { isolation: 'read_uncommitted' }).history()).valid).toBe(true);
    const h = script().send('p1', 0, [['x']], { type: 'fail' }).poll('c1', [[0, 0, 'x']], { isolation: 'read_uncommitted' }).history();
    expect(only(checkAbortedReads(h), 'aborted-read', [1, 3])).toContain('whose send definitely failed (#1 p1 fail send at 10ms)');
  });

  it('the other checkers take such a history too (lost-write used to throw on a read value with no place in the order)', () => {
    const h = aborted().poll('c1', [[0, 0, 'a'], [0, 2, 'b']], { isolation: 'read_committed' }).history();
    expect(checkHistory(h).anomalies.map((a) => a.kind)).toEqual(['aborted-read']);
    const failed = script().send('p1', 0, [['x']], { type: 'fail' }).send('p1', 0, [['y', 1]]).poll('c1', [[0, 0, 'x'], [0, 1, 'y']]).history();
    expect(checkHistory(failed).anomalies.map((a) => a.kind)).toEqual(['aborted-read']);
  });

  it('a committed transaction reads fine', () => {
    const h = script().send('p1', 0, [['a', 0]], { transaction: 'T1' }).endTxn('p1', 'T1', true).poll('c1', [[0, 0, 'a']], { isolation: 'read_committed' }).history();
    expect(checkAbortedReads(h).valid).toBe(true);
  });
});

describe('split-ownership', () => {
  it('two members own one partition in the same generation', () => {
    const h = script()
      .assign('c1', [0, 1], { groupId: 'g', generationId: 1, memberId: 'm1' })
      .assign('c2', [1, 2], { groupId: 'g', generationId: 1, memberId: 'm2' })
      .history();
    expect(only(checkSplitOwnership(h), 'split-ownership', [1, 3])).toBe(
      't/1 was assigned in group g generation 1 to both m1 (#1 c1 ok assign at 0ms) and m2 (#3 c2 ok assign at 10ms)',
    );
  });

  it('moving a partition to another member in a later generation is fine', () => {
    const h = script()
      .assign('c1', [0, 1], { groupId: 'g', generationId: 1 })
      .assign('c2', [1], { groupId: 'g', generationId: 2 })
      .assign('c1', [0], { groupId: 'g', generationId: 2 })
      .assign('c3', [0], { groupId: 'other', generationId: 2 })
      .history();
    expect(checkSplitOwnership(h).valid).toBe(true);
  });
});

// Found by the simulation (transactions-read-committed): a transaction whose end is unknown may have been
// aborted by the broker, so its acknowledged sends neither must be read nor are gaps when skipped.
describe('transactions whose outcome is unknown', () => {
  const unknownEnd = () =>
    script()
      .send('p1', 0, [['a', 0]], { transaction: 'T1' })
      .endTxn('p1', 'T1', true, 'info')
      .send('p1', 0, [['b', 2]], { transaction: 'T2' })
      .endTxn('p1', 'T2', true);

  it('unread values of an info commit are neither lost nor unseen, and reading past them is no skip', () => {
    const h = unknownEnd().poll('c1', [[0, 2, 'b']], { groupId: 'g' }).poll('c2', [[0, 2, 'b']], { groupId: 'g2' }).history();
    expect(checkLostWrites(h).valid).toBe(true);
    expect(checkUnseen(h).valid).toBe(true);
    expect(checkPollOrder(h).valid).toBe(true);
    expect(checkGroupSkip(h).valid).toBe(true);
  });

  it('one value of the transaction read proves it committed: the others must be read too', () => {
    const h = script()
      .send('p1', 0, [['a', 0]], { transaction: 'T1' })
      .send('p1', 1, [['x', 0]], { transaction: 'T1' })
      .endTxn('p1', 'T1', true, 'info')
      .send('p1', 0, [['b', 2]])
      .poll('c1', [[1, 0, 'x'], [0, 2, 'b']])
      .history();
    expect(checkLostWrites(h).anomalies.map((a) => a.kind)).toEqual(['lost-write']);
    expect(checkUnseen(h).anomalies.map((a) => a.kind)).toEqual(['unseen']);
  });

  it('a committed transaction must be read like any acknowledged send', () => {
    const h = script().send('p1', 0, [['a', 0]], { transaction: 'T1' }).endTxn('p1', 'T1', true).send('p1', 0, [['b', 2]]).poll('c1', [[0, 2, 'b']]).history();
    expect(checkLostWrites(h).anomalies.map((a) => a.kind)).toEqual(['lost-write']);
  });
});
