import { describe, expect, it } from 'vitest';
import { HistoryRecorder, completions, describeRecord } from '../../sim/history.ts';
import { script } from './histories.ts';

describe('history recorder', () => {
  it('appends invoke then completion with dense indices, virtual times and the invoke they complete', () => {
    let time = 100;
    const recorder = new HistoryRecorder(() => time);
    const send = recorder.invoke('producer-1', 'send', { records: [{ topic: 't', partition: 0, key: null, value: 'a' }] });
    time = 150;
    const poll = recorder.invoke('consumer-1', 'poll', { groupId: 'g', records: [] });
    recorder.ok(send, { records: [{ topic: 't', partition: 0, key: null, value: 'a', offset: 0 }] });
    time = 170;
    recorder.complete(poll, 'ok', { groupId: 'g', records: [{ topic: 't', partition: 0, key: null, value: 'a', offset: 0 }] });
    const history = recorder.history();
    expect(history.map((r) => [r.index, r.type, r.f, r.process, r.time, r.invokeIndex])).toEqual([
      [0, 'invoke', 'send', 'producer-1', 100, undefined],
      [1, 'invoke', 'poll', 'consumer-1', 150, undefined],
      [2, 'ok', 'send', 'producer-1', 150, 0],
      [3, 'ok', 'poll', 'consumer-1', 170, 1],
    ]);
    expect(describeRecord(history[3])).toBe('#3 consumer-1 ok poll at 170ms');
    expect(completions(history, 'send').map((r) => r.index)).toEqual([2]);
  });

  it('a completion without a value repeats the invoke, and keeps the error', () => {
    const recorder = new HistoryRecorder(() => 0);
    const commit = recorder.invoke('c', 'commit', { groupId: 'g', offsets: [{ topic: 't', partition: 0, offset: 3 }] });
    const failed = recorder.fail(commit, 'REBALANCE_IN_PROGRESS');
    expect(failed.value).toEqual(commit.value);
    expect(failed.error).toBe('REBALANCE_IN_PROGRESS');
  });

  it('refuses to complete an operation twice or to let time go back', () => {
    let time = 10;
    const recorder = new HistoryRecorder(() => time);
    const op = recorder.invoke('c', 'crash', {});
    recorder.ok(op);
    expect(() => recorder.ok(op)).toThrow(/completed once/);
    time = 5;
    expect(() => recorder.event('c', 'crash', {})).toThrow(/never goes back/);
  });

  it('lists operations never completed, which count as info at the end of a run', () => {
    const recorder = new HistoryRecorder(() => 0);
    recorder.invoke('p', 'send', { records: [] });
    recorder.event('c', 'assign', { partitions: [] });
    expect(recorder.pending()).toEqual([0]);
  });

  it('is deterministic: the same script records the same history', () => {
    const build = () => script().send('p', 0, [['a', 0]]).poll('c', [[0, 0, 'a']], { groupId: 'g' }).commit('c', 'g', [[0, 1]]).history();
    expect(build()).toEqual(build());
  });
});
