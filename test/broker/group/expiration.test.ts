import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.ts';
import { stableGroup, startGroupCluster } from './support.ts';

/** offsets.retention.minutes = 1, checked every second. */
async function shortRetention() {
  const t = await startGroupCluster({ brokerConfig: { 'offsets.retention.minutes': 1, 'offsets.retention.check.interval.ms': 1_000 } });
  t.cluster.createTopic('orders', { partitions: 1 });
  t.cluster.createTopic('other', { partitions: 1 });
  await t.settle();
  return t;
}

describe('offset expiration (offsets.retention.minutes, Kafka 2.1+ rules)', () => {
  it('offsets of a group without group management expire retention after their commit; the group goes with them', async () => {
    const t = await shortRetention();
    const coordinator = await t.findCoordinator('simple');
    await t.commit('admin', coordinator, 'simple', [{ topic: 'orders', partition: 0, offset: 5n }]);
    await t.runtime.advance(30_000);
    await t.commit('admin', coordinator, 'simple', [{ topic: 'other', partition: 0, offset: 6n }]);
    await t.runtime.advance(31_000);
    expect((await t.fetchOffsets(coordinator, 'simple', null)).offsets.map((o) => [o.topic, o.offset])).toEqual([['other', 6n]]);
    await t.runtime.advance(30_000);
    expect((await t.fetchOffsets(coordinator, 'simple', null)).offsets).toEqual([]);
    expect((await t.describe(coordinator, 'simple')).groupState).toBe('Dead');
  });

  it('a stable consumer group keeps the offsets of topics it subscribes to; once it is empty, all expire retention after it became empty', async () => {
    const t = await shortRetention();
    const { coordinator, a, b } = await stableGroup(t, 'g', { sessionTimeoutMs: 600_000 });
    await t.commit('a', coordinator, 'g', [
      { topic: 'orders', partition: 0, offset: 1n },
      { topic: 'other', partition: 0, offset: 2n },
    ], { memberId: a, generationId: 1 });
    await t.runtime.advance(61_000);
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets.map((o) => o.topic)).toEqual(['orders']);

    await t.call('a', coordinator, ApiKey.LeaveGroup, 3, { groupId: 'g', members: [{ memberId: a, groupInstanceId: null }, { memberId: b, groupInstanceId: null }] });
    expect((await t.describe(coordinator, 'g')).groupState).toBe('Empty');
    await t.runtime.advance(59_000);
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets.map((o) => o.topic)).toEqual(['orders']);
    await t.runtime.advance(2_000);
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets).toEqual([]);
    // The group record is tombstoned with it: deleting it again finds nothing.
    const deleted = await t.call('admin', coordinator, ApiKey.DeleteGroups, 2, { groupsNames: ['g'] });
    expect(deleted.results[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('offsets of a deleted topic are removed from the groups', async () => {
    const t = await startGroupCluster();
    t.cluster.createTopic('doomed', { partitions: 1 });
    t.cluster.createTopic('kept', { partitions: 1 });
    await t.settle();
    const coordinator = await t.findCoordinator('g');
    await t.commit('admin', coordinator, 'g', [
      { topic: 'doomed', partition: 0, offset: 1n },
      { topic: 'kept', partition: 0, offset: 2n },
    ]);
    t.cluster.controller.deleteTopic('doomed');
    await t.settle();
    expect((await t.fetchOffsets(coordinator, 'g', null)).offsets.map((o) => o.topic)).toEqual(['kept']);
  });
});
